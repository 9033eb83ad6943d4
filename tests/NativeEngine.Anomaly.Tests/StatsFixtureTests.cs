using NativeEngine.Kernels;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>Statistics, baselines and the fused path against PyTorch (tests/fixtures/anomaly/stats.safetensors).</summary>
[Collection(DeviceCollection.Name)]
public class StatsFixtureTests(DeviceFixture fx)
{
    // K = 4 / Q = 5 term float32 sums against torch float32: a few ulps of values ≤ Q.
    private const double Abs = 1e-5, Rel = 1e-5;

    private static SafeTensorsFile Open() => SafeTensorsFile.Open(Fixtures.Path("anomaly/stats.safetensors"));

    private Tensor Load(SafeTensorsFile f, string name) =>
        Tensor.FromHost(fx.Device, new Shape(f.Get(name).Shape.Select(d => (int)d).ToArray()), f.ReadFloat32(name));

    [Fact]
    public void StatsMatchTorch()
    {
        using var f = Open();
        using var s = Load(f, "semantic_map");
        using var stats = Tensor.Empty(fx.Device, new Shape(2, 4, 6, 7));
        UncertaintyStats.Compute(s, stats);
        Tolerance.AssertClose(f.ReadFloat32("stats"), stats.ToHostFloat(), Abs, Rel, "stats");
    }

    [Theory]
    [InlineData(BaselineMethod.Msp, "msp"), InlineData(BaselineMethod.MaxLogit, "maxlogit")]
    [InlineData(BaselineMethod.Entropy, "entropy"), InlineData(BaselineMethod.RbA, "rba")]
    public void BaselinesMatchTorch(BaselineMethod method, string name)
    {
        using var f = Open();
        using var s = Load(f, "semantic_map");
        foreach (var t in new[] { 1f, 8f })
        {
            using var score = Tensor.Empty(fx.Device, new Shape(2, 6, 7));
            AnomalyScores.Baseline(s, score, method, t);
            Tolerance.AssertClose(f.ReadFloat32($"{name}_T{t:g}"), score.ToHostFloat(), Abs, Rel, $"{name} T={t}");
        }
    }

    [Fact]
    public void BadShapesNameTheTensor()
    {
        using var s = Tensor.Empty(fx.Device, new Shape(2, 4, 6));
        using var o = Tensor.Empty(fx.Device, new Shape(2, 4, 6, 7));
        var e = Assert.Throws<ArgumentException>(() => UncertaintyStats.Compute(s, o));
        Assert.Contains("s:", e.Message);
    }
}
