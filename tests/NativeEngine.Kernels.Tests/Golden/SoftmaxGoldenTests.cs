using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests.Golden;

/// <summary>Softmax v1, v2 and the host version against torch.softmax(x, -1), including torch's NaN rows (all −∞, +∞, NaN).</summary>
[Collection(DeviceCollection.Name)]
public class SoftmaxGoldenTests(DeviceFixture fx)
{
    // Outputs ≤ 1 from a float32 exp and a ≤ 40-term sum on both sides: the elementwise tolerance holds.
    private const double Abs = 1e-6, Rel = 1e-5;

    [Theory]
    [InlineData("special", KernelChoice.Simple)]
    [InlineData("special", KernelChoice.Tiled)]
    [InlineData("x", KernelChoice.Simple)]
    [InlineData("x", KernelChoice.Tiled)]
    [InlineData("special", KernelChoice.Host)]
    [InlineData("x", KernelChoice.Host)]
    public void MatchesTorch(string input, KernelChoice choice)
    {
        if (choice == KernelChoice.Host && !fx.Device.HasHostMemory) return; // host versions need host-memory tensors
        using var g = new Golden("softmax");
        using var x = g.Device(fx.Device, input);
        using var y = Tensor.Empty(fx.Device, x.Shape);
        Softmax.Rows(x, y, choice);
        Tolerance.AssertClose(g.Host(input + "_out"), y.ToHostFloat(), Abs, Rel, $"softmax {input} {choice} vs torch on {fx.Device.Kind}");
    }
}
