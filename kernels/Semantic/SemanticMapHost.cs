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
//
// Version of semantic_map_upsampled (the bilinear upsample of the low-resolution mask logits fused in front):
//   map[b, k, y, x] = Σ_q prob[b, q, k] · σ(bilinear(mask[b, q], y, x))   (taps as BilinearHost: vertical lerp, then
//   horizontal, the same roundings, so it equals bilinear_resize + semantic_map on the host bit for bit up to σ).
// What it saves: EoMT-S/B-640 upsample 100 × 160² → 100 × 640²: the unfused pair writes and reads back 164 MB; fused
// it reads the 10 MB of low-resolution logits (two source rows per output row, L2-resident) and writes the 31 MB map.
// Work item = one output row of one batch item (S·B items); per 64-pixel tile (4 vectors):
//   1. per query: the vertical lerp of a 16-column source window (2 loads, 2 ops), the horizontal taps by two
//      in-register permutes (vpermps) of that window, σ by a 12-op exp2 (vscalefps) and one divide → sig[q][4]
//      (Q·256 B: 25.6 KB at Q = 100, L1);
//   2. classes 4 at a time: 16 accumulators (4 classes × 4 vectors), per query 4 σ loads + 4 broadcasts : 16 FMAs.
// Per 16 pixels and query ~30 ops of taps and σ against K = 19 FMAs: ~50 ops, compute-bound at ~25 ms of one core
// for 640²; measured 34 CPU-ms against ~127 for bilinear_resize + semantic_map (2-core Zen 5, loaded machine).
// Written against Vector512 only (16-column windows, vpermps): elsewhere .NET splits each op into halves and the
// permute falls back to Vector512.Shuffle: correct, slower.
using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeEngine.Runtime;
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

/// <summary>Host version of semantic_map_upsampled: bilinear taps, σ and the class sum per tile, nothing upsampled in memory.</summary>
public static unsafe class SemanticMapUpsampledHost
{
    private const int TileVectors = 4, ClassGroup = 4, Window = 16;

    [ThreadStatic] private static Vector512<float>[]? scratch;

    /// <summary>Same contract as <see cref="SemanticMap.ForwardUpsampled"/>, on host memory.</summary>
    public static void Forward(Tensor maskLogits, Tensor classLogits, Tensor map)
    {
        int b = maskLogits.Shape[0], q = maskLogits.Shape[1], inH = maskLogits.Shape[2], inW = maskLogits.Shape[3];
        int width = classLogits.Shape[2], k = width - 1, outH = map.Shape[2], outW = map.Shape[3];
        if (k == 0 || outH == 0 || outW == 0) return;
        var probs = ArrayPool<float>.Shared.Rent(Math.Max(1, b * q * width));
        try
        {
            SemanticMapHost.ClassProbs(classLogits.HostSpan<float>()[..(b * q * width)], probs.AsSpan(0, b * q * width), width);
            fixed (float* p = probs)
                Map(p, maskLogits.HostPointer<float>(), map.HostPointer<float>(), b, q, k, inH, inW, outH, outW);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(probs);
        }
    }

    /// <summary>map (B, K, outH, outW) from softmaxed probs (B, Q, K+1) and low-resolution mask logits (B, Q, inH, inW).</summary>
    public static void Map(float* probs, float* masks, float* map, int b, int q, int k, int inH, int inW, int outH, int outW)
    {
        int kPad = (k + ClassGroup - 1) / ClassGroup * ClassGroup, vectors = (outW + Window - 1) / Window;
        // Per output vector: the window's first source column, the two taps relative to it, λ and 1 − λ; a vector
        // whose taps do not fit one 16-column window (downsampling, or fewer than 16 columns) takes the scalar taps.
        var cols = new Columns(outW, vectors);
        var pt = new PooledFloats(b * kPad * q);
        try
        {
            float scaleH = (float)inH / outH, scaleW = (float)inW / outW;
            for (int x = 0; x < outW; x++)
            {
                BilinearHost.Tap(scaleW, x, inW, out int x0, out int x1, out float l);
                cols.X0[x] = x0;
                cols.X1[x] = x1;
                cols.Lambda[x] = l;
            }
            for (int v = 0; v < vectors; v++)
            {
                int first = v * Window, last = Math.Min(outW, first + Window) - 1;
                int start = Math.Min(cols.X0[first], Math.Max(0, inW - Window));
                bool fits = inW >= Window && cols.X1[last] - start < Window;
                cols.Start[v] = fits ? start : -1;
                for (int lane = 0; lane < Window; lane++)
                {
                    int x = Math.Min(first + lane, last);
                    cols.Index0[v * Window + lane] = cols.X0[x] - start;
                    cols.Index1[v * Window + lane] = cols.X1[x] - start;
                }
            }
            // (K, Q) per batch item, padded with zero rows to whole groups of 4 classes.
            new Span<float>(pt.Pointer, b * kPad * q).Clear();
            for (int n = 0; n < b; n++)
                for (int j = 0; j < q; j++)
                    for (int c = 0; c < k; c++)
                        pt.Pointer[((long)n * kPad + c) * q + j] = probs[((long)n * q + j) * (k + 1) + c];
            nint ptp = (nint)pt.Pointer, mp = (nint)masks, op = (nint)map;
            HostCpu.For(b * outH, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (item) =>
            {
                int n = item / outH, y = item - n * outH;
                BilinearHost.Tap(scaleH, y, inH, out int y0, out int y1, out float ly);
                var buf = scratch;
                if (buf is null || buf.Length < (q + ClassGroup) * TileVectors) scratch = buf = new Vector512<float>[(q + ClassGroup) * TileVectors];
                fixed (Vector512<float>* sig = buf)
                    Row((float*)ptp + (long)n * kPad * q, (float*)mp + (long)n * q * inH * inW, (float*)op + (long)n * k * outH * outW + (long)y * outW,
                        q, k, kPad, inH, inW, (long)outH * outW, outW, y0, y1, ly, cols, sig);
            });
        }
        finally
        {
            pt.Dispose();
            cols.Dispose();
        }
    }

    // One output row: per tile of 4 vectors, σ of the upsampled logits of every query, then the class sums.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row(float* pt, float* masks, float* outRow, int q, int k, int kPad, int inH, int inW, long plane, int outW,
        int y0, int y1, float ly, Columns cols, Vector512<float>* sig)
    {
        long rowStride = (long)inH * inW;
        int vectors = (outW + Window - 1) / Window;
        int* start = cols.Start, index0 = cols.Index0, index1 = cols.Index1;
        float* lambda = cols.Lambda;
        for (int v0 = 0; v0 < vectors; v0 += TileVectors)
        {
            int nv = Math.Min(TileVectors, vectors - v0);
            bool fast = true;
            for (int t = 0; t < nv; t++) fast &= start[v0 + t] >= 0;
            float* r0 = masks + (long)y0 * inW, r1 = masks + (long)y1 * inW;
            if (fast)
                for (int t = 0; t < nv; t++)
                {
                    int v = v0 + t;
                    Taps(r0 + start[v], r1 + start[v], rowStride, q, 1f - ly, ly, Vector512.Load(lambda + v * Window),
                        Vector512.Load(index0 + v * Window), Vector512.Load(index1 + v * Window), sig + t);
                }
            else
                for (int j = 0; j < q; j++)
                    for (int t = 0; t < nv; t++)
                        sig[j * TileVectors + t] = Sigmoid(ScalarTaps(r0 + j * rowStride, r1 + j * rowStride, 1f - ly, ly, cols,
                            (v0 + t) * Window, Math.Min(Window, outW - (v0 + t) * Window)));
            Vector512<float>* tile = sig + q * TileVectors;
            for (int c = 0; c < kPad; c += ClassGroup)
            {
                Classes(pt + (long)c * q, q, sig, tile);
                Store(tile, outRow + c * plane + v0 * Window, plane, Math.Min(ClassGroup, k - c), outW - v0 * Window);
            }
        }
    }

    // sig[j·4] = σ(upsampled logit of query j) for one output vector: the vertical lerp of a 16-column window of the
    // two source rows (queries rowStride apart), then both column taps by permutes of that window.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Taps(float* r0, float* r1, long rowStride, int q, float wy0, float wy1, Vector512<float> lam,
        Vector512<int> i0, Vector512<int> i1, Vector512<float>* sig)
    {
        var a = Vector512.Create(wy0);
        var b = Vector512.Create(wy1);
        var l0 = Vector512<float>.One - lam;
        for (int j = 0; j < q; j++, r0 += rowStride, r1 += rowStride, sig += TileVectors)
        {
            var win = Vector512.FusedMultiplyAdd(a, Vector512.Load(r0), b * Vector512.Load(r1));
            *sig = Sigmoid(Vector512.FusedMultiplyAdd(l0, Permute(win, i0), lam * Permute(win, i1)));
        }
    }

    // tile[c][0 .. 64) = Σ_j pt[c, j]·sig[j][0 .. 4) for 4 classes: 16 accumulators, stored unconditionally (out of
    // line and without branches after the loop, so the JIT keeps all 16 in registers).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Classes(float* pt, int q, Vector512<float>* sig, Vector512<float>* tile)
    {
        float* p0 = pt, p1 = p0 + q, p2 = p1 + q, p3 = p2 + q;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int j = 0; j < q; j++)
        {
            Vector512<float>* s = sig + j * TileVectors;
            Vector512<float> s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
            var w = Vector512.Create(p0[j]);
            a00 = Vector512.FusedMultiplyAdd(w, s0, a00); a01 = Vector512.FusedMultiplyAdd(w, s1, a01); a02 = Vector512.FusedMultiplyAdd(w, s2, a02); a03 = Vector512.FusedMultiplyAdd(w, s3, a03);
            w = Vector512.Create(p1[j]);
            a10 = Vector512.FusedMultiplyAdd(w, s0, a10); a11 = Vector512.FusedMultiplyAdd(w, s1, a11); a12 = Vector512.FusedMultiplyAdd(w, s2, a12); a13 = Vector512.FusedMultiplyAdd(w, s3, a13);
            w = Vector512.Create(p2[j]);
            a20 = Vector512.FusedMultiplyAdd(w, s0, a20); a21 = Vector512.FusedMultiplyAdd(w, s1, a21); a22 = Vector512.FusedMultiplyAdd(w, s2, a22); a23 = Vector512.FusedMultiplyAdd(w, s3, a23);
            w = Vector512.Create(p3[j]);
            a30 = Vector512.FusedMultiplyAdd(w, s0, a30); a31 = Vector512.FusedMultiplyAdd(w, s1, a31); a32 = Vector512.FusedMultiplyAdd(w, s2, a32); a33 = Vector512.FusedMultiplyAdd(w, s3, a33);
        }
        tile[0] = a00; tile[1] = a01; tile[2] = a02; tile[3] = a03;
        tile[4] = a10; tile[5] = a11; tile[6] = a12; tile[7] = a13;
        tile[8] = a20; tile[9] = a21; tile[10] = a22; tile[11] = a23;
        tile[12] = a30; tile[13] = a31; tile[14] = a32; tile[15] = a33;
    }

    // The first `classes` rows and `pixels` columns of a class tile into the map (planes `plane` floats apart).
    private static void Store(Vector512<float>* tile, float* o, long plane, int classes, int pixels)
    {
        for (int c = 0; c < classes; c++, o += plane)
            for (int t = 0; t < TileVectors && t * Window < pixels; t++)
                HostSimd.StoreTail<Simd512, Vector512<float>>(o + t * Window, tile[c * TileVectors + t], Math.Min(Window, pixels - t * Window));
    }

    // win[idx] per lane: one vpermps on AVX-512, the portable shuffle elsewhere.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Permute(Vector512<float> win, Vector512<int> idx) =>
        Avx512F.IsSupported ? Avx512F.PermuteVar16x32(win, idx) : Vector512.Shuffle(win, idx);

    // The same lerps one lane at a time, for windows wider than a vector (downsampling) or rows narrower than one.
    private static Vector512<float> ScalarTaps(float* r0, float* r1, float a, float bw, Columns cols, int x0, int lanes)
    {
        float* u = stackalloc float[Window];
        for (int lane = 0; lane < Window; lane++)
        {
            int x = x0 + Math.Min(lane, lanes - 1);
            int c0 = cols.X0[x], c1 = cols.X1[x];
            float t0 = MathF.FusedMultiplyAdd(a, r0[c0], bw * r1[c0]), t1 = MathF.FusedMultiplyAdd(a, r0[c1], bw * r1[c1]);
            float l = cols.Lambda[x];
            u[lane] = MathF.FusedMultiplyAdd(1f - l, t0, l * t1);
        }
        return Vector512.Load(u);
    }

    // σ(x) = 1 / (1 + 2^t), t = −x·log₂e clamped to [−126, 126] (min/max ordered so a NaN x stays NaN): k = round(t),
    // 2^(t − k) by a degree-6 fit on [−½, ½] (relative error ≤ 1e-7), scaled by 2^k (vscalefps on AVX-512). σ(+∞) = 1,
    // σ(−∞) = 1/(1 + 2^126) ≈ 1e-38 (0 within any tolerance); the error of rounding t is ≤ 2e-8 absolute in σ.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> x)
    {
        var t = x * Vector512.Create(-1.44269504088896341f);
        t = Vector512.MinNative(Vector512.Create(126f), Vector512.MaxNative(Vector512.Create(-126f), t));
        var k = Vector512.Round(t);
        var f = t - k;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1.5337577497e-4f), f, Vector512.Create(1.3399859890e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(9.6185198054e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(5.5503290147e-2f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(2.4022646248e-1f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(6.9314718246e-1f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512<float>.One);
        var e = Avx512F.IsSupported ? Avx512F.Scale(p, k)
            : p * Vector512.ShiftLeft(Vector512.ConvertToInt32(k) + Vector512.Create(127), 23).AsSingle();
        return Vector512<float>.One / (Vector512<float>.One + e);
    }

    // The column taps of one call (pooled, pinned): per output column x0, x1, λ; per output vector its window start
    // (−1: scalar taps) and the 16 lane indices into that window.
    private readonly struct Columns : IDisposable
    {
        private readonly PooledFloats lambda;
        private readonly int[] ints;
        private readonly GCHandle handle;
        public readonly int* X0, X1, Start, Index0, Index1;
        public readonly float* Lambda;

        public Columns(int outW, int vectors)
        {
            lambda = new PooledFloats(vectors * Window);
            Lambda = lambda.Pointer;
            new Span<float>(Lambda, vectors * Window).Clear();
            ints = ArrayPool<int>.Shared.Rent(2 * vectors * Window + 2 * outW + vectors);
            handle = GCHandle.Alloc(ints, GCHandleType.Pinned);
            X0 = (int*)handle.AddrOfPinnedObject();
            X1 = X0 + outW;
            Start = X1 + outW;
            Index0 = Start + vectors;
            Index1 = Index0 + vectors * Window;
        }

        public void Dispose()
        {
            handle.Free();
            ArrayPool<int>.Shared.Return(ints);
            lambda.Dispose();
        }
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
