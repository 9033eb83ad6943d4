using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests.Golden;

/// <summary>LayerNorm v1, v2 and the host version against F.layer_norm (eps 1e-6), with an offset-300 row, a constant row and a NaN row.</summary>
[Collection(DeviceCollection.Name)]
public class LayerNormGoldenTests(DeviceFixture fx)
{
    // Against torch run in float64: our two 96-term float32 sums, |y| ≲ 5 → 1e-5 absolute and relative.
    private const double Abs = 1e-5, Rel = 1e-5;

    // Against torch's own float32 kernel: it is 1.4e-5 off the float64 answer on the offset-300 row, so 3e-5.
    private const double TorchFloat32Abs = 3e-5;
    private const float Eps = 1e-6f;

    [Theory]
    [InlineData(KernelChoice.Simple)]
    [InlineData(KernelChoice.Tiled)]
    [InlineData(KernelChoice.Host)]
    public void MatchesTorch(KernelChoice choice)
    {
        if (choice == KernelChoice.Host && !fx.Device.HasHostMemory) return; // host versions need host-memory tensors
        using var g = new Golden("layer_norm");
        using var x = g.Device(fx.Device, "x");
        using var gamma = g.Device(fx.Device, "gamma");
        using var beta = g.Device(fx.Device, "beta");
        using var y = Tensor.Empty(fx.Device, x.Shape);
        LayerNorm.Forward(x, gamma, beta, y, Eps, choice);
        var actual = y.ToHostFloat();
        Tolerance.AssertClose(g.Host("y_f64"), actual, Abs, Rel, $"layer_norm {choice} vs torch float64 on {fx.Device.Kind}");
        Tolerance.AssertClose(g.Host("y"), actual, TorchFloat32Abs, Rel, $"layer_norm {choice} vs torch float32 on {fx.Device.Kind}");
    }
}
