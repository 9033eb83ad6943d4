using NativeEngine.Models.Anomaly;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>Head forward in eval mode, every layout, against PyTorch (tests/fixtures/anomaly/head_*.safetensors).</summary>
[Collection(DeviceCollection.Name)]
public class HeadFixtureTests(DeviceFixture fx)
{
    // Two 64-term float32 dot products (36-term for the hybrid's first layer) vs torch float32; BN folded in double.
    private const double Abs = 1e-5, Rel = 1e-5;

    [Theory]
    [InlineData("plain", AnomalyHeadLayout.Plain)]
    [InlineData("bn", AnomalyHeadLayout.BatchNorm)]
    [InlineData("hybrid", AnomalyHeadLayout.Hybrid)]
    public void EvalForwardMatchesTorch(string name, AnomalyHeadLayout layout)
    {
        string path = Fixtures.Path($"anomaly/head_{name}.safetensors");
        var head = AnomalyHead.Load(path);
        Assert.Equal(layout, head.Layout);
        using var f = SafeTensorsFile.Open(path);
        using var runner = head.ToDevice(fx.Device);
        using var stats = Tensor.FromHost(fx.Device, new Shape(2, 4, 6, 7), f.ReadFloat32("input.stats"));
        using var logit = Tensor.Empty(fx.Device, new Shape(2, 1, 6, 7));
        if (layout == AnomalyHeadLayout.Hybrid)
        {
            using var tokens = Tensor.FromHost(fx.Device, new Shape(2, 9, 8), f.ReadFloat32("input.tokens"));
            using var features = Tensor.Empty(fx.Device, new Shape(2, 8, 3, 3));
            NativeEngine.Kernels.Tokens.ToFeatureMap(tokens, 0, features); // (B, N, C) tokens → (B, C, g, g)
            runner.Logit(stats, logit, features);
        }
        else runner.Logit(stats, logit);
        Tolerance.AssertClose(f.ReadFloat32("output.logit"), logit.ToHostFloat(), Abs, Rel, $"{name} logit");

        using var stitch = new WindowStitcher(fx.Device, 6, 7);
        for (int b = 0; b < 2; b++)
        {
            using var one = new WindowStitcher(fx.Device, 6, 7);
            one.Add(logit.Slice(b, 1).Reshape(6, 7), 0, 0);
            using var score = Tensor.Empty(fx.Device, new Shape(6, 7));
            one.Score(score);
            Tolerance.AssertClose(f.ReadFloat32("output.score").AsSpan(b * 42, 42), score.ToHostFloat(), Abs, Rel, $"{name} score");
        }
    }

    [Fact]
    public void SaveLoadRoundTripKeepsNamesAndValues()
    {
        var head = AnomalyHead.Load(Fixtures.Path("anomaly/head_bn.safetensors"));
        string tmp = Path.Combine(Path.GetTempPath(), $"ne-head-{Guid.NewGuid():N}.safetensors");
        try
        {
            head.Save(tmp);
            var back = AnomalyHead.Load(tmp);
            Assert.Equal(head.Tensors.Select(t => t.Name), back.Tensors.Select(t => t.Name));
            foreach (var t in head.Tensors) Assert.Equal(t.Data, back[t.Name].Data);
            using var f = SafeTensorsFile.Open(tmp);
            Assert.Contains("mlp.2.running_var", f.Tensors.Keys);
            Assert.Contains("mlp.7.weight", f.Tensors.Keys);
        }
        finally { File.Delete(tmp); }
    }

    [Fact]
    public void PrefixedCheckpointNamesLoadAndParameterCountsMatchTheSeed()
    {
        var plain = AnomalyHead.Load(Fixtures.Path("anomaly/head_plain.safetensors")); // stored under network.anomaly_head.
        Assert.Equal(AnomalyHeadLayout.Plain, plain.Layout);
        Assert.Equal(2433, plain.Tensors.Where(t => t.Trainable).Sum(t => t.Data.Length));
        var hybrid = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Hybrid));
        Assert.Equal(29089, hybrid.Tensors.Sum(t => t.Data.Length));
    }

    [Fact]
    public void WrongShapesAreReportedWithTheTensorName()
    {
        var t = AnomalyHead.Create(new AnomalyHeadOptions()).Tensors.ToDictionary(x => x.Name, x => (x.Shape, x.Data));
        t["mlp.3.weight"] = ([32, 63], new float[32 * 63]);
        var e = Assert.Throws<ArgumentException>(() => AnomalyHead.FromTensors(t));
        Assert.Contains("mlp.3.weight", e.Message);
    }

    [Theory]
    [InlineData("weights/head_plain.pth", AnomalyHeadLayout.Plain)]
    [InlineData("weights/head_bn.ckpt", AnomalyHeadLayout.BatchNorm)]
    [InlineData("weights/head_hybrid.safetensors", AnomalyHeadLayout.Hybrid)]
    public void HeadsInTheSeedsCheckpointFormatsLoad(string file, AnomalyHeadLayout layout)
    {
        var head = AnomalyHead.Load(Fixtures.Path(file));
        Assert.Equal(layout, head.Layout);
        Assert.All(head.Tensors, t => Assert.Equal(t.Shape.Aggregate(1, (a, b) => a * b), t.Data.Length));
    }
}
