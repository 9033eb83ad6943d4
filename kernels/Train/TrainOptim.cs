// Adam / AdamW parameter updates with torch.optim semantics (torch 1.13 single-tensor path), and the squared norm
// used by gradient clipping (torch.nn.utils.clip_grad_norm_):
//   g ← grad·clip_scale;  Adam: g ← g + wd·p  |  AdamW: p ← p·(1 − lr·wd)   (decoupled decay, before the moments)
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
// The bias corrections and step size are computed on the host in double, as torch does in Python.
// v1: one thread per parameter element (a few thousand for the head: launch-bound, not bandwidth-bound).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Adam/AdamW update and the squared L2 norm of a vector.</summary>
public static partial class TrainOptim
{
    [Kernel("adam_step")]
    internal static void AdamV1(Index1D i, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v,
        float gradScale, float beta1, float beta2, float eps, float l2, float decay, float stepSize, float bc2Sqrt)
    {
        float w = p[i] * decay;
        float g = grad[i] * gradScale + l2 * w;
        float mi = m[i] * beta1 + (1f - beta1) * g;
        float vi = v[i] * beta2 + (1f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] = w - stepSize * (mi / (XMath.Sqrt(vi) / bc2Sqrt + eps));
    }

    // partial[chunk] = Σ_{k in chunk} x[k]².
    [Kernel("sum_squares")]
    internal static void SumSquaresPartialV1(Index1D i, ArrayView<float> x, ArrayView<float> partial, int n, int chunkRows)
    {
        int start = i * chunkRows, end = n - start < chunkRows ? n : start + chunkRows;
        float acc = 0f;
        for (int k = start; k < end; k++) acc += x[k] * x[k];
        partial[i] = acc;
    }

    /// <summary>
    /// One Adam (<paramref name="decoupled"/> false: L2 decay added to the gradient) or AdamW (true: p·(1 − lr·wd)
    /// first) update of <paramref name="p"/> in place; <paramref name="step"/> is 1 for the first update.
    /// </summary>
    public static void Adam(Tensor p, Tensor grad, Tensor m, Tensor v, int step, double lr, double beta1, double beta2,
        double eps, double weightDecay, bool decoupled, float gradScale = 1f, OpVersion? version = null)
    {
        if (grad.Length != p.Length || m.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException($"adam: p {p.Shape}, grad {grad.Shape}, m {m.Shape}, v {v.Shape} differ");
        if (step < 1) throw new ArgumentException($"adam: step counts from 1, got {step}");
        AdamOp.Run(p.Device, (p, grad, m, v, step, lr, beta1, beta2, eps, weightDecay, decoupled, gradScale), version);
    }

    /// <summary>The op row: ~12 FLOPs per parameter; p, m, v read and written, the gradient read.</summary>
    public static readonly Op<(Tensor P, Tensor Grad, Tensor M, Tensor V, int Step, double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled, float GradScale)> AdamOp = OpRows.PerElement<(Tensor P, Tensor Grad, Tensor M, Tensor V, int Step, double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled, float GradScale)>("adam_step",
        "one Adam / AdamW update of p in place (torch.optim.Adam / AdamW)", "TrainRef.Adam",
        a => a.P.Length, 12, 28, "TrainOptim.AdamV1", call =>
        {
            var (p, grad, m, v, step, lr, beta1, beta2, eps, weightDecay, decoupled, gradScale) = call;
            double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
            LaunchAdamV1(p.Device, (int)p.Length, p.View, grad.View, m.View, v.View, gradScale, (float)beta1, (float)beta2, (float)eps,
                decoupled ? 0f : (float)weightDecay, decoupled ? (float)(1 - lr * weightDecay) : 1f, (float)(lr / bc1), (float)Math.Sqrt(bc2));
        }, "one thread per parameter")
        .WithHost(a => AdamHost(a));

    /// <summary>y[0] (+)= Σ x² (deterministic chunked sum).</summary>
    public static void SumSquares(Tensor x, Tensor y, bool accumulate = false, OpVersion? version = null)
    {
        SumSquaresOp.Run(x.Device, (x, y, accumulate), version);
    }

    /// <summary>The op row: one FMA per element; x read once.</summary>
    public static readonly Op<(Tensor X, Tensor Y, bool Accumulate)> SumSquaresOp = new Op<(Tensor X, Tensor Y, bool Accumulate)>("sum_squares",
        "y[0] (+)= Σ x² (gradient-norm clipping)", "TrainRef.SumSquares",
        call => 2.0 * call.X.Length, call => 4.0 * call.X.Length,
        [new("sum_squares", "chunked-rows", VersionKind.Simple,
            "partial sums per chunk, then a chunk sum (deterministic)", ["TrainOptim.SumSquaresPartialV1", "TrainLinear.SumChunksV1"], call =>
        {
            var (x, y, accumulate) = call;
            int n = (int)x.Length, rows = TrainLinear.ChunkRows(n), chunks = TrainLinear.Chunks(n);
            using var partial = Tensor.Empty(x.Device, new Shape(chunks));
            LaunchSumSquaresPartialV1(x.Device, chunks, x.View, partial.View, n, rows);
            TrainLinear.LaunchSumChunksV1(x.Device, 1, partial.View, y.View, chunks, 1, 1f, accumulate ? 1 : 0);
        })])
        .WithHost(a => TrainOptimHost.SumSquares(a.X, a.Y, a.Accumulate));

    // The host version takes the folded constants the kernel takes.
    private static void AdamHost((Tensor P, Tensor Grad, Tensor M, Tensor V, int Step, double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled, float GradScale) a)
    {
        double bc1 = 1 - Math.Pow(a.Beta1, a.Step), bc2 = 1 - Math.Pow(a.Beta2, a.Step);
        TrainOptimHost.Adam(a.P, a.Grad, a.M, a.V, a.GradScale, (float)a.Beta1, (float)a.Beta2, (float)a.Eps, a.Decoupled ? 0f : (float)a.WeightDecay,
            a.Decoupled ? (float)(1 - a.Lr * a.WeightDecay) : 1f, (float)(a.Lr / bc1), (float)Math.Sqrt(bc2));
    }
}
