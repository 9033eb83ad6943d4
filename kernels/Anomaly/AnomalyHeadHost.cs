// Host versions of the per-pixel anomaly head and the window stitching (math in AnomalyHead.cs):
//   logit = w3·relu(W2·relu(W1·x + b1) + b2) + b3 per pixel, x = [4 stats | Ce extra]; score = σ(Σ windows / count).
// What bounds it: the head is H1·Cin + H2·H1 + H2 MACs per pixel (2.3 k for the seed's 4→64→32→1, 3.3 k hybrid):
// EoMT-B-640's 0.41 M output pixels are 1.9 GFLOP against 8 MB of input: compute-bound, ~5 ms at the 2-core Zen 5's
// ~380 GFLOP/s FMA peak. The window ops are streams (8–12 bytes per pixel, no reuse): bandwidth-bound.
// Loops: 16 pixels per zmm. Layer 1 keeps its H1 hidden vectors in a scratch of H1 zmm (4 KB at H1 = 64: L1);
// layer 2 walks them once per 4 output units (4 accumulators; per hidden unit 1 load + 4 broadcast-FMAs, the weights
// ~10 KB stay in L1). The window ops are one vector pass over each row.
// Optimisations: vectorised across pixels (not across the tiny hidden dims) so every lane does useful work at any H;
// weights broadcast from memory (embedded broadcasts on AVX-512).
using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="AnomalyHeadKernels"/>.</summary>
public static unsafe class AnomalyHeadHost
{
    /// <summary>Same contract as <see cref="AnomalyHeadKernels.Forward"/>, on host memory.</summary>
    public static void Forward(PackedHead head, Tensor stats, Tensor? extra, Tensor logit)
    {
        int b = stats.Shape[0], hw = stats.Shape[2] * stats.Shape[3];
        int ce = head.InputDim - UncertaintyStats.Count, h1 = head.Hidden1, h2 = head.Hidden2, cin = head.InputDim;
        nint sp = (nint)stats.HostPointer<float>(), lp = (nint)logit.HostPointer<float>(), wp = (nint)head.Params.HostPointer<float>();
        nint ep = ce > 0 ? (nint)extra!.HostPointer<float>() : 0;
        HostSplit.ForBlocks(b, hw, HostSplit.BlockFor((long)b * hw, 256), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            float* sn = (float*)sp + (long)n * UncertaintyStats.Count * hw, en = (float*)ep + (long)n * ce * hw, ln = (float*)lp + (long)n * hw;
            if (HostSimd.Wide) ForwardBlock<Simd512, Vector512<float>>((float*)wp, cin, h1, h2, sn, en, ce, hw, ln, start, end);
            else ForwardBlock<Simd256, Vector256<float>>((float*)wp, cin, h1, h2, sn, en, ce, hw, ln, start, end);
        });
    }

    // One block of pixels: Cin input vectors and the H1 hidden vectors in a pooled scratch (L1).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock<TS, TV>(float* w, int cin, int h1, int h2, float* sn, float* e, int ce, int hw, float* logit, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var buf = ArrayPool<TV>.Shared.Rent(h1 + cin);
        try
        {
            fixed (TV* hidden = buf)
            {
                TV* x = hidden + h1;
                for (int r = start; r < end; r += TS.Lanes)
                {
                    int lanes = Math.Min(TS.Lanes, end - r);
                    for (int c = 0; c < UncertaintyStats.Count; c++) x[c] = HostSimd.LoadTail<TS, TV>(sn + (long)c * hw + r, lanes);
                    for (int c = 0; c < ce; c++) x[UncertaintyStats.Count + c] = HostSimd.LoadTail<TS, TV>(e + (long)c * hw + r, lanes); // extra features are channel planes (B,Ce,H,W)
                    HostSimd.StoreTail<TS, TV>(logit + r, Mlp<TS, TV>(w, cin, h1, h2, x, hidden), lanes);
                }
            }
        }
        finally
        {
            ArrayPool<TV>.Shared.Return(buf);
        }
    }

    /// <summary>The packed MLP (W1|b1|W2|b2|w3|b3) on one vector of pixels: x holds Cin vectors, hidden is scratch for H1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static TV Mlp<TS, TV>(float* w, int cin, int h1, int h2, TV* x, TV* hidden) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int b1 = h1 * cin, w2 = b1 + h1, b2 = w2 + h2 * h1, w3 = b2 + h2, b3 = w3 + h2;
        for (int i = 0; i < h1; i++)
        {
            float* row = w + i * cin;
            var pre = TS.Splat(w[b1 + i]);
            for (int c = 0; c < cin; c++) pre = TS.Fma(TS.Splat(row[c]), x[c], pre);
            hidden[i] = TS.Max(pre, TS.Zero);
        }
        var y = TS.Splat(w[b3]);
        int j = 0;
        for (; j + 4 <= h2; j += 4)
        {
            float* r0 = w + w2 + j * h1, r1 = r0 + h1, r2 = r1 + h1, r3 = r2 + h1;
            TV a0 = TS.Splat(w[b2 + j]), a1 = TS.Splat(w[b2 + j + 1]);
            TV a2 = TS.Splat(w[b2 + j + 2]), a3 = TS.Splat(w[b2 + j + 3]);
            for (int i = 0; i < h1; i++)
            {
                var h = hidden[i];
                a0 = TS.Fma(TS.Splat(r0[i]), h, a0);
                a1 = TS.Fma(TS.Splat(r1[i]), h, a1);
                a2 = TS.Fma(TS.Splat(r2[i]), h, a2);
                a3 = TS.Fma(TS.Splat(r3[i]), h, a3);
            }
            y = TS.Fma(TS.Splat(w[w3 + j]), TS.Max(a0, TS.Zero), y);
            y = TS.Fma(TS.Splat(w[w3 + j + 1]), TS.Max(a1, TS.Zero), y);
            y = TS.Fma(TS.Splat(w[w3 + j + 2]), TS.Max(a2, TS.Zero), y);
            y = TS.Fma(TS.Splat(w[w3 + j + 3]), TS.Max(a3, TS.Zero), y);
        }
        for (; j < h2; j++)
        {
            float* r0 = w + w2 + j * h1;
            var a0 = TS.Splat(w[b2 + j]);
            for (int i = 0; i < h1; i++) a0 = TS.Fma(TS.Splat(r0[i]), hidden[i], a0);
            y = TS.Fma(TS.Splat(w[w3 + j]), TS.Max(a0, TS.Zero), y);
        }
        return y;
    }

    /// <summary>Same contract as <see cref="AnomalyHeadKernels.AccumulateWindow"/>, on host memory.</summary>
    public static void AccumulateWindow(Tensor window, Tensor sum, Tensor count, int y0, int x0)
    {
        int wh = window.Shape[-2], ww = window.Shape[-1], w = sum.Shape[-1];
        var win = window.HostSpan<float>();
        var s = sum.HostSpan<float>();
        var c = count.HostSpan<float>();
        for (int i = 0; i < wh; i++)
        {
            int o = (y0 + i) * w + x0;
            TensorPrimitives.Add(s.Slice(o, ww), win.Slice(i * ww, ww), s.Slice(o, ww));
            TensorPrimitives.Add(c.Slice(o, ww), 1f, c.Slice(o, ww));
        }
    }

    /// <summary>Same contract as <see cref="AnomalyHeadKernels.Score"/> (sigmoid after) or <see cref="AnomalyHeadKernels.Average"/>.</summary>
    public static void Average(Tensor sum, Tensor count, Tensor result, bool sigmoid)
    {
        nint sp = (nint)sum.HostPointer<float>(), cp = (nint)count.HostPointer<float>(), rp = (nint)result.HostPointer<float>();
        HostSplit.ForBlocks(1, (int)sum.Length, HostSplit.BlockFor(sum.Length, 16384), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            if (HostSimd.Wide) AverageBlock<Simd512, Vector512<float>>((float*)sp, (float*)cp, (float*)rp, start, end, sigmoid);
            else AverageBlock<Simd256, Vector256<float>>((float*)sp, (float*)cp, (float*)rp, start, end, sigmoid);
        });
    }

    // Full vectors with plain loads and stores, then at most one ragged tail (the tail path spills through the stack).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AverageBlock<TS, TV>(float* sum, float* count, float* result, int start, int end, bool sigmoid)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int i = start;
        for (; i + TS.Lanes <= end; i += TS.Lanes) TS.Store(result + i, Average<TS, TV>(TS.Load(sum + i), TS.Load(count + i), sigmoid));
        if (i < end)
            HostSimd.StoreTail<TS, TV>(result + i, Average<TS, TV>(HostSimd.LoadTail<TS, TV>(sum + i, end - i), HostSimd.LoadTail<TS, TV>(count + i, end - i), sigmoid), end - i);
    }

    // sum / max(count, 1), then σ when scoring.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Average<TS, TV>(TV sum, TV count, bool sigmoid) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var l = TS.Div(sum, TS.Max(count, TS.One));
        return sigmoid ? HostMath.Sigmoid<TS, TV>(l) : l;
    }
}
