// The window plan (issue 11 item 4; the model's own plan is at the top of Eomt/EomtModel.cs).
//   per image    the resized image (one upload), the window starts (one upload), the (n, K, S, S) score canvas, one
//                pixel buffer for the largest batch, the stitcher's canvases and the output maps: rented from the
//                device pool (no device allocation once the pool has seen the image size).
//   per window   normalise into the pixel buffer's leading rows → EomtModel.Forward (its arena) → semantic map into
//                the canvas → statistics, patch features and head logits in this pipeline's window buffers (kept
//                for its life) → the head (its runner's kept scratch) → stitching: no allocation, no host sync.
//   after        stitch, resize, sigmoid on the device; the caller's read of the final maps is the one wait.
// tests/NativeEngine.Models.Tests/ForwardPlanTests counts it (ComputeDevice.Counters).
using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Models.Pipeline;

/// <summary>
/// What the pipeline computed for one batch of windows, on the device, while the model's activations are live.
/// </summary>
/// <param name="Output">The model outputs of this batch (valid until the next forward).</param>
/// <param name="SemanticScores">(n, K, S, S) per-window semantic maps.</param>
/// <param name="Stats">(n, 4, S, S) [max_prob, entropy, energy, msp] of each window (the pipeline's buffer: copy it to keep it).</param>
/// <param name="Features">(n, C, G, G) final-layer patch tokens after the backbone norm, when asked for or a hybrid head runs; else null.</param>
/// <param name="FirstWindow">Index of the batch's first window in the image's <see cref="WindowPlan"/>.</param>
public sealed record WindowBatch(EomtOutput Output, Tensor SemanticScores, Tensor Stats, Tensor? Features, int FirstWindow);

/// <summary>The device-resident result of one image; the caller disposes it.</summary>
/// <param name="Plan">Where the windows went.</param>
/// <param name="SemanticMap">(1, K, H, W) under the native protocol, (1, K, S, S) under the seed protocol.</param>
/// <param name="Score">(1, 1, ·, ·) at the semantic map's size: sigmoid of the window-averaged head logit; null without a head.</param>
public sealed record ImageScores(WindowPlan Plan, Tensor SemanticMap, Tensor? Score) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        SemanticMap.Dispose();
        Score?.Dispose();
    }
}

/// <summary>
/// THE scoring pipeline of EoMT-EXT, on one device from the decoded image to the final map:
/// window → EoMT → semantic map → statistics → head (plain, BN or hybrid) → window stitching (mean logit) → bilinear
/// resize to the map's size → sigmoid (seed.md §1.6). Nothing is read back to the host on the way; `forward --head`,
/// `infer`, `eval`, the library facade and `train-head`'s dataset mode all call it, so they see the same numbers.
/// </summary>
public sealed class ScoringPipeline : IDisposable
{
    private readonly bool ownsModel;
    private readonly Workspace windowBuffers; // statistics, head logits and patch features of one batch of windows

    /// <summary>
    /// Wraps a loaded model and an optional head (uploaded to the model's device). A hybrid head must read the model's
    /// token width; the error names the head file and both widths.
    /// </summary>
    public ScoringPipeline(EomtModel model, AnomalyHead? head, bool ownsModel = false)
    {
        try
        {
            head?.CheckFeatureWidth(model.Config.HiddenSize, $"the EoMT model ({model.Config.Describe()})");
        }
        catch when (ownsModel)
        {
            model.Dispose();
            throw;
        }
        Model = model;
        Head = head?.ToDevice(model.Device);
        windowBuffers = new Workspace(model.Device);
        this.ownsModel = ownsModel;
    }

    /// <summary>The frozen EoMT.</summary>
    public EomtModel Model { get; }

    /// <summary>The precision of the model's ViT blocks (chosen when the model was loaded: EomtModel.Load's precision).</summary>
    public Precision Precision => Model.Precision;

    /// <summary>The head on the device, or null.</summary>
    public AnomalyHeadRunner? Head { get; }

    /// <summary>Windows per forward (0: one on a host-memory device, host or simulator; four on a GPU).</summary>
    public int MaxBatch { get; init; }

    private ComputeDevice Device => Model.Device;

    /// <summary>
    /// Scores one image. <paramref name="withHead"/> false skips the head (baselines only). <paramref name="observer"/>
    /// sees each batch of windows (statistics, and patch features when <paramref name="withFeatures"/> or a hybrid head
    /// needs them) while it is live on the device.
    /// </summary>
    public ImageScores Score(RgbImage image, WindowProtocol protocol, bool withHead = true, Action<WindowBatch>? observer = null,
        bool withFeatures = false, CancellationToken cancellationToken = default)
    {
        var head = withHead ? Head : null;
        if (withHead && head is null) throw new InvalidOperationException("the head score was asked for but no anomaly head is loaded");
        int s = Model.Config.ImageSize;
        var plan = WindowPlan.For(image.Height, image.Width, s, protocol);
        using var stitcher = head is null ? null : new WindowStitcher(Device, plan.Height, plan.Width);
        bool needStats = head is not null || observer is not null;
        SemanticInference.WindowObserver? windows = !needStats ? null : (output, _, scores, first) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = scores.Shape[0];
            var stats = windowBuffers.Get("stats", new Shape(n, UncertaintyStats.Count, s, s));
            UncertaintyStats.Compute(scores, stats);
            var features = withFeatures || head?.Head.Layout == AnomalyHeadLayout.Hybrid ? Features(output, n) : null;
            observer?.Invoke(new WindowBatch(output, scores, stats, features, first));
            if (head is null) return;
            var logits = windowBuffers.Get("logits", new Shape(n, 1, s, s));
            head.Logit(stats, logits, features);
            for (int j = 0; j < n; j++)
            {
                int start = plan.Starts[first + j];
                stitcher!.Add(logits.Slice(j, 1).Reshape(s, s), plan.AlongHeight ? start : 0, plan.AlongHeight ? 0 : start);
            }
        };
        int batch = MaxBatch > 0 ? MaxBatch : Device.HasHostMemory ? 1 : 4;
        var map = SemanticInference.Run(Model, image, protocol, batch, windows);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            Tensor? score = null;
            if (stitcher is not null)
            {
                // Mean logit on the resized canvas, bilinear to the map's size, then the sigmoid: the seed's order.
                score = Tensor.Empty(Device, new Shape(1, 1, map.Shape[2], map.Shape[3]));
                if (plan.Height == map.Shape[2] && plan.Width == map.Shape[3]) stitcher.Average(score);
                else
                {
                    using var avg = Tensor.Empty(Device, new Shape(1, 1, plan.Height, plan.Width));
                    stitcher.Average(avg);
                    Bilinear.Resize(avg, score);
                }
                Activation.Sigmoid(score, score);
            }
            return new ImageScores(plan, map, score);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The per-window part alone, for pixel tensors that already are windows (`forward --input`): EoMT on
    /// <paramref name="pixelValues"/> (B, 3, S, S), then semantic map (B, K, S, S), statistics (B, 4, S, S) and, with
    /// a head, score (B, 1, S, S) = sigmoid(logit). Returns the outputs; the caller disposes the three tensors.
    /// </summary>
    public (EomtOutput Output, Tensor SemanticMap, Tensor Stats, Tensor? Score) ScoreWindows(Tensor pixelValues)
    {
        var output = Model.Forward(pixelValues);
        int b = pixelValues.Shape[0], k = Model.Config.Classes, s = Model.Config.ImageSize;
        var map = Tensor.Empty(Device, new Shape(b, k, s, s));
        Model.SemanticMap(output, map);
        var stats = Tensor.Empty(Device, new Shape(b, UncertaintyStats.Count, s, s));
        UncertaintyStats.Compute(map, stats);
        if (Head is null) return (output, map, stats, null);
        var features = Head.Head.Layout == AnomalyHeadLayout.Hybrid ? Features(output, b) : null;
        var score = Tensor.Empty(Device, new Shape(b, 1, s, s));
        Head.Logit(stats, score, features);
        Activation.Sigmoid(score, score);
        return (output, map, stats, score);
    }

    private Tensor Features(EomtOutput output, int n)
    {
        var c = Model.Config;
        var f = windowBuffers.Get("features", new Shape(n, c.HiddenSize, c.Grid, c.Grid));
        Model.PatchFeatures(output, f);
        return f;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Head?.Dispose();
        windowBuffers.Dispose();
        if (ownsModel) Model.Dispose();
    }
}
