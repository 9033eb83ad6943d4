// BatchNorm1d over pixel rows x (N, C), as torch.nn.BatchNorm1d:
//   train: μ = mean_n x, σ² = mean_n (x − μ)² (biased), y = (x − μ)/√(σ² + eps)·γ + β,
//          running_mean ← (1−m)·running_mean + m·μ, running_var ← (1−m)·running_var + m·σ²·N/(N−1) (unbiased)
//   eval:  y = (x − running_mean)/√(running_var + eps)·γ + β
//   backward (train): x̂ = (x − μ)·rstd, dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·rstd·(dy − dβ/N − x̂·dγ/N)
// The reductions over N reuse TrainLinear's deterministic chunked column sums (two passes for σ², not E[x²] − μ²,
// which cancels catastrophically for large N).
// v1: one thread per (channel, chunk) for the partial sums, per channel for the finalisation, per element for the
//     normalisation and dx; implicitly grouped.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>BatchNorm1d forward (train and eval) and backward on (N, C) rows.</summary>
public static partial class TrainNorm
{
    // partial[chunk, c] = Σ_{n in chunk} (x[n, c] − mean[c])².
    [Kernel("batchnorm_centered_squares")]
    internal static void CenteredSquaresV1(Index2D i, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> partial,
        int n, int c, int chunkRows)
    {
        int start = i.Y * chunkRows, end = n - start < chunkRows ? n : start + chunkRows;
        float mu = mean[i.X], acc = 0f;
        for (int r = start; r < end; r++)
        {
            float d = x[(long)r * c + i.X] - mu;
            acc += d * d;
        }
        partial[(long)i.Y * c + i.X] = acc;
    }

    // train != 0: mean holds μ, varSum Σ(x−μ)²; writes rstd and updates the running statistics.
    // train == 0: mean ← running_mean, rstd from running_var.
    [Kernel("batchnorm_finalize")]
    internal static void FinalizeV1(Index1D c, ArrayView<float> mean, ArrayView<float> varSum, ArrayView<float> rstd,
        ArrayView<float> runningMean, ArrayView<float> runningVar, int n, float eps, float momentum, int train)
    {
        if (train != 0)
        {
            float var = varSum[c] / n;
            rstd[c] = XMath.Rsqrt(var + eps);
            runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean[c];
            float unbiased = n > 1 ? varSum[c] / (n - 1) : var;
            runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
        }
        else
        {
            mean[c] = runningMean[c];
            rstd[c] = XMath.Rsqrt(runningVar[c] + eps);
        }
    }

    // i.X = channel, i.Y = row.
    [Kernel("batchnorm_normalize")]
    internal static void NormalizeV1(Index2D i, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y, int c)
    {
        long o = (long)i.Y * c + i.X;
        y[o] = (x[o] - mean[i.X]) * rstd[i.X] * gamma[i.X] + beta[i.X];
    }

    // partialDy[chunk, c] = Σ dy, partialDyXhat[chunk, c] = Σ dy·x̂.
    [Kernel("batchnorm_backward_sums")]
    internal static void BackwardSumsV1(Index2D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean,
        ArrayView<float> rstd, ArrayView<float> partialDy, ArrayView<float> partialDyXhat, int n, int c, int chunkRows)
    {
        int start = i.Y * chunkRows, end = n - start < chunkRows ? n : start + chunkRows;
        float mu = mean[i.X], rs = rstd[i.X], sd = 0f, sdx = 0f;
        for (int r = start; r < end; r++)
        {
            long o = (long)r * c + i.X;
            sd += dy[o];
            sdx += dy[o] * (x[o] - mu) * rs;
        }
        partialDy[(long)i.Y * c + i.X] = sd;
        partialDyXhat[(long)i.Y * c + i.X] = sdx;
    }

    [Kernel("batchnorm_backward")]
    internal static void BackwardV1(Index2D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> gamma, ArrayView<float> sumDy, ArrayView<float> sumDyXhat, ArrayView<float> dx, int n, int c)
    {
        long o = (long)i.Y * c + i.X;
        float rs = rstd[i.X], xhat = (x[o] - mean[i.X]) * rs;
        dx[o] = gamma[i.X] * rs * (dy[o] - sumDy[i.X] / n - xhat * sumDyXhat[i.X] / n);
    }

    /// <summary>
    /// y = BatchNorm1d(x (N,C)). In training mode uses batch statistics and updates the running ones in place;
    /// <paramref name="mean"/> and <paramref name="rstd"/> (C) receive what the backward needs.
    /// </summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y,
        Tensor mean, Tensor rstd, bool training, float eps = 1e-5f, float momentum = 0.1f, KernelChoice choice = KernelChoice.Auto)
    {
        int c = x.Shape[-1], n = (int)(x.Length / Math.Max(c, 1));
        foreach (var (t, name) in new[] { (gamma, "gamma"), (beta, "beta"), (runningMean, "running_mean"), (runningVar, "running_var"), (mean, "mean"), (rstd, "rstd") })
            if (t.Length != c) throw new ArgumentException($"batchnorm: {name} expected shape [{c}], got {t.Shape}");
        if (y.Length != x.Length) throw new ArgumentException($"batchnorm: y expected shape {x.Shape}, got {y.Shape}");
        if (training && n < 2) throw new ArgumentException($"batchnorm: training needs more than one row per channel, got x {x.Shape}");
        if (choice.UseHost(x.Device)) { TrainNormHost.Forward(x, gamma, beta, runningMean, runningVar, y, mean, rstd, training, eps, momentum); return; }
        using var varSum = Tensor.Empty(x.Device, new Shape(c));
        if (training)
        {
            TrainLinear.ColumnSums(x, mean, 1f / n, choice: choice);
            int rows = TrainLinear.ChunkRows(n), chunks = TrainLinear.Chunks(n);
            using var partial = Tensor.Empty(x.Device, new Shape(chunks, c));
            LaunchCenteredSquaresV1(x.Device, new Index2D(c, chunks), x.View, mean.View, partial.View, n, c, rows);
            TrainLinear.LaunchSumChunksV1(x.Device, c, partial.View, varSum.View, chunks, c, 1f, 0);
        }
        LaunchFinalizeV1(x.Device, c, mean.View, varSum.View, rstd.View, runningMean.View, runningVar.View, n, eps, momentum, training ? 1 : 0);
        LaunchNormalizeV1(x.Device, new Index2D(c, n), x.View, mean.View, rstd.View, gamma.View, beta.View, y.View, c);
    }

    /// <summary>Training-mode backward: dx, and dγ, dβ (added to <paramref name="dgamma"/>, <paramref name="dbeta"/> when <paramref name="accumulate"/>).</summary>
    public static void Backward(Tensor x, Tensor dy, Tensor mean, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, bool accumulate = false,
        KernelChoice choice = KernelChoice.Auto)
    {
        int c = x.Shape[-1], n = (int)(x.Length / Math.Max(c, 1));
        if (dy.Length != x.Length || dx.Length != x.Length || dgamma.Length != c || dbeta.Length != c)
            throw new ArgumentException($"batchnorm backward: x {x.Shape}, dy {dy.Shape}, dx {dx.Shape}, dgamma {dgamma.Shape}, dbeta {dbeta.Shape} do not match");
        if (choice.UseHost(x.Device)) { TrainNormHost.Backward(x, dy, mean, rstd, gamma, dx, dgamma, dbeta, accumulate); return; }
        int rows = TrainLinear.ChunkRows(n), chunks = TrainLinear.Chunks(n);
        using var pd = Tensor.Empty(x.Device, new Shape(chunks, c));
        using var pdx = Tensor.Empty(x.Device, new Shape(chunks, c));
        using var sd = Tensor.Empty(x.Device, new Shape(c));
        using var sdx = Tensor.Empty(x.Device, new Shape(c));
        LaunchBackwardSumsV1(x.Device, new Index2D(c, chunks), x.View, dy.View, mean.View, rstd.View, pd.View, pdx.View, n, c, rows);
        TrainLinear.LaunchSumChunksV1(x.Device, c, pd.View, sd.View, chunks, c, 1f, 0);
        TrainLinear.LaunchSumChunksV1(x.Device, c, pdx.View, sdx.View, chunks, c, 1f, 0);
        LaunchBackwardV1(x.Device, new Index2D(c, n), x.View, dy.View, mean.View, rstd.View, gamma.View, sd.View, sdx.View, dx.View, n, c);
        if (accumulate)
        {
            Elementwise.Add(dbeta, sd, dbeta);
            Elementwise.Add(dgamma, sdx, dgamma);
        }
        else
        {
            sd.CopyTo(dbeta);
            sdx.CopyTo(dgamma);
        }
    }
}
