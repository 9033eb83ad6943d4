// Linear layer forward and backward for the anomaly head's training, plus deterministic column sums.
//   forward  y (N, O) = x (N, I) · Wᵀ (O, I) + b          PyTorch: F.linear(x, w, b)
//   backward dx (N, I) = dy (N, O) · W (O, I)              dW (O, I) = dyᵀ · x      db (O) = Σ_n dy
// The head's layers are tiny (I, O ≤ 64) and N is huge (pixels), so the weight and bias gradients are reductions
// over N: each thread sums a fixed chunk of rows into a partial (chunks, O·I) buffer, then one thread per column adds
// the chunks in order. The chunking depends only on N, never on the device, so CPU and GPU results agree bit for
// bit up to float contraction, and a resumed run repeats an uninterrupted one exactly.
// v1: one thread per output element (forward, dx) and per (column, chunk) (partials); implicitly grouped.
//     (When the shared Gemm lands these can route to Gemm.Matmul with transposes; the head's GEMMs are 64×4, 32×64:
//     far too thin for tiles to pay, so the thread-per-output form is kept.)
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Linear forward/backward and chunked column sums used by the anomaly-head autograd.</summary>
public static partial class TrainLinear
{
    /// <summary>Rows per chunk of the column reductions: at least 256, and at most 1024 chunks.</summary>
    public static int ChunkRows(long n) => (int)Math.Max(256, (n + 1023) / 1024);

    /// <summary>Number of chunks for <paramref name="n"/> rows.</summary>
    public static int Chunks(long n) => (int)Math.Max(1, (n + ChunkRows(n) - 1) / ChunkRows(n));

    // i.X = output feature o, i.Y = row n.
    [Kernel("linear_forward")]
    internal static void ForwardV1(Index2D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y,
        int inDim, int outDim, int hasBias)
    {
        int o = i.X;
        long xr = (long)i.Y * inDim;
        float acc = hasBias != 0 ? b[o] : 0f;
        for (int k = 0; k < inDim; k++) acc += x[xr + k] * w[(long)o * inDim + k];
        y[(long)i.Y * outDim + o] = acc;
    }

    // i.X = input feature k, i.Y = row n: dx[n, k] = Σ_o dy[n, o]·W[o, k].
    [Kernel("linear_grad_input")]
    internal static void GradInputV1(Index2D i, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, int inDim, int outDim)
    {
        int k = i.X;
        long dr = (long)i.Y * outDim;
        float acc = 0f;
        for (int o = 0; o < outDim; o++) acc += dy[dr + o] * w[(long)o * inDim + k];
        dx[(long)i.Y * inDim + k] = acc;
    }

    // i.X = weight element o·I + k, i.Y = chunk: partial[chunk, o·I + k] = Σ_{n in chunk} dy[n, o]·x[n, k].
    [Kernel("linear_grad_weight")]
    internal static void GradWeightPartialV1(Index2D i, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> partial,
        int n, int inDim, int outDim, int chunkRows)
    {
        int o = i.X / inDim, k = i.X - o * inDim;
        int start = i.Y * chunkRows, end = n - start < chunkRows ? n : start + chunkRows;
        float acc = 0f;
        for (int r = start; r < end; r++) acc += dy[(long)r * outDim + o] * x[(long)r * inDim + k];
        partial[(long)i.Y * inDim * outDim + i.X] = acc;
    }

    // i.X = column c, i.Y = chunk: partial[chunk, c] = Σ_{n in chunk} x[n, c].
    [Kernel("column_sum")]
    internal static void ColumnSumPartialV1(Index2D i, ArrayView<float> x, ArrayView<float> partial, int n, int cols, int chunkRows)
    {
        int start = i.Y * chunkRows, end = n - start < chunkRows ? n : start + chunkRows;
        float acc = 0f;
        for (int r = start; r < end; r++) acc += x[(long)r * cols + i.X];
        partial[(long)i.Y * cols + i.X] = acc;
    }

    // y[c] = scale · Σ_chunk partial[chunk, c] (+ y[c] when accumulate != 0), chunks added in order.
    [Kernel("sum_chunks")]
    internal static void SumChunksV1(Index1D c, ArrayView<float> partial, ArrayView<float> y, int chunks, int cols, float scale, int accumulate)
    {
        float acc = 0f;
        for (int k = 0; k < chunks; k++) acc += partial[(long)k * cols + c];
        y[c] = (accumulate != 0 ? y[c] : 0f) + scale * acc;
    }

    /// <summary>y (N,O) = x (N,I)·Wᵀ + b; <paramref name="w"/> is (O,I) (a (O,I,1,1) conv weight is accepted), b (O) or null.</summary>
    public static void Forward(Tensor x, Tensor w, Tensor? b, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        var (n, inDim, outDim) = Check(x, w, y, "linear");
        if (b is not null && b.Length != outDim) throw new ArgumentException($"linear: bias expected shape [{outDim}], got {b.Shape}");
        if (choice.UseHost(x.Device)) { TrainLinearHost.Forward(x, w, b, y); return; }
        LaunchForwardV1(x.Device, new Index2D(outDim, n), x.View, w.View, b?.View ?? w.View, y.View, inDim, outDim, b is null ? 0 : 1);
    }

    /// <summary>dx (N,I) = dy (N,O)·W (O,I).</summary>
    public static void GradInput(Tensor dy, Tensor w, Tensor dx, KernelChoice choice = KernelChoice.Auto)
    {
        var (n, inDim, outDim) = Check(dx, w, dy, "linear grad input");
        if (choice.UseHost(dy.Device)) { TrainLinearHost.GradInput(dy, w, dx); return; }
        LaunchGradInputV1(dy.Device, new Index2D(inDim, n), dy.View, w.View, dx.View, inDim, outDim);
    }

    /// <summary>dW (O,I) = dyᵀ·x (+= when <paramref name="accumulate"/>).</summary>
    public static void GradWeight(Tensor dy, Tensor x, Tensor dw, bool accumulate = false, KernelChoice choice = KernelChoice.Auto)
    {
        var (n, inDim, outDim) = Check(x, dw, dy, "linear grad weight");
        if (choice.UseHost(dy.Device)) { TrainLinearHost.GradWeight(dy, x, dw, accumulate); return; }
        int rows = ChunkRows(n), chunks = Chunks(n);
        using var partial = Tensor.Empty(dy.Device, new Shape(chunks, outDim * inDim));
        LaunchGradWeightPartialV1(dy.Device, new Index2D(outDim * inDim, chunks), dy.View, x.View, partial.View, n, inDim, outDim, rows);
        LaunchSumChunksV1(dy.Device, outDim * inDim, partial.View, dw.View, chunks, outDim * inDim, 1f, accumulate ? 1 : 0);
    }

    /// <summary>y (C) = scale·Σ_n x (N,C) (+= when <paramref name="accumulate"/>): bias gradients, loss sums, BN statistics.</summary>
    public static void ColumnSums(Tensor x, Tensor y, float scale = 1f, bool accumulate = false, KernelChoice choice = KernelChoice.Auto)
    {
        int cols = y.Shape.Rank == 0 ? 1 : (int)y.Length;
        if (cols == 0 || x.Length % cols != 0)
            throw new ArgumentException($"column sums: x {x.Shape} is not a whole number of rows of {cols} (y {y.Shape})");
        if (choice.UseHost(x.Device)) { TrainLinearHost.ColumnSums(x, y, scale, accumulate); return; }
        int n = (int)(x.Length / cols), rows = ChunkRows(n), chunks = Chunks(n);
        using var partial = Tensor.Empty(x.Device, new Shape(chunks, cols));
        LaunchColumnSumPartialV1(x.Device, new Index2D(cols, chunks), x.View, partial.View, n, cols, rows);
        LaunchSumChunksV1(x.Device, cols, partial.View, y.View, chunks, cols, scale, accumulate ? 1 : 0);
    }

    // x (N, I), w (O, I) or (O, I, 1, 1), y (N, O); N = everything before the last dimension.
    private static (int N, int In, int Out) Check(Tensor x, Tensor w, Tensor y, string op)
    {
        int outDim = w.Shape[0], inDim = (int)(w.Length / Math.Max(outDim, 1));
        if (w.Shape.Rank != 2 && !(w.Shape.Rank == 4 && w.Shape[2] == 1 && w.Shape[3] == 1))
            throw new ArgumentException($"{op}: weight expected shape [O,I] or [O,I,1,1], got {w.Shape}");
        if (x.Shape[-1] != inDim) throw new ArgumentException($"{op}: x expected shape [...,{inDim}], got {x.Shape}");
        long n = x.Length / inDim;
        if (y.Length != n * outDim) throw new ArgumentException($"{op}: y expected shape [{n},{outDim}], got {y.Shape}");
        return ((int)n, inDim, outDim);
    }
}
