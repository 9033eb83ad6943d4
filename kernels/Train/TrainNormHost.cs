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
                for (int r = start; r < end; r++)
                {
                    float* row = (float*)xa + (long)r * c;
                    for (int j = 0; j < c; j += HostVector.Lanes)
                    {
                        int lanes = Math.Min(HostVector.Lanes, c - j);
                        var d = HostVector.Load(row + j, lanes) - HostVector.Load((float*)ma + j, lanes);
                        HostVector.Store(HostVector.Fma(d, d, HostVector.Load(partial + j, lanes)), partial + j, lanes);
                    }
                }
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
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 1024), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            for (int r = start; r < end; r++)
                for (int j = 0; j < c; j += HostVector.Lanes)
                {
                    int lanes = Math.Min(HostVector.Lanes, c - j);
                    long o = (long)r * c + j;
                    var v = (HostVector.Load((float*)xs + o, lanes) - HostVector.Load((float*)ms + j, lanes)) * HostVector.Load((float*)rs + j, lanes);
                    HostVector.Store(v * HostVector.Load((float*)gs + j, lanes) + HostVector.Load((float*)bs + j, lanes), (float*)ys + o, lanes);
                }
        });
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
            for (int r = start; r < end; r++)
                for (int j = 0; j < c; j += HostVector.Lanes)
                {
                    int lanes = Math.Min(HostVector.Lanes, c - j);
                    long o = (long)r * c + j;
                    var g = HostVector.Load((float*)gs + o, lanes);
                    var xhat = (HostVector.Load((float*)xs + o, lanes) - HostVector.Load((float*)ms + j, lanes)) * HostVector.Load((float*)rs + j, lanes);
                    HostVector.Store(HostVector.Load(partial + j, lanes) + g, partial + j, lanes);
                    HostVector.Store(HostVector.Fma(g, xhat, HostVector.Load(partial + c + j, lanes)), partial + c + j, lanes);
                }
        }, sums.Pointer, 1f, false);
        nint ss = (nint)sums.Pointer;
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 1024), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            var count = Vector512.Create((float)n);
            for (int r = start; r < end; r++)
                for (int j = 0; j < c; j += HostVector.Lanes)
                {
                    int lanes = Math.Min(HostVector.Lanes, c - j);
                    long o = (long)r * c + j;
                    var rsd = HostVector.Load((float*)rs + j, lanes);
                    var xhat = (HostVector.Load((float*)xs + o, lanes) - HostVector.Load((float*)ms + j, lanes)) * rsd;
                    var sd = HostVector.Load((float*)ss + j, lanes) / count;
                    var sdx = HostVector.Load((float*)ss + c + j, lanes) / count;
                    var v = HostVector.Load((float*)gm + j, lanes) * rsd * (HostVector.Load((float*)gs + o, lanes) - sd - xhat * sdx);
                    HostVector.Store(v, (float*)ds + o, lanes);
                }
        });
        float* dgp = dgamma.HostPointer<float>(), dbp = dbeta.HostPointer<float>();
        for (int ch = 0; ch < c; ch++)
        {
            dbp[ch] = accumulate ? dbp[ch] + sums.Pointer[ch] : sums.Pointer[ch];
            dgp[ch] = accumulate ? dgp[ch] + sums.Pointer[c + ch] : sums.Pointer[c + ch];
        }
    }
}
