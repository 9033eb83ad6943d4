// Host versions of the uncertainty statistics and the baselines (math in UncertaintyStats.cs):
//   stats = [max_c s, −Σ_c ŝ ln ŝ (ŝ = max(s, 1e-7)), Σ_c s, 1 − max_c s] per pixel of s (B, K, H, W)
//   baselines on z = s/T: MSP 1 − 1/Σe^(z−m), MaxLogit −m, Entropy ln Σe^(z−m) − Σe^(z−m)(z−m)/Σe^(z−m), RbA −Σ tanh(relu z)
// What bounds it: stats and baselines read K floats and write ≤ 4 per pixel with K logs or exps: EoMT-B-640 output
// (K = 19, 640² px) is 31 MB in, 6.6 MB out → ~2 ms at ~20 GB/s; 7.8 M in-lane float logs (HostMath.Log, ~20 vector
// ops per 16 lanes) are ~0.3 ms per core: bandwidth-bound, so each pixel's K values are read exactly once.
// Loops: work item = a pixel block of one batch item; per 1024 pixels (64 zmm per statistic, 192 accumulators on the
// stack: 12 KB of L1) the K channel planes are walked plane by plane with max, sum and entropy — every quantity of a
// pixel in one pass, one load per value, one contiguous 4 KB run per plane (no L1 set conflicts between the K planes).
// The baselines re-read the pixel's K values from L1 for the exp pass (max first, so no online rescaling is needed).
// Optimisations: vector log/exp inline (no temporary planes); tails through the same vector code (HostSimd).
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="UncertaintyStats"/> and <see cref="AnomalyScores"/>.</summary>
public static unsafe class UncertaintyStatsHost
{
    private const int Block = 1024; // pixels per plane-outer block of the statistics

    /// <summary>Same contract as <see cref="UncertaintyStats.Compute"/>, on host memory.</summary>
    public static void Compute(Tensor s, Tensor stats) =>
        Stats(s.HostPointer<float>(), stats.HostPointer<float>(), s.Shape[0], s.Shape[1], s.Shape[2] * s.Shape[3]);

    /// <summary>stats (B,4,HW) of s (B,K,HW).</summary>
    public static void Stats(float* s, float* stats, int b, int k, int hw)
    {
        nint sp = (nint)s, op = (nint)stats;
        HostSplit.ForBlocks(b, hw, HostSplit.BlockFor((long)b * hw, Block), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            float* sn = (float*)sp + (long)n * k * hw, on = (float*)op + (long)n * UncertaintyStats.Count * hw;
            if (HostSimd.Wide) StatsBlock<Simd512, Vector512<float>>(sn, on, k, hw, start, end);
            else StatsBlock<Simd256, Vector256<float>>(sn, on, k, hw, start, end);
        });
    }

    // One block of ≤ 1024 pixels, channel plane by channel plane: the K planes lie hw floats apart (a multiple of 4 KB
    // at 640²), so walking all K planes per vector of pixels would map K lines to one L1 set (K = 19 > 8 ways) and
    // miss on every load; plane-outer, each plane's run of the block is one contiguous 4 KB stream (a page: the
    // prefetchers see whole pages) and the 3 × 64 accumulators (12 KB) stay in L1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StatsBlock<TS, TV>(float* sn, float* on, int k, int hw, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes;
        var acc = stackalloc StatsAccumulator<TS, TV>[Block / 8];
        for (int r0 = start; r0 < end; r0 += Block)
        {
            int count = Math.Min(Block, end - r0), nv = (count + l - 1) / l;
            for (int v = 0; v < nv; v++) acc[v] = StatsAccumulator<TS, TV>.Start;
            int full = count / l; // whole vectors by plain loads, the ragged one (if any) through the stack slot
            for (int c = 0; c < k; c++)
            {
                float* row = sn + (long)c * hw + r0;
                for (int v = 0; v < full; v++) acc[v].Add(TS.Load(row + v * l));
                if (full < nv) acc[full].Add(HostSimd.LoadTail<TS, TV>(row + full * l, count - full * l));
            }
            for (int v = 0; v < nv; v++) acc[v].Store(on + r0 + v * l, hw, count - v * l);
        }
    }

    /// <summary>Same contract as <see cref="AnomalyScores.Baseline"/>, on host memory.</summary>
    public static void Baseline(Tensor s, Tensor score, BaselineMethod method, float temperature) =>
        Baseline(s.HostPointer<float>(), score.HostPointer<float>(), s.Shape[0], s.Shape[1], s.Shape[2] * s.Shape[3], method, 1f / temperature);

    /// <summary>score (B,HW) = the baseline of s (B,K,HW) on z = s·invT.</summary>
    public static void Baseline(float* s, float* score, int b, int k, int hw, BaselineMethod method, float invT)
    {
        nint sp = (nint)s, op = (nint)score;
        HostSplit.ForBlocks(b, hw, HostSplit.BlockFor((long)b * hw), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            float* sn = (float*)sp + (long)n * k * hw, on = (float*)op + (long)n * hw;
            if (HostSimd.Wide) BaselineBlock<Simd512, Vector512<float>>(sn, on, k, hw, start, end, method, invT);
            else BaselineBlock<Simd256, Vector256<float>>(sn, on, k, hw, start, end, method, invT);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BaselineBlock<TS, TV>(float* sn, float* on, int k, int hw, int start, int end, BaselineMethod method, float invT)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var t = TS.Splat(invT);
        for (int r = start; r < end; r += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, end - r);
            var m = TS.Splat(float.NegativeInfinity);
            var rba = TS.Zero;
            for (int c = 0; c < k; c++)
            {
                var z = TS.Mul(HostSimd.LoadTail<TS, TV>(sn + (long)c * hw + r, lanes), t);
                m = TS.Max(m, z);
                if (method == BaselineMethod.RbA) rba = TS.Add(rba, Tanh<TS, TV>(TS.Max(z, TS.Zero)));
            }
            TV result;
            if (method == BaselineMethod.MaxLogit) result = TS.Neg(m);
            else if (method == BaselineMethod.RbA) result = TS.Neg(rba);
            else
            {
                TV se = TS.Zero, sz = TS.Zero;
                for (int c = 0; c < k; c++)
                {
                    var d = TS.Sub(TS.Mul(HostSimd.LoadTail<TS, TV>(sn + (long)c * hw + r, lanes), t), m);
                    var e = TS.Exp(d);
                    se = TS.Add(se, e);
                    sz = TS.Fma(e, d, sz);
                }
                result = method == BaselineMethod.Msp ? TS.Sub(TS.One, TS.Div(TS.One, se)) : TS.Sub(TS.Log(se), TS.Div(sz, se));
            }
            HostSimd.StoreTail<TS, TV>(on + r, result, lanes);
        }
    }

    // tanh(x) for x ≥ 0 as 1 − 2/(e^(2x) + 1): 1 at +∞, NaN stays NaN; absolute error ~1e-7.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Tanh<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged =>
        TS.Sub(TS.One, TS.Div(TS.Splat(2f), TS.Add(TS.Exp(TS.Add(x, x)), TS.One)));

    /// <summary>Running max, entropy and sum of one vector of pixels over the classes.</summary>
    private struct StatsAccumulator<TS, TV> where TS : struct, ISimd<TV> where TV : unmanaged
    {
        public TV Max, Entropy, Sum;

        public static StatsAccumulator<TS, TV> Start => new() { Max = TS.Splat(float.NegativeInfinity), Entropy = TS.Zero, Sum = TS.Zero };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TV v)
        {
            Max = TS.Max(Max, v);
            Sum = TS.Add(Sum, v);
            var cl = TS.Max(v, TS.Splat(UncertaintyStats.EntropyClamp));
            Entropy = TS.Sub(Entropy, TS.Mul(cl, TS.Log(cl)));
        }

        // stats planes (4, HW) starting at this pixel.
        public readonly void Store(float* o, long hw, int lanes)
        {
            HostSimd.StoreTail<TS, TV>(o, Max, lanes);
            HostSimd.StoreTail<TS, TV>(o + hw, Entropy, lanes);
            HostSimd.StoreTail<TS, TV>(o + 2 * hw, Sum, lanes);
            HostSimd.StoreTail<TS, TV>(o + 3 * hw, TS.Sub(TS.One, Max), lanes);
        }
    }
}
