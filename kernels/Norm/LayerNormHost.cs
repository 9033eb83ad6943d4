// Host version of layer_norm: y[r, j] = (x[r, j] − μ_r) / √(σ²_r + eps) · γ[j] + β[j], biased variance, as LayerNorm.cs
// and F.layer_norm (a NaN or ±∞ in a row makes the row NaN).
// Bound: memory. DRAM sees x once and y once (8 B per element): the statistics pass reads the row, the normalise pass
// re-reads it from L1 (a ViT-B row is 3 KB). ViT-B-640: 1705 × 768 floats = 5.2 MB in + 5.2 MB out per call, 25 calls
// per forward ≈ 0.4 ms per call at ~25 GB/s.
// Accuracy: mean and variance in ONE pass with Welford's update per vector lane (each lane holds the running mean and
// Σ(x − mean)² of its strided elements: no E[x²] − E[x]² cancellation), lanes merged with Chan's formula, the scalar
// tail folded in by Welford again. As in v1/v2 everything works on x − x[0] (exact for nearby floats), so a large
// common offset (ViT channels in the hundreds) costs no ulps of the offset in the running means or in x − μ.
// Versions (host):
//   host  rows over the cores (~64 K floats per item); per row: Welford over full vectors (2 sub + 2 FMA per vector,
//         one chain: ~8 cycles per 16 floats, under the memory time), Chan merge of the lanes, then
//         y = ((x − μ)·rstd)·γ + β with one FMA per vector.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (SIMD, multi-core) LayerNorm over the last dimension.</summary>
public static unsafe class LayerNormHost
{
    /// <summary>y = LayerNorm(x) over rows of <paramref name="cols"/> floats; y may alias x.</summary>
    public static void Forward(float* x, float* gamma, float* beta, float* y, int rows, int cols, float eps)
    {
        nint px = (nint)x, pg = (nint)gamma, pb = (nint)beta, py = (nint)y;
        HostSplit.Chunks(rows, HostSplit.RowsPerItem(cols), (r0, count) =>
        {
            for (long r = r0; r < r0 + count; r++)
            {
                Row((float*)px + r * cols, (float*)pg, (float*)pb, (float*)py + r * cols, cols, eps);
            }
        });
    }

    /// <summary>Tensor form of <see cref="LayerNorm.Forward"/>.</summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor y, float eps)
    {
        int cols = x.Shape[-1];
        if (cols == 0 || x.Length == 0) return;
        Forward(x.HostPointer<float>(), gamma.HostPointer<float>(), beta.HostPointer<float>(), y.HostPointer<float>(), (int)(x.Length / cols), cols, eps);
    }

    /// <summary>One row y = LayerNorm(x)·γ + β of <paramref name="n"/> floats at the widest vector width (also the host
    /// GEMM's LayerNorm prologue, which normalises A's rows into its packed panels with it: the same numbers).</summary>
    internal static void Row(float* x, float* gamma, float* beta, float* y, int n, float eps)
    {
        if (HostSimd.Wide) Row<Simd512, Vector512<float>>(x, gamma, beta, y, n, eps);
        else Row<Simd256, Vector256<float>>(x, gamma, beta, y, n, eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<TS, TV>(float* x, float* gamma, float* beta, float* y, int n, float eps)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, vectors = n / l, body = vectors * l;
        float pivot = x[0];
        TV pv = TS.Splat(pivot);
        double mean = 0, m2 = 0; // of x − pivot; the lane merge runs in double (≤ 16 merges per row)
        long count = 0;
        if (vectors > 0)
        {
            TV mu = TS.Sub(TS.Load(x), pv), sq = TS.Zero;
            for (int k = 1; k < vectors; k++)
            {
                TV v = TS.Sub(TS.Load(x + k * l), pv);
                TV delta = TS.Sub(v, mu);
                mu = TS.Fma(delta, TS.Splat(1f / (k + 1)), mu);
                sq = TS.Fma(delta, TS.Sub(v, mu), sq);
            }
            float* lm = stackalloc float[16];
            float* ls = stackalloc float[16];
            TS.Store(lm, mu);
            TS.Store(ls, sq);
            // Chan: every lane saw `vectors` elements.
            for (int k = 0; k < l; k++)
            {
                double d = lm[k] - mean, nb = vectors;
                long total = count + vectors;
                mean += d * nb / total;
                m2 += ls[k] + d * d * count * nb / total;
                count = total;
            }
        }
        for (int j = body; j < n; j++)
        {
            count++;
            double v = x[j] - pivot;
            double d = v - mean;
            mean += d / count;
            m2 += d * (v - mean);
        }
        float mu0 = (float)mean, rstd = (float)(1.0 / Math.Sqrt(m2 / n + eps)); // the mean is pivot + mu0, never formed
        TV mv = TS.Splat(mu0), rv = TS.Splat(rstd);
        int i = 0;
        for (; i < body; i += l)
            TS.Store(y + i, TS.Fma(TS.Mul(TS.Sub(TS.Sub(TS.Load(x + i), pv), mv), rv), TS.Load(gamma + i), TS.Load(beta + i)));
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd((x[i] - pivot - mu0) * rstd, gamma[i], beta[i]);
    }
}
