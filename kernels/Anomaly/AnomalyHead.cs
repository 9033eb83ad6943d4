// The EoMT-EXT pixel-wise anomaly head in eval mode, one thread per pixel (seed.md §1.3–§1.6):
//   logit = w3·relu(W2·relu(W1·x + b1) + b2) + b3,  x = [4 stats | Ce extra features] (Ce = 0 stats-only, 32 hybrid)
//   stats (B,4,H,W) and extra (B,Ce,H,W) are both channel planes, so neighbouring threads read neighbouring pixels.
//   score = sigmoid(mean over windows of logit)  (the seed's 2-channel softmax of [0, L], channel 1).
// Dropout is the identity in eval mode and an eval-mode BatchNorm1d after the first ReLU is folded into W2, b2 by
// the model (NativeEngine.Models.Anomaly), so one kernel serves every layout.
// PyTorch: head.eval()(x.permute(0,2,3,1).reshape(-1, Cin)).
// Parameters are packed in one buffer: W1 (H1,Cin) | b1 (H1) | W2 (H2,H1) | b2 (H2) | w3 (H2) | b3 (1).
// v1: one thread per pixel; the H1 hidden units are recomputed for each of the H2 second-layer units instead of
//     being kept in a per-thread array (which would spill to local memory): H2·H1·Cin MACs per pixel, 8 k for the
//     stats head, so 1024² pixels are ~17 GFLOP (~1 ms on an H100); the ~10 KB of weights stay in L1.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>A head's parameters packed for the per-pixel kernel (W1|b1|W2|b2|w3|b3), eval-mode BN already folded.</summary>
/// <param name="Params">The packed float32 buffer.</param>
/// <param name="InputDim">Cin: 4 (stats) or 4 + extra features (36 for the hybrid).</param>
/// <param name="Hidden1">H1 (64 in the seed).</param>
/// <param name="Hidden2">H2 (32 in the seed).</param>
public readonly record struct PackedHead(Tensor Params, int InputDim, int Hidden1, int Hidden2)
{
    /// <summary>Packed length for the given sizes.</summary>
    public static int Length(int inputDim, int hidden1, int hidden2) =>
        hidden1 * inputDim + hidden1 + hidden2 * hidden1 + hidden2 + hidden2 + 1;
}

/// <summary>Per-pixel head inference, logit → score, and window averaging.</summary>
public static partial class AnomalyHeadKernels
{
    // The MLP for one pixel: x0..x3 are the statistics, extra[extraBase + e·extraStride] (e < ce) the extra features.
    internal static float Mlp(ArrayView<float> w, int cin, int h1, int h2, float x0, float x1, float x2, float x3,
        ArrayView<float> extra, long extraBase, long extraStride, int ce)
    {
        int b1 = h1 * cin, w2 = b1 + h1, b2 = w2 + h2 * h1, w3 = b2 + h2, b3 = w3 + h2;
        float y = w[b3];
        for (int j = 0; j < h2; j++)
        {
            float a = w[b2 + j];
            for (int i = 0; i < h1; i++)
            {
                int row = i * cin;
                float pre = w[b1 + i] + w[row] * x0 + w[row + 1] * x1 + w[row + 2] * x2 + w[row + 3] * x3;
                for (int e = 0; e < ce; e++) pre += w[row + 4 + e] * extra[extraBase + e * extraStride];
                a += w[w2 + j * h1 + i] * XMath.Max(pre, 0f);
            }
            y += w[w3 + j] * XMath.Max(a, 0f);
        }
        return y;
    }

    // stats (B, 4, HW), extra (B, Ce, HW), logit (B·HW).
    [Kernel("anomaly_head")]
    internal static void HeadV1(Index1D p, ArrayView<float> stats, ArrayView<float> extra, ArrayView<float> logit,
        ArrayView<float> w, int hw, int ce, int h1, int h2)
    {
        int b = p / hw, r = p - b * hw;
        long o = (long)b * UncertaintyStats.Count * hw + r;
        logit[p] = Mlp(w, UncertaintyStats.Count + ce, h1, h2, stats[o], stats[o + hw], stats[o + 2 * hw], stats[o + 3 * hw],
            extra, (long)b * ce * hw + r, hw, ce);
    }

    // sum[y0+i, x0+j] += window[i, j]; count[...] += 1. Windows of one image are accumulated one launch after another,
    // so overlapping windows never race.
    [Kernel("window_accumulate")]
    internal static void AccumulateV1(Index2D i, ArrayView<float> window, ArrayView<float> sum, ArrayView<float> count,
        int windowWidth, int y0, int x0, int width)
    {
        long o = (long)(y0 + i.Y) * width + x0 + i.X;
        sum[o] += window[(long)i.Y * windowWidth + i.X];
        count[o] += 1f;
    }

    // score = sigmoid(sum / count): the seed's softmax([0, mean L])[1].
    [Kernel("window_score")]
    internal static void ScoreV1(Index1D i, ArrayView<float> sum, ArrayView<float> count, ArrayView<float> score)
    {
        float l = sum[i] / XMath.Max(count[i], 1f);
        score[i] = 1f / (1f + XMath.Exp(-l));
    }

    // avg = sum / count (before a resize; the sigmoid comes after it).
    [Kernel("window_average")]
    internal static void AverageV1(Index1D i, ArrayView<float> sum, ArrayView<float> count, ArrayView<float> avg) =>
        avg[i] = sum[i] / XMath.Max(count[i], 1f);

    /// <summary>logit (B,1,H,W) of the head on stats (B,4,H,W) and, for a hybrid head, extra features (B,Ce,H,W).</summary>
    public static void Forward(PackedHead head, Tensor stats, Tensor? extra, Tensor logit, KernelChoice choice = KernelChoice.Auto)
    {
        var (b, c, h, w) = UncertaintyStats.Dims4(stats, "stats");
        if (c != UncertaintyStats.Count) throw new ArgumentException($"stats: expected shape [{b},4,{h},{w}], got {stats.Shape}");
        int ce = head.InputDim - UncertaintyStats.Count;
        if (head.Params.Length != PackedHead.Length(head.InputDim, head.Hidden1, head.Hidden2))
            throw new ArgumentException($"head: packed length {head.Params.Length} does not match Cin {head.InputDim}, H1 {head.Hidden1}, H2 {head.Hidden2}");
        if (ce > 0 && (extra is null || extra.Length != (long)b * h * w * ce))
            throw new ArgumentException($"extra: expected shape [{b},{ce},{h},{w}], got {extra?.Shape.ToString() ?? "null"}");
        logit.Expect("logit", b, 1, h, w);
        if (choice.UseHost(stats.Device)) { AnomalyHeadHost.Forward(head, stats, extra, logit); return; }
        LaunchHeadV1(stats.Device, b * h * w, stats.View, ce > 0 ? extra!.View : stats.View.SubView(0, 1), logit.View,
            head.Params.View, h * w, ce, head.Hidden1, head.Hidden2);
    }

    /// <summary>Adds one window's logit (h,w) into <paramref name="sum"/> (H,W) at (y0, x0) and counts it.</summary>
    public static void AccumulateWindow(Tensor window, Tensor sum, Tensor count, int y0, int x0, KernelChoice choice = KernelChoice.Auto)
    {
        int wh = window.Shape[-2], ww = window.Shape[-1], h = sum.Shape[-2], w = sum.Shape[-1];
        if (window.Length != (long)wh * ww || sum.Length != (long)h * w || count.Length != sum.Length)
            throw new ArgumentException($"window accumulate: window {window.Shape}, sum {sum.Shape}, count {count.Shape} must be single planes of equal sum/count size");
        if (y0 < 0 || x0 < 0 || y0 + wh > h || x0 + ww > w)
            throw new ArgumentException($"window accumulate: window {window.Shape} at ({y0},{x0}) leaves the image [{h},{w}]");
        if (choice.UseHost(window.Device)) { AnomalyHeadHost.AccumulateWindow(window, sum, count, y0, x0); return; }
        LaunchAccumulateV1(window.Device, new Index2D(ww, wh), window.View, sum.View, count.View, ww, y0, x0, w);
    }

    /// <summary>score = sigmoid(sum / count) elementwise: the seed's stitched 2-channel softmax, channel 1.</summary>
    public static void Score(Tensor sum, Tensor count, Tensor score, KernelChoice choice = KernelChoice.Auto)
    {
        if (count.Length != sum.Length || score.Length != sum.Length)
            throw new ArgumentException($"window score: sum {sum.Shape}, count {count.Shape}, score {score.Shape} differ");
        if (choice.UseHost(sum.Device)) { AnomalyHeadHost.Average(sum, count, score, sigmoid: true); return; }
        LaunchScoreV1(sum.Device, (int)sum.Length, sum.View, count.View, score.View);
    }

    /// <summary>avg = sum / count elementwise: the windows' mean logit, to be resized before the sigmoid.</summary>
    public static void Average(Tensor sum, Tensor count, Tensor avg, KernelChoice choice = KernelChoice.Auto)
    {
        if (count.Length != sum.Length || avg.Length != sum.Length)
            throw new ArgumentException($"window average: sum {sum.Shape}, count {count.Shape}, avg {avg.Shape} differ");
        if (choice.UseHost(sum.Device)) { AnomalyHeadHost.Average(sum, count, avg, sigmoid: false); return; }
        LaunchAverageV1(sum.Device, (int)sum.Length, sum.View, count.View, avg.View);
    }
}
