using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests.Golden;

/// <summary>Activations against torch 1.13 (F.gelu exact, sigmoid, relu, F.silu(a)*b) on special values and randn·4.</summary>
[Collection(DeviceCollection.Name)]
public class ActivationGoldenTests(DeviceFixture fx)
{
    // Elementwise tolerance: both sides round once per transcendental; torch's own erf/exp differ from ours by ulps.
    private const double Abs = Tolerance.ElementwiseAbs, Rel = Tolerance.ElementwiseRel;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (op, row) in new (string, IOp)[] { ("gelu", Activation.GeluErfOp), ("sigmoid", Activation.SigmoidOp), ("relu", Activation.ReluOp), ("silu_mul", Activation.SiLUMulOp) })
            foreach (var v in row.Versions) data.Add(op, v.FullName);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(string op, string version)
    {
        var choice = OpTable.Version(version);
        if (!choice.RunsOn(fx.Device)) return; // host versions need host-memory tensors
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
