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

    [Theory]
    [InlineData("addmm", KernelChoice.Simple)]
    [InlineData("addmm", KernelChoice.Tiled)]
    [InlineData("addmm", KernelChoice.Host)]
    [InlineData("tt", KernelChoice.Simple)]
    [InlineData("tt", KernelChoice.Tiled)]
    [InlineData("tt", KernelChoice.Host)]
    [InlineData("alpha_beta", KernelChoice.Simple)]
    [InlineData("alpha_beta", KernelChoice.Tiled)]
    [InlineData("alpha_beta", KernelChoice.Host)]
    [InlineData("bmm", KernelChoice.Simple)]
    [InlineData("bmm", KernelChoice.Tiled)]
    [InlineData("bmm", KernelChoice.Host)]
    [InlineData("shared", KernelChoice.Simple)]
    [InlineData("shared", KernelChoice.Tiled)]
    [InlineData("shared", KernelChoice.Host)]
    [InlineData("linear", KernelChoice.Simple)]
    [InlineData("linear", KernelChoice.Tiled)]
    [InlineData("linear", KernelChoice.Host)]
    [InlineData("linear_gelu", KernelChoice.Simple)]
    [InlineData("linear_gelu", KernelChoice.Tiled)]
    [InlineData("linear_gelu", KernelChoice.Host)]
    public void MatchesTorch(string output, KernelChoice choice)
    {
        var d = fx.Device;
        using var g = new Golden("gemm");
        using var y = Tensor.Empty(d, new Shape(g.ShapeOf(output)));
        int k;
        switch (output)
        {
            case "addmm":
            {
                using Tensor a = g.Device(d, "a"), b = g.Device(d, "b"), bias = g.Device(d, "bias");
                Gemm.Matmul(a, b, y, bias: bias, choice: choice);
                k = a.Shape[1];
                break;
            }
            case "tt":
            {
                using Tensor a = g.Device(d, "at"), b = g.Device(d, "bt");
                Gemm.Matmul(a, b, y, transA: true, transB: true, choice: choice);
                k = a.Shape[0];
                break;
            }
            case "alpha_beta":
            {
                using Tensor a = g.Device(d, "a2"), b = g.Device(d, "b2"), c = g.Device(d, "c");
                c.CopyTo(y);
                Gemm.Matmul(a, b, y, alpha: 2f, beta: 0.5f, choice: choice);
                k = a.Shape[1];
                break;
            }
            case "bmm" or "shared":
            {
                using Tensor a = g.Device(d, "a3"), b = g.Device(d, output == "bmm" ? "b3" : "bs");
                Gemm.Matmul(a, b, y, choice: choice);
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
