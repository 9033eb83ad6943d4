using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests.Golden;

/// <summary>GEMM v1, v2 and the host version against torch.addmm / matmul / bmm / F.linear (+ F.gelu), every transpose and batch form.</summary>
[Collection(DeviceCollection.Name)]
public class GemmGoldenTests(DeviceFixture fx)
{
    // Both sides accumulate K float32 products of U(-1,1) values in different orders (torch/MKL blocks K): 1e-6·K.
    private static double Atol(int k) => 1e-6 * k;
    private const double Rel = 1e-5;

    public static TheoryData<string, string> Outputs() =>
        Versions.Cross(Gemm.Op, "addmm", "tt", "alpha_beta", "bmm", "shared", "linear", "linear_gelu");

    [Theory]
    [MemberData(nameof(Outputs))]
    public void MatchesTorch(string output, string version)
    {
        var d = fx.Device;
        var choice = OpTable.Version(version);
        if (!choice.RunsOn(d)) return;
        using var g = new Golden("gemm");
        using var y = Tensor.Empty(d, new Shape(g.ShapeOf(output)));
        int k;
        switch (output)
        {
            case "addmm":
            {
                using Tensor a = g.Device(d, "a"), b = g.Device(d, "b"), bias = g.Device(d, "bias");
                Gemm.Matmul(a, b, y, bias: bias, version: choice);
                k = a.Shape[1];
                break;
            }
            case "tt":
            {
                using Tensor a = g.Device(d, "at"), b = g.Device(d, "bt");
                Gemm.Matmul(a, b, y, transA: true, transB: true, version: choice);
                k = a.Shape[0];
                break;
            }
            case "alpha_beta":
            {
                using Tensor a = g.Device(d, "a2"), b = g.Device(d, "b2"), c = g.Device(d, "c");
                c.CopyTo(y);
                Gemm.Matmul(a, b, y, alpha: 2f, beta: 0.5f, version: choice);
                k = a.Shape[1];
                break;
            }
            case "bmm" or "shared":
            {
                using Tensor a = g.Device(d, "a3"), b = g.Device(d, output == "bmm" ? "b3" : "bs");
                Gemm.Matmul(a, b, y, version: choice);
                k = a.Shape[2];
                break;
            }
            default:
            {
                using Tensor x = g.Device(d, "x"), w = g.Device(d, "w"), lb = g.Device(d, "lb");
                Gemm.Linear(x, w, lb, y, output == "linear_gelu" ? GemmEpilogue.Gelu : GemmEpilogue.None, choice);
                k = x.Shape[2];
                break;
            }
        }
        Tolerance.AssertClose(g.Host(output), y.ToHostFloat(), Atol(k), Rel, $"gemm {output} {choice} vs torch on {d.Kind}");
    }

    [Fact]
    public void ShapeErrorsNameTheTensor()
    {
        var d = fx.Device;
        using var a = Tensor.Zeros(d, new Shape(4, 5));
        using var b = Tensor.Zeros(d, new Shape(6, 7));
        using var c = Tensor.Zeros(d, new Shape(4, 7));
        var e = Assert.Throws<ArgumentException>(() => Gemm.Matmul(a, b, c));
        Assert.Contains("(5, N)", e.Message);
        Assert.Contains("[6,7]", e.Message);
        using var w = Tensor.Zeros(d, new Shape(7, 5));
        using var y = Tensor.Zeros(d, new Shape(4, 6));
        e = Assert.Throws<ArgumentException>(() => Gemm.Linear(a, w, null, y));
        Assert.Contains("linear y", e.Message);
    }
}
