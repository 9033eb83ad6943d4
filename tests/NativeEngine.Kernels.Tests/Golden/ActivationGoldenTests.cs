using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests.Golden;

/// <summary>Activations against torch 1.13 (F.gelu exact, sigmoid, relu, F.silu(a)*b) on special values and randn·4.</summary>
[Collection(DeviceCollection.Name)]
public class ActivationGoldenTests(DeviceFixture fx)
{
    // Elementwise tolerance: both sides round once per transcendental; torch's own erf/exp differ from ours by ulps.
    private const double Abs = Tolerance.ElementwiseAbs, Rel = Tolerance.ElementwiseRel;

    [Theory]
    [InlineData("gelu", KernelChoice.Simple)]
    [InlineData("sigmoid", KernelChoice.Simple)]
    [InlineData("relu", KernelChoice.Simple)]
    [InlineData("silu_mul", KernelChoice.Simple)]
    [InlineData("gelu", KernelChoice.Host)]
    [InlineData("sigmoid", KernelChoice.Host)]
    [InlineData("relu", KernelChoice.Host)]
    [InlineData("silu_mul", KernelChoice.Host)]
    public void MatchesTorch(string op, KernelChoice choice)
    {
        if (choice == KernelChoice.Host && !fx.Device.HasHostMemory) return; // host versions need host-memory tensors
        using var g = new Golden("activation");
        using var x = g.Device(fx.Device, "x");
        using var b = g.Device(fx.Device, "b");
        using var y = Tensor.Empty(fx.Device, x.Shape);
        switch (op)
        {
            case "gelu": Activation.GeluErf(x, y, choice); break;
            case "sigmoid": Activation.Sigmoid(x, y, choice); break;
            case "relu": Activation.Relu(x, y, choice); break;
            case "silu_mul": Activation.SiLUMul(x, b, y, choice); break;
        }
        Tolerance.AssertClose(g.Host(op), y.ToHostFloat(), Abs, Rel, $"{op} {choice} vs torch on {fx.Device.Kind}");
    }
}
