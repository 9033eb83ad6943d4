// Host versions of the head's linear layer and the deterministic column sums (math in TrainLinear.cs):
//   y = x·Wᵀ + b,  dx = dy·W,  dW = Σ_chunks Σ_{n ∈ chunk} dyᵀx,  y[c] (+)= scale·Σ_chunks Σ_{n ∈ chunk} x[n, c].
// The reductions keep the kernels' chunking (TrainLinear.ChunkRows/Chunks: a function of N only): each chunk's partial
// is summed row by row in order, the chunks are added in order, so the result does not depend on the core count and
// a resumed run repeats an uninterrupted one exactly — as on the GPU.
// What bounds it: the head's layers are thin (I, O ≤ 64) and N is the pixel count: EoMT-B-640's 0.41 M pixels ×
// 4→64 is 105 MB written for 0.2 GFLOP, 64→32 reads 105 MB and writes 52 MB for 1.7 GFLOP: bandwidth-bound on the
// 2-core Zen 5 (~20 GB/s, ~380 GFLOP/s), so each row is read once and written once, never transposed.
// Loops (rows in blocks over the cores): wide outputs (≥ 16) by a 4-row × 2-vector (32 columns on AVX-512) register block (8 zmm
// accumulators, independent FMA chains; per k step 2 loads of the L1-resident, zero-padded weight panel + 4
// broadcasts for 8 FMAs); narrow ones (O = 1, I = 4) as dot products of the input row with the rows of the other
// orientation (TensorPrimitives.Dot). dW: per chunk, 4 × 32 blocks of the outer-product sum Σ_n dy[n]ᵀ ⊗ x[n] (O × I,
// or I × O when I is the narrower) held in 8 zmm across the chunk's rows, summed row by row in order.
// Optimisations: the weight transposed once per call (≤ 16 KB, pooled); no GEMM call for 4- to 64-wide dimensions,
// where packing would cost more than the product; chunk partials in one pooled buffer.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="TrainLinear"/>.</summary>
public static unsafe class TrainLinearHost
{
    /// <summary>Same contract as <see cref="TrainLinear.Forward"/>, on host memory.</summary>
    public static void Forward(Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        int outDim = w.Shape[0], inDim = (int)(w.Length / Math.Max(outDim, 1)), n = (int)(y.Length / Math.Max(outDim, 1));
        RowsTimesMatrix(x.HostPointer<float>(), w.HostPointer<float>(), b is null ? null : b.HostPointer<float>(),
            y.HostPointer<float>(), n, inDim, outDim, matrixIsOutByIn: true);
    }

    /// <summary>Same contract as <see cref="TrainLinear.GradInput"/>, on host memory.</summary>
    public static void GradInput(Tensor dy, Tensor w, Tensor dx)
    {
        int outDim = w.Shape[0], inDim = (int)(w.Length / Math.Max(outDim, 1)), n = (int)(dy.Length / Math.Max(outDim, 1));
        RowsTimesMatrix(dy.HostPointer<float>(), w.HostPointer<float>(), null, dx.HostPointer<float>(), n, outDim, inDim, matrixIsOutByIn: false);
    }

    /// <summary>
    /// y (N, O) = bias + a (N, K) · M (K, O), where the weight w holds M transposed (O, K) when
    /// <paramref name="matrixIsOutByIn"/> (forward: M = Wᵀ) and M itself (K, O) otherwise (dx: M = W).
    /// </summary>
    private static void RowsTimesMatrix(float* a, float* w, float* bias, float* y, int n, int k, int o, bool matrixIsOutByIn)
    {
        if (n == 0 || o == 0) return;
        if (o < 16)
        {
            Narrow(a, w, bias, y, n, k, o, matrixIsOutByIn);
            return;
        }
        // M copied once into a (K, OP) panel zero-padded to OP = O rounded up to two vectors of columns, the bias
        // likewise, so the micro-kernel only ever loads whole vectors; only the stores of a ragged last vector are partial.
        int tile = 2 * (HostSimd.Wide ? Simd512.Lanes : Simd256.Lanes);
        int op = (o + tile - 1) / tile * tile;
        using var panel = new PooledFloats(k * op + op);
        float* m = panel.Pointer, bpad = m + (long)k * op;
        new Span<float>(m, k * op + op).Clear();
        for (int i = 0; i < k; i++)
            for (int j = 0; j < o; j++) m[(long)i * op + j] = matrixIsOutByIn ? w[(long)j * k + i] : w[(long)i * o + j];
        if (bias != null) new ReadOnlySpan<float>(bias, o).CopyTo(new Span<float>(bpad, o));
        nint ap = (nint)a, mp = (nint)m, bp = (nint)bpad, yp = (nint)y;
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 256), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            if (HostSimd.Wide) RowBlocks<Simd512, Vector512<float>>((float*)ap, k, (float*)mp, op, (float*)bp, (float*)yp, o, start, end);
            else RowBlocks<Simd256, Vector256<float>>((float*)ap, k, (float*)mp, op, (float*)bp, (float*)yp, o, start, end);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowBlocks<TS, TV>(float* a, int k, float* m, int op, float* bias, float* y, int o, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int r = start; r < end; r += 4)
            for (int j = 0; j < o; j += 2 * TS.Lanes)
                Block4<TS, TV>(a, k, m, op, bias, y, o, r, Math.Min(4, end - r), j);
    }

    // Rows r0 … r0+rows−1 (≤ 4) × two vectors of columns from j0 of y: 8 accumulators (4 rows × 2 vectors), per k step
    // 2 panel loads, 4 broadcasts and 8 FMAs (independent chains, so the FMA latency is hidden). Missing rows repeat
    // the first row and are not stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4<TS, TV>(float* a, int k, float* m, int op, float* bias, float* y, int o, int r0, int rows, int j0)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var t = new Tile4x2<TS, TV>(TS.Load(bias + j0), TS.Load(bias + j0 + TS.Lanes));
        float* a0 = a + (long)r0 * k, a1 = rows > 1 ? a0 + k : a0, a2 = rows > 2 ? a0 + 2 * k : a0, a3 = rows > 3 ? a0 + 3 * k : a0;
        float* mj = m + j0;
        for (int i = 0; i < k; i++, mj += op)
            t.Step(TS.Load(mj), TS.Load(mj + TS.Lanes), a0[i], a1[i], a2[i], a3[i]);
        t.Store(y + (long)r0 * o + j0, o, rows, o - j0);
    }

    /// <summary>4 rows × 2 vectors of accumulators (8 registers) and the rank-1 step both linear micro-kernels take.</summary>
    private struct Tile4x2<TS, TV>(TV lo, TV hi) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        private TV c00 = lo, c01 = hi, c10 = lo, c11 = hi, c20 = lo, c21 = hi, c30 = lo, c31 = hi;

        // c[t, :] += x_t · [m0 | m1] for the 4 rows t.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV m0, TV m1, float x0, float x1, float x2, float x3)
        {
            var x = TS.Splat(x0);
            c00 = TS.Fma(x, m0, c00);
            c01 = TS.Fma(x, m1, c01);
            x = TS.Splat(x1);
            c10 = TS.Fma(x, m0, c10);
            c11 = TS.Fma(x, m1, c11);
            x = TS.Splat(x2);
            c20 = TS.Fma(x, m0, c20);
            c21 = TS.Fma(x, m1, c21);
            x = TS.Splat(x3);
            c30 = TS.Fma(x, m0, c30);
            c31 = TS.Fma(x, m1, c31);
        }

        // The first `rows` rows (row stride `stride`), min(2·Lanes, left) columns each.
        public readonly void Store(float* p, int stride, int rows, int left)
        {
            StoreRow(c00, c01, p, left);
            if (rows > 1) StoreRow(c10, c11, p + stride, left);
            if (rows > 2) StoreRow(c20, c21, p + 2 * stride, left);
            if (rows > 3) StoreRow(c30, c31, p + 3 * stride, left);
        }

        // The first min(2·Lanes, left) columns of a row from two vectors.
        private static void StoreRow(TV lo, TV hi, float* y, int left)
        {
            HostSimd.StoreTail<TS, TV>(y, lo, Math.Min(TS.Lanes, left));
            if (left > TS.Lanes) HostSimd.StoreTail<TS, TV>(y + TS.Lanes, hi, Math.Min(TS.Lanes, left - TS.Lanes));
        }
    }

    // Outputs narrower than a vector (O = 1 or 4): one dot product of the input row per output, against Mᵀ (O, K).
    private static void Narrow(float* a, float* w, float* bias, float* y, int n, int k, int o, bool matrixIsOutByIn)
    {
        using var t = new PooledFloats(matrixIsOutByIn ? 0 : k * o);
        float* mt = w;
        if (!matrixIsOutByIn)
        {
            for (int i = 0; i < k; i++)
                for (int j = 0; j < o; j++) t.Pointer[(long)j * k + i] = w[(long)i * o + j];
            mt = t.Pointer;
        }
        nint ap = (nint)a, mp = (nint)mt, bp = (nint)bias, yp = (nint)y;
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 256), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            float* bb = (float*)bp;
            for (int r = start; r < end; r++)
            {
                var arow = new ReadOnlySpan<float>((float*)ap + (long)r * k, k);
                float* yr = (float*)yp + (long)r * o;
                for (int j = 0; j < o; j++)
                    yr[j] = (bb == null ? 0f : bb[j]) + TensorPrimitives.Dot(arow, new ReadOnlySpan<float>((float*)mp + (long)j * k, k));
            }
        });
    }

    /// <summary>Same contract as <see cref="TrainLinear.GradWeight"/>, on host memory.</summary>
    public static void GradWeight(Tensor dy, Tensor x, Tensor dw, bool accumulate)
    {
        int outDim = dw.Shape[0], inDim = (int)(dw.Length / Math.Max(outDim, 1)), n = (int)(x.Length / Math.Max(inDim, 1));
        float* dyp = dy.HostPointer<float>(), xp = x.HostPointer<float>(), dwp = dw.HostPointer<float>();
        // Accumulate rows of the wider dimension: outer product rows dy[n, o]·x[n, :] (O × I) or x[n, k]·dy[n, :] (I × O).
        bool byOut = inDim >= outDim;
        int rows = byOut ? outDim : inDim, cols = byOut ? inDim : outDim;
        float* rowsSrc = byOut ? dyp : xp, colsSrc = byOut ? xp : dyp;
        using var sum = new PooledFloats(byOut ? 0 : rows * cols);
        float* target = byOut ? dwp : sum.Pointer;
        nint rp = (nint)rowsSrc, cp = (nint)colsSrc;
        ChunkedSums(n, rows * cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, partial) =>
        {
            if (HostSimd.Wide) OuterBlocks<Simd512, Vector512<float>>((float*)rp, rows, (float*)cp, cols, start, end, partial);
            else OuterBlocks<Simd256, Vector256<float>>((float*)rp, rows, (float*)cp, cols, start, end, partial);
        }, target, 1f, byOut && accumulate);
        if (byOut) return;
        for (int o = 0; o < outDim; o++)
            for (int i = 0; i < inDim; i++)
            {
                float v = sum.Pointer[(long)i * outDim + o];
                dwp[(long)o * inDim + i] = accumulate ? dwp[(long)o * inDim + i] + v : v;
            }
    }

    /// <summary>Same contract as <see cref="TrainLinear.ColumnSums"/>, on host memory.</summary>
    public static void ColumnSums(Tensor x, Tensor y, float scale, bool accumulate)
    {
        int cols = y.Shape.Rank == 0 ? 1 : (int)y.Length, n = (int)(x.Length / cols);
        ColumnSums(x.HostPointer<float>(), y.HostPointer<float>(), n, cols, scale, accumulate);
    }

    /// <summary>y (cols) (+)= scale·Σ_n x (n, cols), chunked as the kernels chunk.</summary>
    public static void ColumnSums(float* x, float* y, int n, int cols, float scale, bool accumulate)
    {
        nint xp = (nint)x;
        ChunkedSums(n, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, partial) =>
        {
            float* rows = (float*)xp;
            if (cols == 1)
            {
                partial[0] = TensorPrimitives.Sum(new ReadOnlySpan<float>(rows + start, end - start));
                return;
            }
            if (HostSimd.Wide) SumRows<Simd512, Vector512<float>>(rows, cols, start, end, partial);
            else SumRows<Simd256, Vector256<float>>(rows, cols, start, end, partial);
        }, y, scale, accumulate);
    }

    // partial[j] = Σ_{r ∈ [start, end)} x[r, j], rows in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRows<TS, TV>(float* x, int cols, int start, int end, float* partial) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int j = 0; j < cols; j += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, cols - j);
            var acc = TS.Zero;
            for (int r = start; r < end; r++) acc = TS.Add(acc, HostSimd.LoadTail<TS, TV>(x + (long)r * cols + j, lanes));
            HostSimd.StoreTail<TS, TV>(partial + j, acc, lanes);
        }
    }

    /// <summary>Fills one zeroed partial row of <paramref name="width"/> floats per chunk (rows start … end).</summary>
    internal delegate void ChunkBody(int start, int end, float* partial);

    /// <summary>
    /// The kernels' deterministic reduction: partial[chunk] = body(chunk rows) over the cores, then y[c] =
    /// (accumulate ? y[c] : 0) + scale·Σ_chunk partial[chunk, c] with the chunks added in order (sum_chunks).
    /// </summary>
    internal static void ChunkedSums(int n, int width, ChunkBody body, float* y, float scale, bool accumulate)
    {
        if (width == 0) return;
        int rows = TrainLinear.ChunkRows(n), chunks = TrainLinear.Chunks(n);
        var partial = ArrayPool<float>.Shared.Rent(chunks * width);
        try
        {
            fixed (float* pp = partial)
            {
                nint p = (nint)pp;
                new Span<float>(pp, chunks * width).Clear();
                HostCpu.For(chunks, i => body(i * rows, Math.Min(n, (i + 1) * rows), (float*)p + (long)i * width));
                if (HostSimd.Wide) AddChunks<Simd512, Vector512<float>>(pp, chunks, width, y, scale, accumulate);
                else AddChunks<Simd256, Vector256<float>>(pp, chunks, width, y, scale, accumulate);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }
    }

    // y[c] = (accumulate ? y[c] : 0) + scale·Σ_chunk partial[chunk, c], chunks in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddChunks<TS, TV>(float* partial, int chunks, int width, float* y, float scale, bool accumulate)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int c = 0; c < width; c += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, width - c);
            var acc = TS.Zero;
            for (int k = 0; k < chunks; k++) acc = TS.Add(acc, HostSimd.LoadTail<TS, TV>(partial + (long)k * width + c, lanes));
            var prior = accumulate ? HostSimd.LoadTail<TS, TV>(y + c, lanes) : TS.Zero;
            HostSimd.StoreTail<TS, TV>(y + c, TS.Add(prior, TS.Mul(TS.Splat(scale), acc)), lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterBlocks<TS, TV>(float* a, int aw, float* b, int bw, int start, int end, float* partial)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int i = 0; i < aw; i += 4)
            for (int c = 0; c < bw; c += 2 * TS.Lanes)
                OuterBlock<TS, TV>(a, aw, b, bw, start, end, i, Math.Min(4, aw - i), c, partial);
    }

    // partial[i0 … i0+ni−1, c0 … c0+2·Lanes−1] = Σ_{r ∈ [start, end)} a[r, i]·b[r, c], rows r in order (as the kernel
    // sums): 8 accumulators (4 × 2 vectors) held across the chunk; per row 4 broadcasts, 2 loads, 8 FMAs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterBlock<TS, TV>(float* a, int aw, float* b, int bw, int start, int end, int i0, int ni, int c0, float* partial)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l0 = Math.Min(TS.Lanes, bw - c0), l1 = Math.Min(TS.Lanes, bw - c0 - TS.Lanes);
        var t = new Tile4x2<TS, TV>(TS.Zero, TS.Zero);
        int i1 = ni > 1 ? i0 + 1 : i0, i2 = ni > 2 ? i0 + 2 : i0, i3 = ni > 3 ? i0 + 3 : i0;
        for (int r = start; r < end; r++)
        {
            float* br = b + (long)r * bw + c0, ar = a + (long)r * aw;
            t.Step(HostSimd.LoadTail<TS, TV>(br, l0), l1 > 0 ? HostSimd.LoadTail<TS, TV>(br + TS.Lanes, l1) : TS.Zero, ar[i0], ar[i1], ar[i2], ar[i3]);
        }
        t.Store(partial + (long)i0 * bw + c0, bw, ni, bw - c0);
    }
}
