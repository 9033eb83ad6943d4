// Host versions of the uncertainty statistics and the baselines (math in UncertaintyStats.cs):
//   stats = [max_c s, −Σ_c ŝ ln ŝ (ŝ = max(s, 1e-7)), Σ_c s, 1 − max_c s] per pixel of s (B, K, H, W)
//   baselines on z = s/T: MSP 1 − 1/Σe^(z−m), MaxLogit −m, Entropy ln Σe^(z−m) − Σe^(z−m)(z−m)/Σe^(z−m), RbA −Σ tanh(relu z)
// What bounds it: stats and baselines read K floats and write ≤ 4 per pixel with K logs or exps: EoMT-B-640 output
// (K = 19, 640² px) is 31 MB in, 6.6 MB out → ~2 ms at ~20 GB/s; 7.8 M logs at ~1 ns per 16 lanes per core are
// 0.25 ms: bandwidth-bound, so each pixel's K values are read exactly once.
// Loops: work item = a pixel block of one batch item; per 16 pixels (one zmm per statistic) the K channel planes are
// walked with max, sum and entropy in 3 registers — every quantity of a pixel in one pass, one load per value.
// The baselines re-read the pixel's K values from L1 for the exp pass (max first, so no online rescaling is needed).
// Optimisations: Vector512.Log/Exp inline (no temporary planes); tails through the same vector code (HostVector).
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="UncertaintyStats"/> and <see cref="AnomalyScores"/>.</summary>
public static unsafe class UncertaintyStatsHost
{
    /// <summary>Same contract as <see cref="UncertaintyStats.Compute"/>, on host memory.</summary>
    public static void Compute(Tensor s, Tensor stats) =>
        Stats(s.HostPointer<float>(), stats.HostPointer<float>(), s.Shape[0], s.Shape[1], s.Shape[2] * s.Shape[3]);

    /// <summary>stats (B,4,HW) of s (B,K,HW).</summary>
    public static void Stats(float* s, float* stats, int b, int k, int hw)
    {
        nint sp = (nint)s, op = (nint)stats;
        HostVector.ForBlocks(b, hw, HostVector.BlockFor((long)b * hw), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            float* sn = (float*)sp + (long)n * k * hw, on = (float*)op + (long)n * UncertaintyStats.Count * hw;
            for (int r = start; r < end; r += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, end - r);
                var acc = StatsAccumulator.Start;
                for (int c = 0; c < k; c++) acc.Add(HostVector.Load(sn + (long)c * hw + r, lanes));
                acc.Store(on + r, hw, lanes);
            }
        });
    }

    /// <summary>Same contract as <see cref="AnomalyScores.Baseline"/>, on host memory.</summary>
    public static void Baseline(Tensor s, Tensor score, BaselineMethod method, float temperature) =>
        Baseline(s.HostPointer<float>(), score.HostPointer<float>(), s.Shape[0], s.Shape[1], s.Shape[2] * s.Shape[3], method, 1f / temperature);

    /// <summary>score (B,HW) = the baseline of s (B,K,HW) on z = s·invT.</summary>
    public static void Baseline(float* s, float* score, int b, int k, int hw, BaselineMethod method, float invT)
    {
        nint sp = (nint)s, op = (nint)score;
        HostVector.ForBlocks(b, hw, HostVector.BlockFor((long)b * hw), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            float* sn = (float*)sp + (long)n * k * hw, on = (float*)op + (long)n * hw;
            var t = Vector512.Create(invT);
            for (int r = start; r < end; r += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, end - r);
                var m = Vector512.Create(float.NegativeInfinity);
                var rba = Vector512<float>.Zero;
                for (int c = 0; c < k; c++)
                {
                    var z = HostVector.Load(sn + (long)c * hw + r, lanes) * t;
                    m = Vector512.Max(m, z);
                    if (method == BaselineMethod.RbA) rba += Tanh(Vector512.Max(z, Vector512<float>.Zero));
                }
                Vector512<float> result;
                if (method == BaselineMethod.MaxLogit) result = -m;
                else if (method == BaselineMethod.RbA) result = -rba;
                else
                {
                    Vector512<float> se = Vector512<float>.Zero, sz = Vector512<float>.Zero;
                    for (int c = 0; c < k; c++)
                    {
                        var d = HostVector.Load(sn + (long)c * hw + r, lanes) * t - m;
                        var e = Vector512.Exp(d);
                        se += e;
                        sz = HostVector.Fma(e, d, sz);
                    }
                    result = method == BaselineMethod.Msp ? Vector512<float>.One - Vector512<float>.One / se : Vector512.Log(se) - sz / se;
                }
                HostVector.Store(result, on + r, lanes);
            }
        });
    }

    // tanh(x) for x ≥ 0 as 1 − 2/(e^(2x) + 1): 1 at +∞, NaN stays NaN; absolute error ~1e-7.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh(Vector512<float> x) =>
        Vector512<float>.One - Vector512.Create(2f) / (Vector512.Exp(x + x) + Vector512<float>.One);

    /// <summary>Running max, entropy and sum of 16 pixels over the classes.</summary>
    private struct StatsAccumulator
    {
        public Vector512<float> Max, Entropy, Sum;

        public static StatsAccumulator Start => new() { Max = Vector512.Create(float.NegativeInfinity) };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector512<float> v)
        {
            Max = Vector512.Max(Max, v);
            Sum += v;
            var cl = Vector512.Max(v, Vector512.Create(UncertaintyStats.EntropyClamp));
            Entropy -= cl * Vector512.Log(cl);
        }

        // stats planes (4, HW) starting at this pixel.
        public readonly void Store(float* o, long hw, int lanes)
        {
            HostVector.Store(Max, o, lanes);
            HostVector.Store(Entropy, o + hw, lanes);
            HostVector.Store(Sum, o + 2 * hw, lanes);
            HostVector.Store(Vector512<float>.One - Max, o + 3 * hw, lanes);
        }
    }
}
