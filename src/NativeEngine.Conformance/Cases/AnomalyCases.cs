using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class AnomalyCases
{
    // Stats: K-term float32 sums of values ≤ Q, and ln: 1e-5 absolute covers K ≤ 32 with |s| ≤ 8.
    private const double StatsAbs = 1e-5, StatsRel = 1e-5;
    // Head: two hidden layers of ≤ 64-term dot products in float32 against a double reference.
    private const double HeadAbs = 1e-5, HeadRel = 1e-4;

    // Each op's rows run its simulator kernel (Simple) and its host version (Host, plus EoMT-sized shapes).
    private static readonly VersionKind[] Versions = [VersionKind.Simple, VersionKind.Host];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var choice in Versions)
        {
            bool host = choice == VersionKind.Host;
            string stats = host ? "UncertaintyStatsHost.Stats" : "UncertaintyStats.StatsV1";
            string baseline = host ? "UncertaintyStatsHost.Baseline" : "UncertaintyStats.BaselineV1";
            // Host extras: a ragged pixel count (not a multiple of 16) and EoMT-B-640's K = 19 at a 160² crop.
            var statShapes = new List<(int, int, int, int)> { (1, 1, 1, 1), (1, 19, 5, 7), (2, 4, 3, 33) };
            if (host) statShapes.AddRange([(2, 19, 17, 23), (1, 19, 160, 160)]);
            foreach (var (b, k, h, w) in statShapes)
            {
                string label = $"[{b},{k},{h},{w}]";
                yield return new("anomaly_stats", stats, label, StatsAbs, StatsRel, "K-term float32 sums, ln", d => HostRows.On(d, dev =>
                {
                    var s = SemanticMap(b, k, h * w, 5, 3);
                    using var ts = Tensor.FromHost(dev, new Shape(b, k, h, w), s);
                    using var to = Tensor.Empty(dev, new Shape(b, 4, h, w));
                    UncertaintyStats.Compute(ts, to);
                    return new(AnomalyRef.Stats(s, b, k, h * w), to.ToHostFloat());
                }));
                if (h * w > 4096) continue; // the baselines' large shape adds nothing the stats row does not cover
                foreach (var method in Enum.GetValues<BaselineMethod>())
                    foreach (float t in new[] { 1f, 8f })
                        yield return new("anomaly_baseline", baseline, $"{label} {method} T={t}", StatsAbs, StatsRel,
                            "online softmax vs two-pass double: K-term sums", d => HostRows.On(d, dev =>
                            {
                                var s = SemanticMap(b, k, h * w, 5, 4);
                                using var ts = Tensor.FromHost(dev, new Shape(b, k, h, w), s);
                                using var to = Tensor.Empty(dev, new Shape(b, h, w));
                                AnomalyScores.Baseline(ts, to, method, t);
                                return new(AnomalyRef.Baseline(s, b, k, h * w, (int)method, t), to.ToHostFloat());
                            }));
            }
            var headShapes = new List<(int, int, int, int, int, int)> { (1, 1, 1, 0, 1, 1), (2, 3, 5, 0, 64, 32), (1, 2, 3, 32, 64, 32), (1, 4, 4, 3, 7, 5) };
            if (host) headShapes.AddRange([(1, 64, 64, 0, 64, 32), (1, 33, 35, 32, 64, 32)]); // the seed's stats and hybrid heads
            foreach (var (b, h, w, ce, h1, h2) in headShapes)
                yield return new("anomaly_head", host ? "AnomalyHeadHost.Forward" : "AnomalyHeadKernels.HeadV1", $"[{b},{4 + ce},{h},{w}] H={h1},{h2}",
                    HeadAbs, HeadRel, "64-term float32 dot products vs double", d => HostRows.On(d, dev => Head(dev, b, h, w, ce, h1, h2, choice)));
            var windowShapes = new List<(int, int)> { (4, 4) };
            if (host) windowShapes.Add((37, 45)); // ragged rows, overlapping windows
            foreach (var (wh, ww) in windowShapes)
            {
                string shape = $"2 windows {wh}x{ww} in [{wh},{ww + 2}]";
                yield return new("window_accumulate", host ? "AnomalyHeadHost.AccumulateWindow" : "AnomalyHeadKernels.AccumulateV1", shape, 1e-6, 1e-5,
                    "one add per window, one sigmoid", d => HostRows.On(d, dev => Windows(dev, wh, ww, choice)));
                yield return new("window_score", host ? "AnomalyHeadHost.Score" : "AnomalyHeadKernels.ScoreV1", shape, 1e-6, 1e-5,
                    "one add per window, one sigmoid", d => HostRows.On(d, dev => Windows(dev, wh, ww, choice)));
            }
            yield return new("window_average", host ? "AnomalyHeadHost.Average" : "AnomalyHeadKernels.AverageV1", "2 windows 4x4 in [4,6]", 1e-6, 1e-5,
                "one division (count 0 reads as 1)", d => HostRows.On(d, dev =>
                {
                    using var sum = Tensor.FromHost(dev, new Shape(2, 2), [1f, -2f, 3f, 0.5f]);
                    using var count = Tensor.FromHost(dev, new Shape(2, 2), [1f, 2f, 0f, 4f]);
                    using var avg = Tensor.Empty(dev, new Shape(2, 2));
                    AnomalyHeadKernels.Average(sum, count, avg);
                    return new([1f, -1f, 3f, 0.125f], avg.ToHostFloat());
                }));
        }

        // Host special values: NaN first, last and in the ragged tail (max, entropy and 1 − max go NaN), ±∞ alone and
        // together (sum NaN, max +∞, entropy −∞), a pixel of −∞ only; 135 pixels = two 64-pixel register blocks + a tail.
        yield return new ConformanceCase("anomaly_stats", "UncertaintyStatsHost.Stats", "[1,5,9,15] NaN/±inf", StatsAbs, StatsRel, "K-term float32 sums, ln",
            d => HostRows.On(d, dev =>
            {
                const int k = 5, hw = 9 * 15;
                var s = SemanticMap(1, k, hw, 5, 3);
                foreach (var (c, px, v) in new[] { (0, 5, float.NaN), (4, 6, float.NaN), (2, 3, float.NaN), (1, 130, float.NaN),
                    (0, 70, float.PositiveInfinity), (4, 71, float.NegativeInfinity), (1, 72, float.PositiveInfinity), (3, 72, float.NegativeInfinity) })
                    s[c * hw + px] = v;
                for (int c = 0; c < k; c++) s[c * hw + 131] = float.NegativeInfinity;
                using var ts = Tensor.FromHost(dev, new Shape(1, k, 9, 15), s);
                using var to = Tensor.Empty(dev, new Shape(1, 4, 9, 15));
                UncertaintyStats.Compute(ts, to);
                return new(AnomalyRef.Stats(s, 1, k, hw), to.ToHostFloat());
            }));

        // Bench workloads (host): EoMT-B-640's statistics (K = 19 over 640² pixels), the seed's head (4 statistics,
        // hidden 64 and 32) on 640² pixels, and the score of two stitched 640² windows.
        yield return new ConformanceCase("anomaly_stats", "UncertaintyStatsHost.Stats", "[1,19,640,640]", StatsAbs, StatsRel, "K-term float32 sums, ln",
            d => HostRows.On(d, dev =>
            {
                var s = SemanticMap(1, 19, 640 * 640, 5, 3);
                using var ts = Tensor.FromHost(dev, new Shape(1, 19, 640, 640), s);
                using var to = Tensor.Empty(dev, new Shape(1, 4, 640, 640));
                UncertaintyStats.Compute(ts, to);
                return new(AnomalyRef.Stats(s, 1, 19, 640 * 640), to.ToHostFloat());
            })) { Bench = true };
        yield return new ConformanceCase("anomaly_head", "AnomalyHeadHost.Forward", "[1,4,640,640] H=64,32", HeadAbs, HeadRel, "64-term float32 dot products vs double",
            d => HostRows.On(d, dev => Head(dev, 1, 640, 640, 0, 64, 32, VersionKind.Host))) { Bench = true };
        yield return new ConformanceCase("window_score", "AnomalyHeadHost.Score", "2 windows 640x640 in [640,642]", 1e-6, 1e-5, "one add per window, one sigmoid",
            d => HostRows.On(d, dev => Windows(dev, 640, 640, VersionKind.Host))) { Bench = true };
    }

    /// <summary>A realistic semantic map: Σ_q sigmoid(m)·softmax(c)[:K] from random logits.</summary>
    internal static float[] SemanticMap(int b, int k, int hw, int q, int seed)
    {
        var m = Inputs.Uniform(b * q * hw, seed, -6, 6);
        var p = ClassProbs(b, q, k, seed + 1);
        return AnomalyRef.SemanticMap(m, p, b, q, k, hw);
    }

    internal static float[] ClassProbs(int b, int q, int k, int seed)
    {
        var l = Inputs.Uniform(b * q * (k + 1), seed, -4, 4);
        var p = new float[l.Length];
        for (int r = 0; r < b * q; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c <= k; c++) max = Math.Max(max, l[r * (k + 1) + c]);
            for (int c = 0; c <= k; c++) sum += Math.Exp(l[r * (k + 1) + c] - max);
            for (int c = 0; c <= k; c++) p[r * (k + 1) + c] = (float)(Math.Exp(l[r * (k + 1) + c] - max) / sum);
        }
        return p;
    }

    /// <summary>Random head parameters of the given sizes, unpacked, plus their packed concatenation.</summary>
    internal static (float[] W1, float[] B1, float[] W2, float[] B2, float[] W3, float B3, float[] Packed) RandomHead(int cin, int h1, int h2, int seed)
    {
        var w1 = Inputs.Uniform(h1 * cin, seed, -0.5f, 0.5f);
        var b1 = Inputs.Uniform(h1, seed + 1, -0.2f, 0.2f);
        var w2 = Inputs.Uniform(h2 * h1, seed + 2, -0.3f, 0.3f);
        var b2 = Inputs.Uniform(h2, seed + 3, -0.2f, 0.2f);
        var w3 = Inputs.Uniform(h2, seed + 4, -0.3f, 0.3f);
        float b3 = 0.1f;
        return (w1, b1, w2, b2, w3, b3, [.. w1, .. b1, .. w2, .. b2, .. w3, b3]);
    }

    private static CaseResult Head(ComputeDevice d, int b, int h, int w, int ce, int h1, int h2, VersionKind choice)
    {
        int hw = h * w, cin = 4 + ce;
        var stats = AnomalyRef.Stats(SemanticMap(b, 6, hw, 4, 21), b, 6, hw);
        var extra = Inputs.Uniform(b * ce * hw, 22, 0, 2); // (B, Ce, H, W) channel planes
        var hd = RandomHead(cin, h1, h2, 23);
        var sp = AnomalyRef.ToPixelMajor(stats, b, 4, hw);
        var x = new float[b * hw * cin];
        for (int p = 0; p < b * hw; p++)
        {
            for (int c = 0; c < 4; c++) x[p * cin + c] = sp[p * 4 + c];
            for (int e = 0; e < ce; e++) x[p * cin + 4 + e] = extra[((p / hw) * ce + e) * hw + p % hw];
        }
        using var ts = Tensor.FromHost(d, new Shape(b, 4, h, w), stats);
        using var te = ce > 0 ? Tensor.FromHost(d, new Shape(b, ce, h, w), extra) : null;
        using var tw = Tensor.FromHost(d, new Shape(hd.Packed.Length), hd.Packed);
        using var tl = Tensor.Empty(d, new Shape(b, 1, h, w));
        AnomalyHeadKernels.Forward(new PackedHead(tw, cin, h1, h2), ts, te, tl);
        return new(AnomalyRef.Head(x, b * hw, cin, hd.W1, hd.B1, hd.W2, hd.B2, hd.W3, hd.B3), tl.ToHostFloat());
    }

    private static CaseResult Windows(ComputeDevice d, int wh, int ww, VersionKind choice)
    {
        var w1 = Inputs.Uniform(wh * ww, 31, -3, 3);
        var w2 = Inputs.Uniform(wh * ww, 32, -3, 3);
        using var t1 = Tensor.FromHost(d, new Shape(wh, ww), w1);
        using var t2 = Tensor.FromHost(d, new Shape(wh, ww), w2);
        using var sum = Tensor.Zeros(d, new Shape(wh, ww + 2));
        using var count = Tensor.Zeros(d, new Shape(wh, ww + 2));
        using var score = Tensor.Empty(d, new Shape(wh, ww + 2));
        AnomalyHeadKernels.AccumulateWindow(t1, sum, count, 0, 0);
        AnomalyHeadKernels.AccumulateWindow(t2, sum, count, 0, 2);
        AnomalyHeadKernels.Score(sum, count, score);
        return new(AnomalyRef.StitchedScore([(w1, wh, ww, 0, 0), (w2, wh, ww, 0, 2)], wh, ww + 2), score.ToHostFloat());
    }
}
