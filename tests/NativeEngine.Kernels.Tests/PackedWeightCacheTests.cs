using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Tests;

/// <summary>
/// The host GEMM's packed-weight cache (GemmHost.PackedWeights): reused for a constant weight, rebuilt after every
/// declared write, never used for a weight that is not constant. A stale cache would be a silently wrong result, so
/// each test changes the weight and checks the next product against the float64 reference.
/// </summary>
[Collection(DeviceCollection.Name)]
public class PackedWeightCacheTests(DeviceFixture fx)
{
    // 70 rows (a ragged 6-row panel), N = 130 (a ragged 64-column panel), K = 400 (two K blocks).
    private const int Rows = 70, N = 130, K = 400;
    private const double Atol = 1e-6 * K, Rel = 1e-5; // K-term float32 dot products, as the gemm conformance rows

    private static readonly OpVersion Host = Gemm.Op.Version("host");

    [Fact]
    public void AConstantWeightIsPackedOnceAndReused() => OnHost(d =>
    {
        var (x, w, bias) = Data(1);
        using var tx = Tensor.FromHost(d, new Shape(Rows, K), x);
        using var tw = Tensor.FromHost(d, new Shape(N, K), w).MarkConstant();
        using var tb = Tensor.FromHost(d, new Shape(N), bias);
        using var ty = Tensor.Empty(d, new Shape(Rows, N));
        Gemm.Linear(tx, tw, tb, ty, Host);
        long before = GemmHost.PackedWeightReuses;
        Gemm.Linear(tx, tw, tb, ty, Host);
        Assert.True(GemmHost.PackedWeightReuses > before, "the second call with an unchanged constant weight repacked it");
        Expect(GemmRef.Linear(x, w, bias, Rows, N, K), ty);
    });

    [Fact]
    public void CopyToAConstantWeightRepacks() => OnHost(d =>
    {
        var (x, w, bias) = Data(2);
        var w2 = Inputs.Uniform(N * K, 99);
        using var tx = Tensor.FromHost(d, new Shape(Rows, K), x);
        using var tw = Tensor.FromHost(d, new Shape(N, K), w).MarkConstant();
        using var tw2 = Tensor.FromHost(d, new Shape(N, K), w2);
        using var ty = Tensor.Empty(d, new Shape(Rows, N));
        Gemm.Linear(tx, tw, null, ty, Host);
        tw2.CopyTo(tw); // CopyTo declares the write itself
        Gemm.Linear(tx, tw, null, ty, Host);
        Expect(GemmRef.Linear(x, w2, null, Rows, N, K), ty);
    });

    [Fact]
    public void HostWritesDeclaredWithMarkModifiedRepack() => OnHost(d =>
    {
        var (x, w, bias) = Data(3);
        using var tx = Tensor.FromHost(d, new Shape(Rows, K), x);
        using var tw = Tensor.FromHost(d, new Shape(N, K), w).MarkConstant();
        using var ty = Tensor.Empty(d, new Shape(Rows, N));
        Gemm.Linear(tx, tw, null, ty, Host);

        w[5 * K + 7] = 40f;                           // through the tensor's own host span …
        tw.HostSpan<float>()[5 * K + 7] = 40f;
        tw.MarkModified();
        Gemm.Linear(tx, tw, null, ty, Host);
        Expect(GemmRef.Linear(x, w, null, Rows, N, K), ty);

        w[N * K - 1] = -40f;                          // … and through a view, which shares the generation
        using (var flat = tw.Reshape(N * K))
        {
            flat.HostSpan<float>()[N * K - 1] = -40f;
            flat.MarkModified();
        }
        Gemm.Linear(tx, tw, null, ty, Host);
        Expect(GemmRef.Linear(x, w, null, Rows, N, K), ty);
    });

    [Fact]
    public void AWeightThatIsNotConstantIsNeverCached() => OnHost(d =>
    {
        var (x, w, _) = Data(4);
        using var tx = Tensor.FromHost(d, new Shape(Rows, K), x);
        using var tw = Tensor.FromHost(d, new Shape(N, K), w); // not constant: written in place, nothing declared
        using var ty = Tensor.Empty(d, new Shape(Rows, N));
        Gemm.Linear(tx, tw, null, ty, Host);
        long before = GemmHost.PackedWeightReuses;
        for (int i = 0; i < w.Length; i += 3) w[i] = -w[i];
        w.CopyTo(tw.HostSpan<float>());
        Gemm.Linear(tx, tw, null, ty, Host);
        Assert.Equal(before, GemmHost.PackedWeightReuses);
        Expect(GemmRef.Linear(x, w, null, Rows, N, K), ty);
    });

    [Fact]
    public void ANewWeightInRecycledStorageGetsItsOwnPanels() => OnHost(d =>
    {
        var (x, w, _) = Data(5);
        var w2 = Inputs.Uniform(N * K, 77);
        using var tx = Tensor.FromHost(d, new Shape(Rows, K), x);
        using var ty = Tensor.Empty(d, new Shape(Rows, N));
        using (var tw = Tensor.FromHost(d, new Shape(N, K), w).MarkConstant())
            Gemm.Linear(tx, tw, null, ty, Host);
        using var again = Tensor.FromHost(d, new Shape(N, K), w2).MarkConstant(); // the pool may hand out the same bytes
        Gemm.Linear(tx, again, null, ty, Host);
        Expect(GemmRef.Linear(x, w2, null, Rows, N, K), ty);
    });

    [Fact]
    public void TheFusedLayerNormLinearSeesWeightChanges() => OnHost(d =>
    {
        var (x, w, bias) = Data(6);
        var g = Inputs.Uniform(K, 60, 0.5f, 1.5f);
        var b = Inputs.Uniform(K, 61, -0.5f, 0.5f);
        using var tx = Tensor.FromHost(d, new Shape(Rows, K), x);
        using var tg = Tensor.FromHost(d, new Shape(K), g);
        using var tbeta = Tensor.FromHost(d, new Shape(K), b);
        using var tw = Tensor.FromHost(d, new Shape(N, K), w).MarkConstant();
        using var tbias = Tensor.FromHost(d, new Shape(N), bias);
        using var scratch = Tensor.Empty(d, new Shape(Rows, K));
        using var ty = Tensor.Empty(d, new Shape(Rows, N));
        var fused = LayerNormLinear.Op.Version("host");
        LayerNormLinear.Forward(tx, tg, tbeta, 1e-5f, tw, tbias, ty, scratch, GemmEpilogue.Gelu, fused);
        for (int i = 0; i < w.Length; i += 5) w[i] *= 2;
        w.CopyTo(tw.HostSpan<float>());
        tw.MarkModified();
        LayerNormLinear.Forward(tx, tg, tbeta, 1e-5f, tw, tbias, ty, scratch, GemmEpilogue.Gelu, fused);
        Expect(LayerNormLinearRef.Forward(x, g, b, 1e-5f, w, bias, Rows, N, K, gelu: true), ty, 2 * Atol);
    });

    private static (float[] X, float[] W, float[] Bias) Data(int seed) =>
        (Inputs.Uniform(Rows * K, seed), Inputs.Uniform(N * K, seed + 100), Inputs.Uniform(N, seed + 200));

    private static void Expect(float[] expected, Tensor actual, double atol = Atol)
    {
        var c = Closeness.Compare(expected, actual.ToHostFloat(), atol, Rel);
        Assert.True(c.Passed, $"{c.Detail}; max |diff| {c.MaxDiff:E3}");
    }

    // The cache belongs to the host GEMM: run on the fixture's device when it is the host backend, else on a host device.
    private void OnHost(Action<ComputeDevice> test)
    {
        if (fx.Device.Kind == DeviceKind.Cpu)
        {
            test(fx.Device);
            return;
        }
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        test(cpu);
    }
}
