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
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 65536), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            var k = new AdamConstants(gradScale, beta1, beta2, eps, l2, decay, stepSize, bc2Sqrt);
            if (HostSimd.Wide) AdamBlock<Simd512, Vector512<float>>((float*)pp, (float*)gp, (float*)mp, (float*)vp, start, end, k);
            else AdamBlock<Simd256, Vector256<float>>((float*)pp, (float*)gp, (float*)mp, (float*)vp, start, end, k);
        });
    }

    private readonly record struct AdamConstants(float Scale, float Beta1, float Beta2, float Eps, float L2, float Decay, float Step, float Bc2Sqrt);

    // Full vectors with plain loads and stores, then at most one ragged tail.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AdamBlock<TS, TV>(float* pp, float* gp, float* mp, float* vp, int start, int end, AdamConstants k)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int i = start;
        for (; i + TS.Lanes <= end; i += TS.Lanes)
        {
            AdamStep<TS, TV>(TS.Load(pp + i), TS.Load(gp + i), TS.Load(mp + i), TS.Load(vp + i), k, out var w, out var m, out var v);
            TS.Store(mp + i, m);
            TS.Store(vp + i, v);
            TS.Store(pp + i, w);
        }
        if (i == end) return;
        int n = end - i;
        AdamStep<TS, TV>(HostSimd.LoadTail<TS, TV>(pp + i, n), HostSimd.LoadTail<TS, TV>(gp + i, n), HostSimd.LoadTail<TS, TV>(mp + i, n),
            HostSimd.LoadTail<TS, TV>(vp + i, n), k, out var wt, out var mt, out var vt);
        HostSimd.StoreTail<TS, TV>(mp + i, mt, n);
        HostSimd.StoreTail<TS, TV>(vp + i, vt, n);
        HostSimd.StoreTail<TS, TV>(pp + i, wt, n);
    }

    // The kernel's element arithmetic, operation for operation (no fused multiply-adds).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdamStep<TS, TV>(TV p, TV grad, TV m, TV v, AdamConstants k, out TV pOut, out TV mOut, out TV vOut)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var w = TS.Mul(p, TS.Splat(k.Decay));
        var g = TS.Add(TS.Mul(grad, TS.Splat(k.Scale)), TS.Mul(TS.Splat(k.L2), w));
        mOut = TS.Add(TS.Mul(m, TS.Splat(k.Beta1)), TS.Mul(TS.Splat(1f - k.Beta1), g));
        vOut = TS.Add(TS.Mul(v, TS.Splat(k.Beta2)), TS.Mul(TS.Mul(TS.Splat(1f - k.Beta2), g), g));
        pOut = TS.Sub(w, TS.Mul(TS.Splat(k.Step), TS.Div(mOut, TS.Add(TS.Div(TS.Sqrt(vOut), TS.Splat(k.Bc2Sqrt)), TS.Splat(k.Eps)))));
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
