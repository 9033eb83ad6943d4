using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Tensors;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;
using Xunit.Abstractions;

namespace NativeEngine.Tests;

/// <summary>
/// EoMT against the float64 PyTorch reference of tests/fixtures/generate_eomt.py: every output and every per-layer
/// intermediate within max |Δ| ≤ 1e-4 · max |reference| (issue 4's parity target for float32 compute).
/// </summary>
[Collection(DeviceCollection.Name)]
public class EomtParityTests(DeviceFixture fx, ITestOutputHelper output)
{
    private const double Target = 1e-4;

    [Fact]
    public void TinyMatchesPyTorch() => CheckForward(Fixtures.Path("eomt/tiny"), "eomt/tiny_forward.safetensors");

    [Fact]
    public void TinyMaskedAttentionFromF16WeightsMatchesPyTorch()
    {
        using var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny_masked"));
        Assert.True(model.UsesMaskedAttention);
        CheckForward(model, "eomt/tiny_masked_forward.safetensors");
    }

    [Fact]
    public void SmallVitSShapedMatchesPyTorch() => CheckSeeded("eomt/small", 7, "eomt/small_forward.safetensors");

    [Fact]
    public void SwiGluMlpMatchesPyTorch() => CheckSeeded("eomt/tiny_swiglu", 5, "eomt/tiny_swiglu_forward.safetensors");

    // Fixtures whose weights are not committed: config.json + the seed → model.safetensors in a temporary folder.
    private void CheckSeeded(string folder, ulong seed, string fixture)
    {
        var dir = Directory.CreateTempSubdirectory("eomt-seeded-");
        try
        {
            File.Copy(Fixtures.Path(folder + "/config.json"), Path.Combine(dir.FullName, "config.json"));
            var config = EomtConfig.Read(Path.Combine(dir.FullName, "config.json"));
            using (var w = new EomtRandomWeights(config, seed))
                EomtWeights.WriteSafeTensors(w, w.Names.Keys, Path.Combine(dir.FullName, "model.safetensors"));
            CheckForward(dir.FullName, fixture);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void RandomWeightsAreBitIdenticalToThePythonGenerator()
    {
        using var file = SafeTensorsFile.Open(Fixtures.Path("eomt/tiny/model.safetensors"));
        using var w = new EomtRandomWeights(EomtConfig.Read(Fixtures.Path("eomt/tiny/config.json")), 1);
        Assert.Equal(file.Tensors.Keys.Order(), w.Names.Keys.Order());
        foreach (var name in w.Names.Keys.Where(n => n != "attn_mask_probs"))
            Assert.True(file.ReadFloat32(name).AsSpan().SequenceEqual(w.ReadFloat32(name)), $"{name} differs from the committed weights");
    }

    [Fact]
    public void RefusesStochasticMaskProbabilities()
    {
        var config = EomtConfig.Read(Fixtures.Path("eomt/tiny/config.json"));
        using var w = new EomtRandomWeights(config, 1, [0.5f, 0f]);
        var e = Assert.Throws<NotSupportedException>(() => EomtModel.Load(fx.Device, w).Dispose());
        Assert.Contains("attn_mask_probs[0] = 0.5", e.Message);
    }

    [Fact]
    public void WrongImageSizeIsAClearError()
    {
        using var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny"));
        using var x = Tensor.Zeros(fx.Device, new Shape(1, 3, 48, 48));
        var e = Assert.Throws<ArgumentException>(() => model.Forward(x));
        Assert.Contains("(B, 3, 40, 40)", e.Message);
    }

    [Theory]
    [InlineData("wide")]
    [InlineData("tall")]
    public void ImagePathMatchesPyTorch(string tag)
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path($"eomt/tiny_image_{tag}.safetensors"));
        var image = ImageLoader.Load(Fixtures.Path($"eomt/tiny_image_{tag}.png"));
        Assert.Equal(f.ReadBytes("image"), image.Pixels);
        using var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny"));
        var plan = WindowPlan.For(image.Height, image.Width, model.Config.ImageSize, WindowProtocol.Native);
        var resized = f.Get("resized");
        Assert.Equal(((int)resized.Shape[0], (int)resized.Shape[1]), (plan.Height, plan.Width));
        Assert.Equal(f.ReadBytes("resized"), PilResize.Bilinear(image.Pixels, image.Width, image.Height, plan.Width, plan.Height));
        Assert.Equal(f.Metadata["window_starts"], "[" + string.Join(", ", plan.Starts) + "]");
        foreach (var (protocol, key) in new[] { (WindowProtocol.Native, "native_semantic_map"), (WindowProtocol.Seed, "seed_semantic_map") })
        {
            using var map = SemanticInference.Run(model, image, protocol, maxBatch: 2);
            Assert.Equal(f.Get(key).Shape.Select(v => (int)v).ToArray(), map.Shape.ToArray());
            Tolerance.AssertRelativeToMax(f.ReadFloat32(key), map.ToHostFloat(), Target, $"{tag} {key}");
        }
    }

    [Fact]
    public void RealImagesGoThroughWindowsToAMapAtTheirOwnSize()
    {
        var root = Fixtures.SharedValidationData;
        if (root is null)
        {
            output.WriteLine("not run: ../shared/data/Validation_Dataset is absent");
            return;
        }
        using var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny"));
        var path = Directory.EnumerateFiles(Path.Combine(root, "RoadAnomaly21", "images")).Order().First(); // a JPEG named .png
        var image = ImageLoader.Load(path);
        using var native = SemanticInference.Run(model, image, WindowProtocol.Native);
        using var seed = SemanticInference.Run(model, image, WindowProtocol.Seed);
        Assert.Equal(new[] { 1, model.Config.Classes, image.Height, image.Width }, native.Shape.ToArray());
        Assert.Equal(new[] { 1, model.Config.Classes, 40, 40 }, seed.Shape.ToArray());
        var v = native.ToHostFloat();
        Assert.All(v, x => Assert.True(float.IsFinite(x) && x >= 0 && x <= model.Config.Queries));
        output.WriteLine($"{path}: {image.Width}x{image.Height} → {WindowPlan.For(image.Height, image.Width, 40, WindowProtocol.Native)}");
    }

    private void CheckForward(string weights, string fixture)
    {
        using var model = EomtModel.Load(fx.Device, weights);
        CheckForward(model, fixture);
    }

    private void CheckForward(EomtModel model, string fixture)
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path(fixture));
        var entry = f.Get("pixel_values");
        using var pixels = Tensor.FromHost(fx.Device, new Shape(entry.Shape.Select(v => (int)v).ToArray()), f.ReadFloat32("pixel_values"));
        var seen = new Dictionary<string, float[]>();
        var o = model.Forward(pixels, (name, t) => seen[name] = t.ToHostFloat());
        seen["class_queries_logits"] = o.ClassQueriesLogits.ToHostFloat();
        seen["masks_queries_logits"] = o.MasksQueriesLogits.ToHostFloat();
        seen["last_hidden_state"] = o.LastHiddenState.ToHostFloat();
        using var map = Tensor.Empty(fx.Device, new Shape((int)entry.Shape[0], model.Config.Classes, model.Config.ImageSize, model.Config.ImageSize));
        model.SemanticMap(o, map);
        seen["semantic_map"] = map.ToHostFloat();
        // In forward order (the probe's order), so the first failure localises the error.
        foreach (var name in f.Tensors.Keys.Where(k => k != "pixel_values"))
            Assert.True(seen.ContainsKey(name), $"{fixture}: the model produced no '{name}'");
        var order = seen.Keys.Where(f.Tensors.ContainsKey);
        foreach (var name in order)
        {
            var expected = f.ReadFloat32(name);
            Tolerance.AssertRelativeToMax(expected, seen[name], Target, $"{fixture} {name}");
            output.WriteLine($"{name}: max|Δ|/max|ref| = {Tolerance.RelativeToMax(expected, seen[name]):E2}");
        }
    }
}
