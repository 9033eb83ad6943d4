using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests.Golden;

/// <summary>Softmax v1 and v2 against torch.softmax(x, -1), including torch's NaN rows (all −∞, +∞, NaN).</summary>
[Collection(DeviceCollection.Name)]
public class SoftmaxGoldenTests(DeviceFixture fx)
{
    // Outputs ≤ 1 from a float32 exp and a ≤ 40-term sum on both sides: the elementwise tolerance holds.
    private const double Abs = 1e-6, Rel = 1e-5;

    public static TheoryData<string, string> Inputs() => Versions.Cross(Softmax.Op, "special", "x");

    [Theory]
    [MemberData(nameof(Inputs))]
    public void MatchesTorch(string input, string version)
    {
        var choice = OpTable.Version(version);
        if (!choice.RunsOn(fx.Device)) return;
        using var g = new Golden("softmax");
        using var x = g.Device(fx.Device, input);
        using var y = Tensor.Empty(fx.Device, x.Shape);
        Softmax.Rows(x, y, choice);
        Tolerance.AssertClose(g.Host(input + "_out"), y.ToHostFloat(), Abs, Rel, $"softmax {input} {choice} vs torch on {fx.Device.Kind}");
    }
}
