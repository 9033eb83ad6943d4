using NativeEngine.Tensors;
using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Weights.Tests;

public class AnomalyHeadTests
{
    /// <summary>Every head tensor equals torch's state_dict() value (head_reference.safetensors, "tag/name").</summary>
    internal static void AssertMatchesReference(AnomalyHeadWeights head, string tag)
    {
        using var r = SafeTensorsFile.Open(Fixtures.Path("weights/head_reference.safetensors"));
        var names = r.Tensors.Keys.Where(n => n.StartsWith(tag + "/", StringComparison.Ordinal)).Select(n => n[(tag.Length + 1)..]).Order().ToList();
        Assert.Equal(names, head.Names.Order());
        foreach (var n in names)
        {
            Assert.Equal(r.Get($"{tag}/{n}").Shape, head.Shape(n));
            Bits.AssertSame(r.ReadFloat32($"{tag}/{n}"), head[n], $"{tag} {n}");
        }
    }

    [Fact]
    public void PlainHeadFromATorchStateDict()
    {
        var h = AnomalyHeadWeights.Load(Fixtures.Path("weights/head_plain.pth"));
        Assert.Equal(AnomalyHeadLayout.Plain, h.Layout);
        Assert.Equal(4, h.InputFeatures);
        Assert.Equal([64, 32], h.HiddenSizes);
        Assert.Equal(["mlp.0", "mlp.3", "mlp.6"], h.LinearLayers);
        Assert.Equal(2433, h.ParameterCount);   // seed.md §1.3
        AssertMatchesReference(h, "plain");
    }

    [Fact]
    public void BatchNormHeadFromALightningCheckpoint()
    {
        var h = AnomalyHeadWeights.Load(Fixtures.Path("weights/head_bn.ckpt"));
        Assert.Equal(AnomalyHeadLayout.BatchNorm, h.Layout);
        Assert.Equal(["mlp.0", "mlp.4", "mlp.7"], h.LinearLayers);
        Assert.Equal([3f], h["mlp.2.num_batches_tracked"]);
        Assert.Equal(DType.Int64, h.SourceDType("mlp.2.num_batches_tracked"));
        Assert.Equal(2433 + 128, h.ParameterCount);  // + BatchNorm1d(64) affine
        AssertMatchesReference(h, "bn");
    }

    [Fact]
    public void HybridHeadFromSafetensors()
    {
        var h = AnomalyHeadWeights.Load(Fixtures.Path("weights/head_hybrid.safetensors"));
        Assert.Equal(AnomalyHeadLayout.Hybrid, h.Layout);
        Assert.Equal(36, h.InputFeatures);
        Assert.Equal(32, h.ProjectedChannels);
        Assert.Equal(16, h.FeatureChannels);
        Assert.Equal(16 * 32 + 32 + 4481, h.ParameterCount);  // seed.md §1.4 with 16 feature channels instead of 768
        AssertMatchesReference(h, "hybrid");
    }

    [Fact]
    public void AFileWithoutAHeadIsRefused()
    {
        var e = Assert.Throws<CheckpointException>(() => AnomalyHeadWeights.Load(Fixtures.Path("weights/tiny_hf")));
        Assert.Contains("no anomaly-head tensors", e.Message);
    }
}
