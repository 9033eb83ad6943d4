// Per-pixel uncertainty statistics of EoMT-EXT and the post-hoc baseline scores (seed.md §1.2, §3.5).
// S is the MaskFormer semantic map (B, K, H, W), s_c = Σ_q sigmoid(m_q)·softmax(c_q)[c] (not normalised).
//   stats (B, 4, H, W) = [max_c s, −Σ_c ŝ·ln ŝ with ŝ = max(s, 1e-7), Σ_c s, 1 − max_c s]
//   baselines on z = S / T treated as logits: MSP 1 − max softmax(z), MaxLogit −max z,
//   Entropy −Σ p·ln(p + 1e-12), RbA −Σ tanh(relu(z)).
// PyTorch: torch.stack([s.max(1), -(s.clamp(min=1e-7) * s.clamp(min=1e-7).log()).sum(1), s.sum(1), 1 - s.max(1)], 1).
// v1 stats: one thread per pixel, one pass over the K channels (neighbouring threads read neighbouring pixels of
//    the same channel plane, so every load is coalesced; at 1024² × K = 19 that is 80 MB read once, ~30 µs on an H100).
// v1 baseline: one thread per pixel, one online-softmax pass (running max m, Σe^(z−m), Σe^(z−m)(z−m)) so MSP and
//    Entropy need no second read of the K planes.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>The post-hoc baseline scores of seed.md §3.5 (higher = more anomalous).</summary>
public enum BaselineMethod
{
    /// <summary>1 − max_c softmax(S/T).</summary>
    Msp = 0,
    /// <summary>−max_c S/T.</summary>
    MaxLogit = 1,
    /// <summary>−Σ_c p·ln(p + 1e-12), p = softmax(S/T).</summary>
    Entropy = 2,
    /// <summary>−Σ_c tanh(relu(S/T)) (Rejected by All).</summary>
    RbA = 3,
}

/// <summary>Uncertainty statistics (max_prob, entropy, energy, msp) and the baselines.</summary>
public static partial class UncertaintyStats
{
    /// <summary>Clamp applied before the entropy's logarithm (seed: semantic_map.clamp(min=1e-7)).</summary>
    public const float EntropyClamp = 1e-7f;

    /// <summary>Number of statistics per pixel.</summary>
    public const int Count = 4;

    // s (B, K, HW) → stats (B, 4, HW); pixel p = b·HW + r.
    [Kernel("anomaly_stats")]
    internal static void StatsV1(Index1D p, ArrayView<float> s, ArrayView<float> stats, int k, int hw)
    {
        int b = p / hw, r = p - b * hw;
        long plane = (long)b * k * hw + r;
        float max = float.NegativeInfinity, ent = 0f, sum = 0f;
        for (int c = 0; c < k; c++)
        {
            float v = s[plane + (long)c * hw];
            max = XMath.Max(max, v);
            sum += v;
            float cl = XMath.Max(v, EntropyClamp);
            ent -= cl * XMath.Log(cl);
        }
        long o = (long)b * Count * hw + r;
        stats[o] = max;
        stats[o + hw] = ent;
        stats[o + 2 * hw] = sum;
        stats[o + 3 * hw] = 1f - max;
    }

    // s (B, K, HW) → score (B, HW) for one BaselineMethod; invT = 1/T.
    [Kernel("anomaly_baseline")]
    internal static void BaselineV1(Index1D p, ArrayView<float> s, ArrayView<float> score, int k, int hw, int method, float invT)
    {
        int b = p / hw, r = p - b * hw;
        long plane = (long)b * k * hw + r;
        // Online softmax: m running max of z, se = Σ e^(z−m), sz = Σ e^(z−m)·(z−m); rba = Σ tanh(relu(z)).
        float m = float.NegativeInfinity, se = 0f, sz = 0f, rba = 0f;
        for (int c = 0; c < k; c++)
        {
            float z = s[plane + (long)c * hw] * invT;
            rba += XMath.Tanh(XMath.Max(z, 0f));
            if (z > m)
            {
                float scale = m == float.NegativeInfinity ? 0f : XMath.Exp(m - z);
                float d = m == float.NegativeInfinity ? 0f : m - z;   // old terms' (z−m) shift by (m_old − m_new)
                sz = scale * (sz + d * se);
                se = se * scale + 1f;
                m = z;
            }
            else
            {
                float e = XMath.Exp(z - m);
                se += e;
                sz += e * (z - m);
            }
        }
        float result;
        if (method == 0) result = 1f - 1f / se;                  // max softmax = e^0 / Σ
        else if (method == 1) result = -m;
        else if (method == 2) result = XMath.Log(se) - sz / se;  // −Σ p ln p with ln p = (z − m) − ln Σ
        else result = -rba;
        score[p] = result;
    }

    /// <summary>stats (B,4,H,W) = [max_prob, entropy, energy, msp] of the semantic map <paramref name="s"/> (B,K,H,W).</summary>
    public static void Compute(Tensor s, Tensor stats, KernelChoice choice = KernelChoice.Auto)
    {
        var (b, k, h, w) = Dims4(s, "s");
        stats.Expect("stats", b, Count, h, w);
        if (choice.UseHost(s.Device)) { UncertaintyStatsHost.Compute(s, stats); return; }
        LaunchStatsV1(s.Device, b * h * w, s.View, stats.View, k, h * w);
    }

    internal static (int B, int C, int H, int W) Dims4(Tensor t, string what)
    {
        if (t.Shape.Rank != 4) throw new ArgumentException($"{what}: expected shape [B,C,H,W], got {t.Shape}");
        if (t.DType != DType.Float32) throw new ArgumentException($"{what}: expected float32, got {t.DType.Name()}");
        return (t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]);
    }
}

/// <summary>The baseline scores of seed.md §3.5 computed on the semantic map treated as logits.</summary>
public static class AnomalyScores
{
    /// <summary>score (B,H,W) or (B,1,H,W) = the baseline <paramref name="method"/> of <paramref name="s"/> (B,K,H,W) at temperature T.</summary>
    public static void Baseline(Tensor s, Tensor score, BaselineMethod method, float temperature = 1f, KernelChoice choice = KernelChoice.Auto)
    {
        var (b, k, h, w) = UncertaintyStats.Dims4(s, "s");
        if (score.Length != (long)b * h * w)
            throw new ArgumentException($"score: expected shape [{b},{h},{w}] or [{b},1,{h},{w}], got {score.Shape}");
        if (!(temperature > 0)) throw new ArgumentException($"temperature: must be > 0, got {temperature}");
        if (choice.UseHost(s.Device)) { UncertaintyStatsHost.Baseline(s, score, method, temperature); return; }
        UncertaintyStats.LaunchBaselineV1(s.Device, b * h * w, s.View, score.View, k, h * w, (int)method, 1f / temperature);
    }
}
