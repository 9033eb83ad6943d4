// Host versions of the Adam/AdamW step and the squared norm for gradient clipping (math in TrainOptim.cs):
//   w = p·decay, g = grad·clip + l2·w, m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², p = w − lr_t·m/(√v/√bc2 + eps).
// The element arithmetic is the kernel's, operation for operation (no fused multiply-adds), so host and simulator
// agree bit for bit; the bias corrections come from the entry point (double on the host, as torch does).
// What bounds it: 16 bytes read and 12 written per parameter; the head has a few thousand parameters, so a call is
// microseconds: it runs on the calling thread (threads would cost more than the work) unless the tensor is large.
// sum_squares keeps the kernels' chunking (chunk partials by TensorPrimitives.SumOfSquares, chunks added in order).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="TrainOptim"/>.</summary>
public static unsafe class TrainOptimHost
{
    /// <summary>The kernel's arguments of one Adam/AdamW step (see <see cref="TrainOptim.Adam"/>).</summary>
    public static void Adam(Tensor p, Tensor grad, Tensor m, Tensor v, float gradScale, float beta1, float beta2, float eps,
        float l2, float decay, float stepSize, float bc2Sqrt)
    {
        nint pp = (nint)p.HostPointer<float>(), gp = (nint)grad.HostPointer<float>(), mp = (nint)m.HostPointer<float>(), vp = (nint)v.HostPointer<float>();
        int n = (int)p.Length;
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 65536), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            var vScale = Vector512.Create(gradScale);
            var vB1 = Vector512.Create(beta1);
            var vB2 = Vector512.Create(beta2);
            var vC1 = Vector512.Create(1f - beta1);
            var vC2 = Vector512.Create(1f - beta2);
            var vL2 = Vector512.Create(l2);
            var vDecay = Vector512.Create(decay);
            var vStep = Vector512.Create(stepSize);
            var vBc2 = Vector512.Create(bc2Sqrt);
            var vEps = Vector512.Create(eps);
            for (int i = start; i < end; i += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, end - i);
                var w = HostVector.Load((float*)pp + i, lanes) * vDecay;
                var g = HostVector.Load((float*)gp + i, lanes) * vScale + vL2 * w;
                var mi = HostVector.Load((float*)mp + i, lanes) * vB1 + vC1 * g;
                var vi = HostVector.Load((float*)vp + i, lanes) * vB2 + vC2 * g * g;
                HostVector.Store(mi, (float*)mp + i, lanes);
                HostVector.Store(vi, (float*)vp + i, lanes);
                HostVector.Store(w - vStep * (mi / (Vector512.Sqrt(vi) / vBc2 + vEps)), (float*)pp + i, lanes);
            }
        });
    }

    /// <summary>Same contract as <see cref="TrainOptim.SumSquares"/>, on host memory.</summary>
    public static void SumSquares(Tensor x, Tensor y, bool accumulate)
    {
        nint xp = (nint)x.HostPointer<float>();
        TrainLinearHost.ChunkedSums((int)x.Length, 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, partial) =>
            partial[0] = TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>((float*)xp + start, end - start)),
            y.HostPointer<float>(), 1f, accumulate);
    }
}
