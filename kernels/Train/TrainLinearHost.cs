// Host versions of the head's linear layer and the deterministic column sums (math in TrainLinear.cs):
//   y = x·Wᵀ + b,  dx = dy·W,  dW = Σ_chunks Σ_{n ∈ chunk} dyᵀx,  y[c] (+)= scale·Σ_chunks Σ_{n ∈ chunk} x[n, c].
// The reductions keep the kernels' chunking (TrainLinear.ChunkRows/Chunks: a function of N only): each chunk's partial
// is summed row by row in order, the chunks are added in order, so the result does not depend on the core count and
// a resumed run repeats an uninterrupted one exactly — as on the GPU.
// What bounds it: the head's layers are thin (I, O ≤ 64) and N is the pixel count: EoMT-B-640's 0.41 M pixels ×
// 4→64 is 105 MB written for 0.2 GFLOP, 64→32 reads 105 MB and writes 52 MB for 1.7 GFLOP: bandwidth-bound on the
// 2-core Zen 5 (~20 GB/s, ~380 GFLOP/s), so each row is read once and written once, never transposed.
// Loops (rows in blocks over the cores): a wide output row (≥ 16) is built 16 columns per zmm as Σ_k a[n, k]·M[k, :]
// (broadcast × row of the L1-resident weight matrix, M = Wᵀ for y, W for dx); a narrow one (O = 1, I = 4) as dot
// products of the input row with the rows of the other orientation (TensorPrimitives.Dot). dW accumulates outer
// products dy[n]ᵀ ⊗ x[n] into an O × I (or I × O, whichever has the wider rows) partial of ≤ 16 KB in L1.
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
        bool wide = o >= HostVector.Lanes;
        // Wide rows want M (K, O) row-major; narrow ones want Mᵀ (O, K) for dot products. Transpose w if it is the other.
        bool transpose = wide == matrixIsOutByIn;
        using var t = new PooledFloats(transpose ? k * o : 0);
        float* m = w;
        if (transpose)
        {
            int rows = matrixIsOutByIn ? o : k, cols = matrixIsOutByIn ? k : o;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) t.Pointer[(long)c * rows + r] = w[(long)r * cols + c];
            m = t.Pointer;
        }
        nint ap = (nint)a, mp = (nint)m, bp = (nint)bias, yp = (nint)y;
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 256), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            float* mm = (float*)mp, bb = (float*)bp;
            for (int r = start; r < end; r++)
            {
                float* ar = (float*)ap + (long)r * k, yr = (float*)yp + (long)r * o;
                if (!wide)
                {
                    var arow = new ReadOnlySpan<float>(ar, k);
                    for (int j = 0; j < o; j++)
                        yr[j] = (bb == null ? 0f : bb[j]) + TensorPrimitives.Dot(arow, new ReadOnlySpan<float>(mm + (long)j * k, k));
                    continue;
                }
                for (int j = 0; j < o; j += HostVector.Lanes)
                {
                    int lanes = Math.Min(HostVector.Lanes, o - j);
                    var acc = bb == null ? Vector512<float>.Zero : HostVector.Load(bb + j, lanes);
                    for (int i = 0; i < k; i++) acc = HostVector.Fma(Vector512.Create(ar[i]), HostVector.Load(mm + (long)i * o + j, lanes), acc);
                    HostVector.Store(acc, yr + j, lanes);
                }
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
            for (int r = start; r < end; r++)
            {
                float* a = (float*)rp + (long)r * rows, bRow = (float*)cp + (long)r * cols;
                for (int i = 0; i < rows; i++)
                    Axpy(a[i], bRow, partial + (long)i * cols, cols);
            }
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
            for (int j = 0; j < cols; j += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, cols - j);
                var acc = Vector512<float>.Zero;
                for (int r = start; r < end; r++) acc += HostVector.Load(rows + (long)r * cols + j, lanes);
                HostVector.Store(acc, partial + j, lanes);
            }
        }, y, scale, accumulate);
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
                for (int c = 0; c < width; c += HostVector.Lanes)
                {
                    int lanes = Math.Min(HostVector.Lanes, width - c);
                    var acc = Vector512<float>.Zero;
                    for (int k = 0; k < chunks; k++) acc += HostVector.Load(pp + (long)k * width + c, lanes);
                    var prior = accumulate ? HostVector.Load(y + c, lanes) : Vector512<float>.Zero;
                    HostVector.Store(prior + Vector512.Create(scale) * acc, y + c, lanes);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }
    }

    // y[0..n) += a·x[0..n) (16 per zmm, ragged tail through the same vector code).
    internal static void Axpy(float a, float* x, float* y, int n)
    {
        var va = Vector512.Create(a);
        for (int j = 0; j < n; j += HostVector.Lanes)
        {
            int lanes = Math.Min(HostVector.Lanes, n - j);
            HostVector.Store(HostVector.Fma(va, HostVector.Load(x + j, lanes), HostVector.Load(y + j, lanes)), y + j, lanes);
        }
    }
}
