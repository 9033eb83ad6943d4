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
    public static void Add(Tensor a, Tensor b, Tensor y, OpVersion? version = null)
    {
        SameLength(a, b, y, "add");
        AddOp.Run(a.Device, (a, b, y), version);
    }

    /// <summary>The op row: one FLOP and 12 bytes per element.</summary>
    public static readonly Op<(Tensor A, Tensor B, Tensor Y)> AddOp = OpRows.PerElement<(Tensor A, Tensor B, Tensor Y)>("add",
        "y = a + b (same shape)", "ElementwiseRef.Add", a => a.A.Length, 1, 12, "Elementwise.AddV1",
        a => LaunchAddV1(a.A.Device, (int)a.A.Length, a.A.View, a.B.View, a.Y.View))
        .WithHost(a => ElementwiseHost.Add(a.A, a.B, a.Y));

    /// <summary>y = a * b (same shape); y may alias a or b.</summary>
    public static void Mul(Tensor a, Tensor b, Tensor y, OpVersion? version = null)
    {
        SameLength(a, b, y, "mul");
        MulOp.Run(a.Device, (a, b, y), version);
    }

    /// <summary>The op row: one FLOP and 12 bytes per element.</summary>
    public static readonly Op<(Tensor A, Tensor B, Tensor Y)> MulOp = OpRows.PerElement<(Tensor A, Tensor B, Tensor Y)>("mul",
        "y = a * b (same shape)", "ElementwiseRef.Mul", a => a.A.Length, 1, 12, "Elementwise.MulV1",
        a => LaunchMulV1(a.A.Device, (int)a.A.Length, a.A.View, a.B.View, a.Y.View))
        .WithHost(a => ElementwiseHost.Mul(a.A, a.B, a.Y));

    /// <summary>y[..., c] = x[..., c] + bias[c]; y may alias x.</summary>
    public static void Bias(Tensor x, Tensor bias, Tensor y, OpVersion? version = null)
    {
        int cols = x.Shape[-1];
        if (bias.Length != cols || y.Length != x.Length)
            throw new ArgumentException($"bias: x {x.Shape}, bias {bias.Shape}, y {y.Shape} do not match");
        BiasOp.Run(x.Device, (x, bias, y, cols), version);
    }

    /// <summary>The op row: one add per element; x read, y written, bias once.</summary>
    public static readonly Op<(Tensor X, Tensor Bias, Tensor Y, int Cols)> BiasOp = new Op<(Tensor X, Tensor Bias, Tensor Y, int Cols)>("bias",
        "y[..., c] = x[..., c] + bias[c]", "ElementwiseRef.Bias",
        call => call.X.Length, call => 4.0 * (2.0 * call.X.Length + call.Cols),
        [new("bias", "thread-per-element", VersionKind.Simple,
            "one thread per element", ["Elementwise.BiasV1"], call =>
        {
            var (x, bias, y, cols) = call;
            LaunchBiasV1(x.Device, new Index2D(cols, (int)(x.Length / Math.Max(cols, 1))), x.View, bias.View, y.View, cols);
        })])
        .WithHost(a => ElementwiseHost.Bias(a.X, a.Bias, a.Y));

    private static void SameLength(Tensor a, Tensor b, Tensor y, string op)
    {
        if (a.Length != b.Length || a.Length != y.Length)
            throw new ArgumentException($"{op}: shapes {a.Shape}, {b.Shape}, {y.Shape} differ");
    }
}
