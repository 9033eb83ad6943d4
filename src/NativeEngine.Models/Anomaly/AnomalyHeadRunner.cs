using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Models.Anomaly;

/// <summary>
/// A head resident on a device in eval mode: statistics (and, for the hybrid, final-layer patch tokens) → logit.
/// Final score = sigmoid(logit averaged over windows), see <see cref="WindowStitcher"/>.
/// </summary>
public sealed class AnomalyHeadRunner : IDisposable
{
    private readonly Tensor packed;
    private readonly Tensor? projW, projB;

    internal AnomalyHeadRunner(AnomalyHead head, ComputeDevice device)
    {
        Head = head;
        Device = device;
        var p = head.PackedParameters();
        packed = Tensor.FromHost(device, new Shape(p.Length), p);
        if (head.Layout == AnomalyHeadLayout.Hybrid)
        {
            var w = head["feature_proj.0.weight"];
            projW = Tensor.FromHost(device, new Shape(w.Shape), w.Data);
            projB = Tensor.FromHost(device, new Shape(head.Options.ProjDim), head["feature_proj.0.bias"].Data);
        }
    }

    /// <summary>The host-side head.</summary>
    public AnomalyHead Head { get; }

    /// <summary>The device.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The packed MLP as the kernels take it.</summary>
    public PackedHead Packed => new(packed, Head.InputDim, Head.Options.Hidden1, Head.Options.Hidden2);

    /// <summary>
    /// logit (B,1,H,W) from stats (B,4,H,W). A hybrid head also needs the final-layer patch tokens after the last
    /// norm, (B, gh·gw, C) or (B, gh, gw, C), with the grid size <paramref name="gridH"/>×<paramref name="gridW"/>:
    /// 1×1 conv C→32 + ReLU at grid resolution, bilinear upsample (align_corners=False) to H×W, concatenated after the
    /// statistics.
    /// </summary>
    public void Logit(Tensor stats, Tensor logit, Tensor? tokens = null, int gridH = 0, int gridW = 0)
    {
        if (Head.Layout != AnomalyHeadLayout.Hybrid)
        {
            AnomalyHeadKernels.Forward(Packed, stats, null, logit);
            return;
        }
        if (tokens is null) throw new ArgumentException("tokens: a hybrid head needs the final-layer patch tokens");
        var (b, _, h, w) = (stats.Shape[0], stats.Shape[1], stats.Shape[2], stats.Shape[3]);
        int c = Head.Options.FeatureDim, pd = Head.Options.ProjDim;
        if (tokens.Length != (long)b * gridH * gridW * c)
            throw new ArgumentException($"tokens: expected shape [{b},{gridH * gridW},{c}], got {tokens.Shape}");
        using var proj = Tensor.Empty(Device, new Shape(b * gridH * gridW, pd));
        TrainLinear.Forward(tokens.Reshape(b * gridH * gridW, c), projW!, projB, proj);
        Activation.Relu(proj, proj);
        using var up = Tensor.Empty(Device, new Shape(b, h, w, pd));
        Bilinear.ResizeChannelsLast(proj.Reshape(b, gridH, gridW, pd), up);
        AnomalyHeadKernels.Forward(Packed, stats, up.Reshape(b * h * w, pd), logit);
    }

    /// <summary>
    /// The fused path for a stats-only head: upsampled mask logits (B,Q,H,W) + class probabilities (B,Q,K+1) →
    /// logit (B,1,H,W) (and stats when asked), never writing the semantic map.
    /// </summary>
    public void LogitFromMasks(Tensor maskLogits, Tensor classProbs, Tensor logit, Tensor? stats = null)
    {
        if (Head.Layout == AnomalyHeadLayout.Hybrid)
            throw new InvalidOperationException("the fused mask-logits path takes a stats-only head; a hybrid head needs the tokens (use Logit)");
        UncertaintyStats.Fused(maskLogits, classProbs, stats, Packed, logit);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        packed.Dispose();
        projW?.Dispose();
        projB?.Dispose();
    }
}

/// <summary>
/// The seed's stitching (seed.md §1.6): the windows' head logits are summed where they overlap and divided by the
/// count (an average of logits, not probabilities); the score is the sigmoid of that average, which is exactly the
/// 2-channel softmax([0, L]) channel 1. (In the seed's evaluation the canvas is the 1024×1024 input, so no resize
/// follows; a resize to another size would go between the average and the sigmoid.)
/// </summary>
public sealed class WindowStitcher : IDisposable
{
    private readonly Tensor sum, count;

    /// <summary>Starts an empty (H, W) canvas.</summary>
    public WindowStitcher(ComputeDevice device, int height, int width)
    {
        sum = Tensor.Zeros(device, new Shape(height, width));
        count = Tensor.Zeros(device, new Shape(height, width));
    }

    /// <summary>Adds one window's logit (h,w) (or (1,1,h,w)) with its top-left corner at (y0, x0).</summary>
    public void Add(Tensor windowLogit, int y0, int x0) => AnomalyHeadKernels.AccumulateWindow(windowLogit, sum, count, y0, x0);

    /// <summary>avg (H,W) = Σ logits / count: the mean logit, for a resize before the sigmoid.</summary>
    public void Average(Tensor avg) => AnomalyHeadKernels.Average(sum, count, avg);

    /// <summary>score (H,W) = sigmoid(Σ logits / count).</summary>
    public void Score(Tensor score) => AnomalyHeadKernels.Score(sum, count, score);

    /// <inheritdoc/>
    public void Dispose()
    {
        sum.Dispose();
        count.Dispose();
    }
}
