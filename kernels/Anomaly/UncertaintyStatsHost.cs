// Host versions of the uncertainty statistics and the baselines (math in UncertaintyStats.cs):
//   stats = [max_c s, −Σ_c ŝ ln ŝ (ŝ = max(s, 1e-7)), Σ_c s, 1 − max_c s] per pixel of s (B, K, H, W)
//   baselines on z = s/T: MSP 1 − 1/Σe^(z−m), MaxLogit −m, Entropy ln Σe^(z−m) − Σe^(z−m)(z−m)/Σe^(z−m), RbA −Σ tanh(relu z)
// What bounds it: stats and baselines read K floats and write ≤ 4 per pixel with K logs or exps: EoMT-B-640 output
// (K = 19, 640² px) is 31 MB in, 6.6 MB out → ~2 ms at ~20 GB/s; 7.8 M in-lane float logs (HostMath.Log, ~20 vector
// ops per 16 lanes) are ~0.3 ms per core: bandwidth-bound, so each pixel's K values are read exactly once.
// Loops: work item = a pixel block of one batch item; per 4 vectors of pixels (64 with 16 lanes) the 3 × 4
// accumulators (max, entropy, sum) live in registers while the K class planes are walked: one load per value, no
// scratch. (The first host version kept 1024 pixels' accumulators in a 12 KB L1 scratch, plane-outer, and spent 3
// loads and 3 stores of scratch per value on top of two NaN-propagating max ops and the full special-value log:
// ~31 % of copy bandwidth on the 2-core Zen 5.) Per value now: a native max, an add, a compare-select clamp, ln
// without special-value selects and an FMA; NaN reaches max through the entropy (see StatsAccumulator).
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
    private const int Block = 1024; // least pixels per work item of the statistics

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

    // One block of pixels, 4 vectors (64 pixels with 16 lanes) at a time: their 3 × 4 accumulators stay in registers
    // while the K class planes are walked, so each value is loaded once and nothing else touches memory. The K planes
    // lie hw floats apart (a multiple of 4 KB at 640², the same L1 set), but every 64-byte line is consumed whole by
    // the one load that brings it in, so the set conflicts cost nothing; the ragged end goes one vector at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StatsBlock<TS, TV>(float* sn, float* on, int k, int hw, int start, int end)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, r = start;
        for (; r + 4 * l <= end; r += 4 * l)
        {
            StatsAccumulator<TS, TV> a0 = StatsAccumulator<TS, TV>.Start, a1 = a0, a2 = a0, a3 = a0;
            float* row = sn + r;
            for (int c = 0; c < k; c++, row += hw)
            {
                a0.Add(TS.Load(row));
                a1.Add(TS.Load(row + l));
                a2.Add(TS.Load(row + 2 * l));
                a3.Add(TS.Load(row + 3 * l));
            }
            a0.Store(on + r, hw, l);
            a1.Store(on + r + l, hw, l);
            a2.Store(on + r + 2 * l, hw, l);
            a3.Store(on + r + 3 * l, hw, l);
        }
        for (; r < end; r += l)
        {
            int lanes = Math.Min(l, end - r);
            var acc = StatsAccumulator<TS, TV>.Start;
            for (int c = 0; c < k; c++) acc.Add(HostSimd.LoadTail<TS, TV>(sn + (long)c * hw + r, lanes));
            acc.Store(on + r, hw, lanes);
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

        // Per value: a native max (one instruction; NaN is restored in Store), an add, a compare-select clamp that
        // keeps NaN, and ln of the clamped value without special-value selects: it is ≥ 1e-7 (normal) or +∞ (ln ≈ 88.7,
        // ∞·88.7 = ∞ as the reference) or NaN (NaN·anything = NaN). The entropy is NaN exactly when some value was
        // NaN: its terms −cl·ln cl are ≤ 1/e, so −∞ is the only infinity it can reach and ∞ − ∞ never happens.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TV v)
        {
            Max = TS.MaxNative(Max, v);
            Sum = TS.Add(Sum, v);
            var clamp = TS.Splat(UncertaintyStats.EntropyClamp);
            var cl = TS.Select(TS.LessThan(v, clamp), clamp, v);
            Entropy = TS.Fma(TS.Neg(cl), HostMath.LogNormal<TS, TV>(cl), Entropy);
        }

        // stats planes (4, HW) starting at this pixel; a NaN among the values makes max NaN (as MathF.Max).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(float* o, long hw, int lanes)
        {
            var max = TS.Select(TS.EqualsMask(Entropy, Entropy), Max, TS.Splat(float.NaN));
            HostSimd.StoreTail<TS, TV>(o, max, lanes);
            HostSimd.StoreTail<TS, TV>(o + hw, Entropy, lanes);
            HostSimd.StoreTail<TS, TV>(o + 2 * hw, Sum, lanes);
            HostSimd.StoreTail<TS, TV>(o + 3 * hw, TS.Sub(TS.One, max), lanes);
        }
    }
}
