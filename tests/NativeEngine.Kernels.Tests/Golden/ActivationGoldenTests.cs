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
    [InlineData("gelu")]
    [InlineData("sigmoid")]
    [InlineData("relu")]
    [InlineData("silu_mul")]
    public void MatchesTorch(string op)
    {
        using var g = new Golden("activation");
        using var x = g.Device(fx.Device, "x");
        using var b = g.Device(fx.Device, "b");
        using var y = Tensor.Empty(fx.Device, x.Shape);
        switch (op)
        {
            case "gelu": Activation.GeluErf(x, y); break;
            case "sigmoid": Activation.Sigmoid(x, y); break;
            case "relu": Activation.Relu(x, y); break;
            case "silu_mul": Activation.SiLUMul(x, b, y); break;
        }
        Tolerance.AssertClose(g.Host(op), y.ToHostFloat(), Abs, Rel, $"{op} vs torch on {fx.Device.Kind}");
    }
}
