// Host versions of BatchNorm1d over pixel rows x (N, C) (math in TrainNorm.cs): batch mean and two-pass variance,
// running-statistics update, normalisation, and the training-mode backward.
// The reductions over N keep the kernels' deterministic chunking (TrainLinearHost.ChunkedSums), so mean, variance
// and the backward sums are identical on any core count.
// What bounds it: EoMT-B-640 training rows (0.41 M × 64 channels, 105 MB) are read three times forward (mean,
// squared deviations, normalise) and written once, and read twice backward (x and dy for the sums, again for dx):
// bandwidth-bound on the 2-core Zen 5 (~20 GB/s: ~20 ms forward), with C = 64 per row = 4 zmm per row.
// Loops: rows in chunks on the cores; per row the C channels in zmm (mean, rstd, gamma, beta of 64 channels are
// 16 zmm: L1); finalisation (C values) on the calling thread in the kernel's float arithmetic.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="TrainNorm"/>.</summary>
public static unsafe class TrainNormHost
{
    /// <summary>Same contract as <see cref="TrainNorm.Forward"/>, on host memory.</summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y,
        Tensor mean, Tensor rstd, bool training, float eps, float momentum)
    {
        int c = x.Shape[-1], n = (int)(x.Length / Math.Max(c, 1));
        float* xp = x.HostPointer<float>(), mp = mean.HostPointer<float>(), rp = rstd.HostPointer<float>();
        float* rm = runningMean.HostPointer<float>(), rv = runningVar.HostPointer<float>();
        using var varSum = new PooledFloats(c);
        if (training)
        {
            TrainLinearHost.ColumnSums(xp, mp, n, c, 1f / n, false);
            nint xa = (nint)xp, ma = (nint)mp;
            TrainLinearHost.ChunkedSums(n, c, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, partial) =>
            {
                if (HostSimd.Wide) SquaredDeviations<Simd512, Vector512<float>>((float*)xa, (float*)ma, c, start, end, partial);
                else SquaredDeviations<Simd256, Vector256<float>>((float*)xa, (float*)ma, c, start, end, partial);
            }, varSum.Pointer, 1f, false);
        }
        for (int ch = 0; ch < c; ch++) // batchnorm_finalize
        {
            if (training)
            {
                float var = varSum.Pointer[ch] / n;
                rp[ch] = 1f / MathF.Sqrt(var + eps);
                rm[ch] = (1f - momentum) * rm[ch] + momentum * mp[ch];
                float unbiased = n > 1 ? varSum.Pointer[ch] / (n - 1) : var;
                rv[ch] = (1f - momentum) * rv[ch] + momentum * unbiased;
            }
            else
            {
                mp[ch] = rm[ch];
                rp[ch] = 1f / MathF.Sqrt(rv[ch] + eps);
            }
        }
        nint xs = (nint)xp, ms = (nint)mp, rs = (nint)rp, gs = (nint)gamma.HostPointer<float>(), bs = (nint)beta.HostPointer<float>();
        nint ys = (nint)y.HostPointer<float>();
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 1024), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            if (HostSimd.Wide) Normalize<Simd512, Vector512<float>>((float*)xs, (float*)ms, (float*)rs, (float*)gs, (float*)bs, (float*)ys, c, start, end);
            else Normalize<Simd256, Vector256<float>>((float*)xs, (float*)ms, (float*)rs, (float*)gs, (float*)bs, (float*)ys, c, start, end);
        });
    }

    // partial[j] += Σ_r (x[r, j] − mean[j])², rows in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SquaredDeviations<TS, TV>(float* x, float* mean, int c, int start, int end, float* partial)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int r = start; r < end; r++)
        {
            float* row = x + (long)r * c;
            for (int j = 0; j < c; j += TS.Lanes)
            {
                int lanes = Math.Min(TS.Lanes, c - j);
                var d = TS.Sub(HostSimd.LoadTail<TS, TV>(row + j, lanes), HostSimd.LoadTail<TS, TV>(mean + j, lanes));
                HostSimd.StoreTail<TS, TV>(partial + j, TS.Fma(d, d, HostSimd.LoadTail<TS, TV>(partial + j, lanes)), lanes);
            }
        }
    }

    // y = (x − mean)·rstd·gamma + beta over rows [start, end).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize<TS, TV>(float* x, float* mean, float* rstd, float* gamma, float* beta, float* y, int c, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int r = start; r < end; r++)
            for (int j = 0; j < c; j += TS.Lanes)
            {
                int lanes = Math.Min(TS.Lanes, c - j);
                long o = (long)r * c + j;
                var v = TS.Mul(TS.Sub(HostSimd.LoadTail<TS, TV>(x + o, lanes), HostSimd.LoadTail<TS, TV>(mean + j, lanes)), HostSimd.LoadTail<TS, TV>(rstd + j, lanes));
                HostSimd.StoreTail<TS, TV>(y + o, TS.Add(TS.Mul(v, HostSimd.LoadTail<TS, TV>(gamma + j, lanes)), HostSimd.LoadTail<TS, TV>(beta + j, lanes)), lanes);
            }
    }

    /// <summary>Same contract as <see cref="TrainNorm.Backward"/>, on host memory.</summary>
    public static void Backward(Tensor x, Tensor dy, Tensor mean, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, bool accumulate)
    {
        int c = x.Shape[-1], n = (int)(x.Length / Math.Max(c, 1));
        nint xs = (nint)x.HostPointer<float>(), gs = (nint)dy.HostPointer<float>(), ms = (nint)mean.HostPointer<float>();
        nint rs = (nint)rstd.HostPointer<float>(), gm = (nint)gamma.HostPointer<float>(), ds = (nint)dx.HostPointer<float>();
        // One pass for both sums: partial rows hold [Σ dy (C) | Σ dy·x̂ (C)].
        using var sums = new PooledFloats(2 * c);
        TrainLinearHost.ChunkedSums(n, 2 * c, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, partial) =>
        {
            if (HostSimd.Wide) BackwardSums<Simd512, Vector512<float>>((float*)xs, (float*)gs, (float*)ms, (float*)rs, c, start, end, partial);
            else BackwardSums<Simd256, Vector256<float>>((float*)xs, (float*)gs, (float*)ms, (float*)rs, c, start, end, partial);
        }, sums.Pointer, 1f, false);
        nint ss = (nint)sums.Pointer;
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 1024), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            if (HostSimd.Wide) BackwardDx<Simd512, Vector512<float>>((float*)xs, (float*)gs, (float*)ms, (float*)rs, (float*)gm, (float*)ss, (float*)ds, n, c, start, end);
            else BackwardDx<Simd256, Vector256<float>>((float*)xs, (float*)gs, (float*)ms, (float*)rs, (float*)gm, (float*)ss, (float*)ds, n, c, start, end);
        });
        float* dgp = dgamma.HostPointer<float>(), dbp = dbeta.HostPointer<float>();
        for (int ch = 0; ch < c; ch++)
        {
            dbp[ch] = accumulate ? dbp[ch] + sums.Pointer[ch] : sums.Pointer[ch];
            dgp[ch] = accumulate ? dgp[ch] + sums.Pointer[c + ch] : sums.Pointer[c + ch];
        }
    }

    // partial = [Σ dy (C) | Σ dy·x̂ (C)] over rows [start, end), in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardSums<TS, TV>(float* x, float* dy, float* mean, float* rstd, int c, int start, int end, float* partial)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int r = start; r < end; r++)
            for (int j = 0; j < c; j += TS.Lanes)
            {
                int lanes = Math.Min(TS.Lanes, c - j);
                long o = (long)r * c + j;
                var g = HostSimd.LoadTail<TS, TV>(dy + o, lanes);
                var xhat = TS.Mul(TS.Sub(HostSimd.LoadTail<TS, TV>(x + o, lanes), HostSimd.LoadTail<TS, TV>(mean + j, lanes)), HostSimd.LoadTail<TS, TV>(rstd + j, lanes));
                HostSimd.StoreTail<TS, TV>(partial + j, TS.Add(HostSimd.LoadTail<TS, TV>(partial + j, lanes), g), lanes);
                HostSimd.StoreTail<TS, TV>(partial + c + j, TS.Fma(g, xhat, HostSimd.LoadTail<TS, TV>(partial + c + j, lanes)), lanes);
            }
    }

    // dx = gamma·rstd·(dy − Σdy/N − x̂·Σdy·x̂/N) over rows [start, end).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardDx<TS, TV>(float* x, float* dy, float* mean, float* rstd, float* gamma, float* sums, float* dx, int n, int c, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var count = TS.Splat(n);
        for (int r = start; r < end; r++)
            for (int j = 0; j < c; j += TS.Lanes)
            {
                int lanes = Math.Min(TS.Lanes, c - j);
                long o = (long)r * c + j;
                var rsd = HostSimd.LoadTail<TS, TV>(rstd + j, lanes);
                var xhat = TS.Mul(TS.Sub(HostSimd.LoadTail<TS, TV>(x + o, lanes), HostSimd.LoadTail<TS, TV>(mean + j, lanes)), rsd);
                var sd = TS.Div(HostSimd.LoadTail<TS, TV>(sums + j, lanes), count);
                var sdx = TS.Div(HostSimd.LoadTail<TS, TV>(sums + c + j, lanes), count);
                var v = TS.Mul(TS.Mul(HostSimd.LoadTail<TS, TV>(gamma + j, lanes), rsd), TS.Sub(TS.Sub(HostSimd.LoadTail<TS, TV>(dy + o, lanes), sd), TS.Mul(xhat, sdx)));
                HostSimd.StoreTail<TS, TV>(dx + o, v, lanes);
            }
    }
}
