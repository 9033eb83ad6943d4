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
    private readonly Workspace scratch; // the hybrid path's projected rows, grid and upsampled features, kept between calls

    internal AnomalyHeadRunner(AnomalyHead head, ComputeDevice device)
    {
        Head = head;
        Device = device;
        scratch = new Workspace(device);
        var p = head.PackedParameters();
        packed = Tensor.FromHost(device, new Shape(p.Length), p);
        if (head.Layout == AnomalyHeadLayout.Hybrid)
        {
            var w = head["feature_proj.0.weight"];
            projW = Tensor.FromHost(device, new Shape(head.Options.ProjDim, head.Options.FeatureDim), w.Data);
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
    /// logit (B,1,H,W) from stats (B,4,H,W), with inference kernels only. A hybrid head also reads the final layer's
    /// patch tokens after the backbone norm as <paramref name="features"/> (B, C, gh, gw) (see
    /// <see cref="Eomt.EomtModel.PatchFeatures"/>): 1×1 conv C→32 as one GEMM at grid resolution, ReLU, bilinear
    /// (align_corners=False) to H×W, then the MLP on [4 statistics | 32 features] (seed.md §1.4).
    /// </summary>
    public void Logit(Tensor stats, Tensor logit, Tensor? features = null)
    {
        if (Head.Layout != AnomalyHeadLayout.Hybrid)
        {
            AnomalyHeadKernels.Forward(Packed, stats, null, logit);
            return;
        }
        if (features is null) throw new ArgumentException($"{Head.Source}: a hybrid head needs the final-layer patch features (B, C, g, g)");
        int b = stats.Shape[0], h = stats.Shape[2], w = stats.Shape[3];
        int c = Head.Options.FeatureDim, pd = Head.Options.ProjDim;
        if (features.Shape.Rank != 4 || features.Shape[0] != b)
            throw new ArgumentException($"{Head.Source}: patch features expected shape [{b},{c},g,g], got {features.Shape}");
        if (features.Shape[1] != c)
            throw new ArgumentException($"{Head.Source}: this hybrid anomaly head reads {c}-channel patch features, but the model's have {features.Shape[1]} " +
                $"(features {features.Shape}); use a hybrid head trained on this backbone");
        int gh = features.Shape[2], gw = features.Shape[3];
        var rows = scratch.Get("rows", new Shape(b, gh * gw, pd));
        // (B, C, g²)ᵀ · Wᵀ + bias: the 1×1 conv as a batched GEMM with the (Pd, C) weight shared by every image.
        Gemm.Matmul(features.Reshape(b, c, gh * gw), projW!, rows, transA: true, transB: true, bias: projB);
        Activation.Relu(rows, rows);
        var grid = scratch.Get("grid", new Shape(b, pd, gh, gw));
        Tokens.ToFeatureMap(rows, 0, grid);
        var up = scratch.Get("up", new Shape(b, pd, h, w));
        Bilinear.Resize(grid, up);
        AnomalyHeadKernels.Forward(Packed, stats, up, logit);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        packed.Dispose();
        scratch.Dispose();
        projW?.Dispose();
        projB?.Dispose();
    }
}

/// <summary>
/// The seed's stitching (seed.md §1.6): the windows' head logits are summed where they overlap and divided by the
/// count (an average of logits, not probabilities); the score is the sigmoid of that average, which is exactly the
/// 2-channel softmax([0, L]) channel 1. A resize to the image's size goes between the average and the sigmoid
/// (<see cref="Pipeline.ScoringPipeline"/>).
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
