using System.CommandLine;
using NativeEngine.Cli.Commands;
using NativeEngine.Models.Anomaly;
using NativeEngine.Reference;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>`forward` writes anomaly_stats, and with --head anomaly_score (the whole EoMT-EXT inference from the CLI).</summary>
[Collection(DeviceCollection.Name)]
public sealed class ForwardAnomalyTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-forward-anomaly-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static int Run(params string[] args)
    {
        var root = new RootCommand("test") { ForwardCommand.Create() };
        return NativeEngine.Cli.Cli.Run(root, ["forward", "--weights", Fixtures.Path("eomt/tiny"), "--device", "cpu", .. args]);
    }

    [Fact]
    public void TensorModeWritesStatsAndTheHeadsScore()
    {
        var head = AnomalyHead.Create(new AnomalyHeadOptions(Hidden1: 16, Hidden2: 8), 4);
        string headPath = Path.Combine(dir, "head.safetensors"), output = Path.Combine(dir, "out.safetensors");
        head.Save(headPath);
        Assert.Equal(0, Run("--input", Fixtures.Path("eomt/tiny_forward.safetensors"), "--head", headPath, "--output", output));
        using var f = SafeTensorsFile.Open(output);
        var shape = f.Get("semantic_map").Shape.Select(d => (int)d).ToArray();
        int b = shape[0], k = shape[1], hw = shape[2] * shape[3];
        var stats = AnomalyRef.Stats(f.ReadFloat32("semantic_map"), b, k, hw);
        Assert.Equal([b, 4, shape[2], shape[3]], f.Get("anomaly_stats").Shape.Select(d => (int)d));
        Tolerance.AssertClose(stats, f.ReadFloat32("anomaly_stats"), 1e-5, 1e-5, "anomaly_stats");
        var logit = AnomalyRef.Head(AnomalyRef.ToPixelMajor(stats, b, 4, hw), b * hw, 4, head["mlp.0.weight"].Data, head["mlp.0.bias"].Data,
            head["mlp.3.weight"].Data, head["mlp.3.bias"].Data, head["mlp.6.weight"].Data, head["mlp.6.bias"].Data[0]);
        Tolerance.AssertClose(logit.Select(l => (float)(1 / (1 + Math.Exp(-l)))).ToArray(), f.ReadFloat32("anomaly_score"), 1e-5, 1e-4, "anomaly_score");
    }

    [Theory]
    [InlineData("native"), InlineData("seed")]
    public void ImageModeWithAHybridHeadWritesAScoreMap(string protocol)
    {
        var head = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Hybrid, 16, 8, FeatureDim: 32), 5);
        string headPath = Path.Combine(dir, "hybrid.safetensors"), output = Path.Combine(dir, $"img-{protocol}.safetensors");
        head.Save(headPath);
        Assert.Equal(0, Run("--image", Fixtures.Path("eomt/tiny_image_wide.png"), "--protocol", protocol, "--head", headPath, "--output", output));
        using var f = SafeTensorsFile.Open(output);
        var map = f.Get("semantic_map").Shape;
        Assert.Equal([1, 4, map[2], map[3]], f.Get("anomaly_stats").Shape);
        Assert.Equal([1, 1, map[2], map[3]], f.Get("anomaly_score").Shape);
        Assert.All(f.ReadFloat32("anomaly_score"), s => Assert.InRange(s, 0f, 1f));
    }
}
