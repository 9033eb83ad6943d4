using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `forward`'s anomaly outputs: anomaly_stats (B,4,·,·) = [max_prob, entropy, energy, msp] of the semantic map, and
/// with `--head &lt;file&gt;` anomaly_score (B,1,·,·) = sigmoid of the head logit, the logits averaged over the windows
/// and resized before the sigmoid as the seed's 2-channel stitching does (seed.md §1.6).
/// </summary>
public sealed class AnomalyForwardExtra : IForwardExtra
{
    private WindowStitcher? stitcher;
    private WindowPlan? plan;
    private AnomalyHeadRunner? runner;

    /// <summary>The head file given with `forward --head` (null: statistics only).</summary>
    public static string? HeadPath { get; set; }

    /// <inheritdoc/>
    public SemanticInference.WindowObserver? ObserveWindows(EomtModel model, RgbImage image, WindowProtocol protocol)
    {
        Reset();
        if (HeadPath is null) return null;
        int s = model.Config.ImageSize;
        plan = WindowPlan.For(image.Height, image.Width, s, protocol);
        runner = AnomalyHead.Load(HeadPath).ToDevice(model.Device);
        stitcher = new WindowStitcher(model.Device, plan.Height, plan.Width);
        return (output, _, scores, first) =>
        {
            int n = scores.Shape[0];
            using var logits = Logits(model, runner, output, scores);
            for (int j = 0; j < n; j++)
            {
                int start = plan.Starts[first + j];
                stitcher.Add(logits.Slice(j, 1).Reshape(s, s), plan.AlongHeight ? start : 0, plan.AlongHeight ? 0 : start);
            }
        };
    }

    /// <inheritdoc/>
    public void Contribute(ForwardContext context, IDictionary<string, (float[] Data, int[] Shape)> outputs)
    {
        var d = context.Model.Device;
        var map = context.SemanticMap;
        using var stats = Tensor.Empty(d, new Shape(map.Shape[0], UncertaintyStats.Count, map.Shape[2], map.Shape[3]));
        UncertaintyStats.Compute(map, stats);
        outputs["anomaly_stats"] = (stats.ToHostFloat(), stats.Shape.ToArray());
        if (HeadPath is null) return;
        if (context.Output is { } output)
        {
            using var head = AnomalyHead.Load(HeadPath).ToDevice(d);
            using var logits = Logits(context.Model, head, output, map);
            using var score = Tensor.Empty(d, logits.Shape);
            Activation.Sigmoid(logits, score);
            outputs["anomaly_score"] = (score.ToHostFloat(), score.Shape.ToArray());
        }
        else if (stitcher is not null && plan is not null)
        {
            // Mean logit over the windows at the resized size, bilinear to the map's size, then the sigmoid.
            int h = map.Shape[2], w = map.Shape[3];
            using var avg = Tensor.Empty(d, new Shape(1, 1, plan.Height, plan.Width));
            stitcher.Average(avg);
            using var resized = Tensor.Empty(d, new Shape(1, 1, h, w));
            if (h == plan.Height && w == plan.Width) avg.CopyTo(resized);
            else Bilinear.Resize(avg, resized);
            Activation.Sigmoid(resized, resized);
            outputs["anomaly_score"] = (resized.ToHostFloat(), resized.Shape.ToArray());
        }
        Reset();
    }

    // Head logits (n,1,S,S) for n windows: stats from their semantic scores (n,K,S,S); a hybrid head also takes the
    // final-layer patch tokens, the last G² rows of last_hidden_state.
    private static Tensor Logits(EomtModel model, AnomalyHeadRunner head, EomtOutput output, Tensor scores)
    {
        var d = model.Device;
        int n = scores.Shape[0], s = scores.Shape[2], g = model.Config.Grid, c = model.Config.HiddenSize;
        using var stats = Tensor.Empty(d, new Shape(n, UncertaintyStats.Count, s, scores.Shape[3]));
        UncertaintyStats.Compute(scores, stats);
        var logits = Tensor.Empty(d, new Shape(n, 1, s, scores.Shape[3]));
        if (head.Head.Layout != Models.Anomaly.AnomalyHeadLayout.Hybrid)
        {
            head.Logit(stats, logits);
            return logits;
        }
        var hidden = output.LastHiddenState;
        int tokens = hidden.Shape[1];
        using var patches = Tensor.Empty(d, new Shape(n, g * g, c));
        for (int b = 0; b < n; b++)
            hidden.Slice(b, 1).Reshape(tokens, c).Slice(tokens - g * g, g * g).CopyTo(patches.Slice(b, 1).Reshape(g * g, c));
        head.Logit(stats, logits, patches, g, g);
        return logits;
    }

    private void Reset()
    {
        stitcher?.Dispose();
        runner?.Dispose();
        stitcher = null;
        runner = null;
        plan = null;
    }
}
