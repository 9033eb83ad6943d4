// Elementwise ops: y = a + b, y = a * b, y[r, c] = x[r, c] + bias[c].
// PyTorch: torch.add, torch.mul, x + bias (broadcast over rows).
// v1: one thread per element, implicitly grouped (memory bound: 12 B/element for add; on an H100 at ~3 TB/s
//     that is ~250 G elements/s, so these only matter when not fused into a neighbour).
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Elementwise add, multiply and row-bias kernels.</summary>
public static partial class Elementwise
{
    [Kernel("add")]
    internal static void AddV1(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) => y[i] = a[i] + b[i];

    [Kernel("mul")]
    internal static void MulV1(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) => y[i] = a[i] * b[i];

    // x is (R, C) row-major; bias is (C). Index2D(x = column, y = row) keeps neighbouring threads on neighbouring columns.
    [Kernel("bias")]
    internal static void BiasV1(Index2D i, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int cols)
    {
        int k = i.Y * cols + i.X;
        y[k] = x[k] + bias[i.X];
    }

    /// <summary>y = a + b (same shape); y may alias a or b.</summary>
    public static void Add(Tensor a, Tensor b, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        SameLength(a, b, y, "add");
        if (choice.UseHost(a.Device)) { ElementwiseHost.Add(a, b, y); return; }
        LaunchAddV1(a.Device, (int)a.Length, a.View, b.View, y.View);
    }

    /// <summary>y = a * b (same shape); y may alias a or b.</summary>
    public static void Mul(Tensor a, Tensor b, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        SameLength(a, b, y, "mul");
        if (choice.UseHost(a.Device)) { ElementwiseHost.Mul(a, b, y); return; }
        LaunchMulV1(a.Device, (int)a.Length, a.View, b.View, y.View);
    }

    /// <summary>y[..., c] = x[..., c] + bias[c]; y may alias x.</summary>
    public static void Bias(Tensor x, Tensor bias, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        int cols = x.Shape[-1];
        if (bias.Length != cols || y.Length != x.Length)
            throw new ArgumentException($"bias: x {x.Shape}, bias {bias.Shape}, y {y.Shape} do not match");
        if (choice.UseHost(x.Device)) { ElementwiseHost.Bias(x, bias, y); return; }
        LaunchBiasV1(x.Device, new Index2D(cols, (int)(x.Length / Math.Max(cols, 1))), x.View, bias.View, y.View, cols);
    }

    private static void SameLength(Tensor a, Tensor b, Tensor y, string op)
    {
        if (a.Length != b.Length || a.Length != y.Length)
            throw new ArgumentException($"{op}: shapes {a.Shape}, {b.Shape}, {y.Shape} differ");
    }
}
