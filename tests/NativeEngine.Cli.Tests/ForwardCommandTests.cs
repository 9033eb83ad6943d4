using System.CommandLine;
using NativeEngine.Cli.Commands;
using NativeEngine.Tests;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Tests;

/// <summary>`nativeengine forward` end to end on the committed fixtures.</summary>
[Collection(DeviceCollection.Name)]
public class ForwardCommandTests
{
    private static int Run(params string[] args)
    {
        var root = new RootCommand("test") { ForwardCommand.Create() };
        return NativeEngine.Cli.Cli.Run(root, args);
    }

    [Fact]
    public void TensorModeWritesTheFourOutputs()
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"forward-{Guid.NewGuid():N}.safetensors");
        try
        {
            var fixture = Fixtures.Path("eomt/tiny_forward.safetensors");
            Assert.Equal(0, Run("forward", "--weights", Fixtures.Path("eomt/tiny"), "--input", fixture, "--output", outPath, "--device", "cpu"));
            using var expected = SafeTensorsFile.Open(fixture);
            using var actual = SafeTensorsFile.Open(outPath);
            foreach (var name in new[] { "class_queries_logits", "masks_queries_logits", "last_hidden_state", "semantic_map" })
            {
                Assert.Equal(expected.Get(name).Shape, actual.Get(name).Shape);
                Tolerance.AssertRelativeToMax(expected.ReadFloat32(name), actual.ReadFloat32(name), 1e-4, name);
            }
        }
        finally
        {
            File.Delete(outPath);
        }
    }

    [Theory]
    [InlineData("native", "native_semantic_map")]
    [InlineData("seed", "seed_semantic_map")]
    public void ImageModeWritesTheSemanticMap(string protocol, string key)
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"forward-{Guid.NewGuid():N}.safetensors");
        try
        {
            Assert.Equal(0, Run("forward", "--weights", Fixtures.Path("eomt/tiny"), "--image", Fixtures.Path("eomt/tiny_image_wide.png"),
                "--protocol", protocol, "--output", outPath, "--device", "cpu"));
            using var expected = SafeTensorsFile.Open(Fixtures.Path("eomt/tiny_image_wide.safetensors"));
            using var actual = SafeTensorsFile.Open(outPath);
            Assert.Equal(expected.Get(key).Shape, actual.Get("semantic_map").Shape);
            Tolerance.AssertRelativeToMax(expected.ReadFloat32(key), actual.ReadFloat32("semantic_map"), 1e-4, key);
        }
        finally
        {
            File.Delete(outPath);
        }
    }

    [Fact]
    public void MissingInputIsAnErrorNotACrash()
    {
        Assert.Equal(1, Run("forward", "--weights", Fixtures.Path("eomt/tiny"), "--output", "x.safetensors", "--device", "cpu"));
        Assert.Equal(1, Run("forward", "--weights", Fixtures.Path("eomt/tiny"), "--image", Fixtures.Path("eomt/tiny/config.json"),
            "--output", "x.safetensors", "--device", "cpu"));
    }
}
