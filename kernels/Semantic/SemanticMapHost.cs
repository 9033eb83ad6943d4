// Host version of the semantic map (see SemanticMap.cs for the math and the PyTorch equivalent):
//   prob[b, q, :] = softmax(classLogits[b, q, :])   (K+1 wide, max-shifted; B·Q rows, tiny)
//   map[b, k, p]  = Σ_q prob[b, q, k] · σ(mask[b, q, p])     k < K
// What bounds it: per pixel Q exps and K·Q FMAs. EoMT-B-640 at the output size (Q = 100, K = 19, 640² pixels):
// 0.41 M px · 100 = 41 M exps and 2·19·100·0.41 M = 1.6 GFLOP against 164 MB of mask logits read and 31 MB written.
// A 2-core Zen 5 (2 × 2 FMA pipes × 16 lanes × ~3 GHz ≈ 380 GFLOP/s, ~20 GB/s copy) does the FMAs in ~5 ms and
// streams the bytes in ~10 ms: bandwidth-bound by a small margin, so one read of the logits is what matters.
// Loops:
//   work item = a block of pixels of one batch item (HostSplit.ForBlocks; ~4 items per core).
//   per 16 pixels: the Q sigmoids go to a per-item buffer of Q vectors (6.4 KB at Q = 100: L1), then the classes
//   are accumulated 4 at a time: per query one sigmoid load and 4 broadcast-FMAs (5 loads : 4 FMAs, registers:
//   4 accumulators + 1 operand), the probabilities read k-major from a transposed (K, Q) copy made once per call.
// Optimisations: σ computed once per (q, pixel), never written to memory; the softmax'd probabilities transposed so
// the class loop reads them contiguously.
using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="SemanticMap"/> (class softmax and the sigmoid-weighted query sum).</summary>
public static unsafe class SemanticMapHost
{
    /// <summary>Same contract as <see cref="SemanticMap.Forward"/>, on host memory.</summary>
    public static void Forward(Tensor maskLogits, Tensor classLogits, Tensor map)
    {
        int b = maskLogits.Shape[0], q = maskLogits.Shape[1], hw = maskLogits.Shape[2] * maskLogits.Shape[3];
        int width = classLogits.Shape[2], k = width - 1;
        var probs = ArrayPool<float>.Shared.Rent(Math.Max(1, b * q * width));
        try
        {
            ClassProbs(classLogits.HostSpan<float>()[..(b * q * width)], probs.AsSpan(0, b * q * width), width);
            fixed (float* p = probs)
                Map(p, maskLogits.HostPointer<float>(), map.HostPointer<float>(), b, q, k, hw);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(probs);
        }
    }

    /// <summary>probs = row-wise max-shifted softmax of logits (rows of <paramref name="width"/>).</summary>
    public static void ClassProbs(ReadOnlySpan<float> logits, Span<float> probs, int width)
    {
        for (int o = 0; o + width <= logits.Length; o += width)
        {
            var src = logits.Slice(o, width);
            var dst = probs.Slice(o, width);
            TensorPrimitives.Subtract(src, TensorPrimitives.Max(src), dst);
            TensorPrimitives.Exp(dst, dst);
            TensorPrimitives.Divide(dst, TensorPrimitives.Sum<float>(dst), dst);
        }
    }

    /// <summary>map (B,K,HW) from softmaxed probs (B,Q,K+1) and mask logits (B,Q,HW).</summary>
    public static void Map(float* probs, float* masks, float* map, int b, int q, int k, int hw)
    {
        if (k == 0 || hw == 0) return;
        var pt = Transposed(probs, b, q, k);
        nint ptp = (nint)pt.Pointer, mp = (nint)masks, op = (nint)map;
        try
        {
            HostSplit.ForBlocks(b, hw, HostSplit.BlockFor((long)b * hw, 512), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
            {
                float* ptn = (float*)ptp + (long)n * k * q, mn = (float*)mp + (long)n * q * hw, on = (float*)op + (long)n * k * hw;
                if (HostSimd.Wide) MapBlock<Simd512, Vector512<float>>(ptn, mn, on, q, k, hw, start, end);
                else MapBlock<Simd256, Vector256<float>>(ptn, mn, on, q, k, hw, start, end);
            });
        }
        finally
        {
            pt.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapBlock<TS, TV>(float* ptn, float* mn, float* on, int q, int k, int hw, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var buf = ArrayPool<TV>.Shared.Rent(q + k);
        try
        {
            fixed (TV* sig = buf)
            {
                TV* s = sig + q;
                for (int r = start; r < end; r += TS.Lanes)
                {
                    int lanes = Math.Min(TS.Lanes, end - r);
                    MixSigmoids<TS, TV>(ptn, k, q, mn + r, hw, lanes, sig, s);
                    for (int c = 0; c < k; c++) HostSimd.StoreTail<TS, TV>(on + (long)c * hw + r, s[c], lanes);
                }
            }
        }
        finally
        {
            ArrayPool<TV>.Shared.Return(buf);
        }
    }

    /// <summary>
    /// s[c] (c &lt; K) = Σ_j pt[c, j]·σ(masks[j·hw]) for <paramref name="lanes"/> pixels starting at
    /// <paramref name="masks"/>; <paramref name="sig"/> is scratch for Q vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MixSigmoids<TS, TV>(float* pt, int k, int q, float* masks, long hw, int lanes, TV* sig, TV* s)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int j = 0; j < q; j++) sig[j] = HostMath.Sigmoid<TS, TV>(HostSimd.LoadTail<TS, TV>(masks + j * hw, lanes));
        int c = 0;
        for (; c + 4 <= k; c += 4)
        {
            float* p0 = pt + (long)c * q, p1 = p0 + q, p2 = p1 + q, p3 = p2 + q;
            TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
            for (int j = 0; j < q; j++)
            {
                var g = sig[j];
                a0 = TS.Fma(TS.Splat(p0[j]), g, a0);
                a1 = TS.Fma(TS.Splat(p1[j]), g, a1);
                a2 = TS.Fma(TS.Splat(p2[j]), g, a2);
                a3 = TS.Fma(TS.Splat(p3[j]), g, a3);
            }
            s[c] = a0;
            s[c + 1] = a1;
            s[c + 2] = a2;
            s[c + 3] = a3;
        }
        for (; c < k; c++)
        {
            float* p0 = pt + (long)c * q;
            TV a0 = TS.Zero;
            for (int j = 0; j < q; j++) a0 = TS.Fma(TS.Splat(p0[j]), sig[j], a0);
            s[c] = a0;
        }
    }

    /// <summary>Per batch item, prob (Q, K+1) → (K, Q) without the no-object column: the class loop's contiguous rows.</summary>
    internal static PooledFloats Transposed(float* probs, int b, int q, int k)
    {
        var pt = new PooledFloats(b * k * q);
        for (int n = 0; n < b; n++)
            for (int j = 0; j < q; j++)
                for (int c = 0; c < k; c++)
                    pt.Pointer[((long)n * k + c) * q + j] = probs[((long)n * q + j) * (k + 1) + c];
        return pt;
    }
}

/// <summary>A pinned float buffer rented from the shared pool (no garbage per call once the pool is warm).</summary>
internal readonly unsafe struct PooledFloats : IDisposable
{
    private readonly float[] array;
    private readonly GCHandle handle;

    public PooledFloats(int length)
    {
        array = ArrayPool<float>.Shared.Rent(Math.Max(1, length));
        handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        Pointer = (float*)handle.AddrOfPinnedObject();
    }

    /// <summary>The first element.</summary>
    public float* Pointer { get; }

    public void Dispose()
    {
        handle.Free();
        ArrayPool<float>.Shared.Return(array);
    }
}
