using NativeEngine.Evaluation.Visuals;
using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>
/// EoMT(-EXT) as an <see cref="IAnomalyScorer"/> (seed.md §1.6, §3.5): the semantic map z from the model's windowed
/// inference; the baselines on z/T by the anomaly kernels; the head per window on the statistics of that window's
/// semantic map (plus its patch tokens for a hybrid head), its logits averaged where windows overlap, resized to the
/// image (native protocol only) and passed through a sigmoid.
/// </summary>
public sealed class EomtScorer : IAnomalyScorer
{
    private readonly EomtModel model;
    private readonly AnomalyHeadRunner? head;
    private readonly bool ownsModel;

    /// <summary>Wraps a loaded model and an optional head (moved to the model's device).</summary>
    public EomtScorer(EomtModel model, AnomalyHead? head, string description, string identity, bool ownsModel = true)
    {
        this.model = model;
        this.ownsModel = ownsModel;
        this.head = head?.ToDevice(model.Device);
        if (head is { Layout: AnomalyHeadLayout.Hybrid } && head.Options.FeatureDim != model.Config.HiddenSize)
            throw new ArgumentException($"the hybrid anomaly head reads {head.Options.FeatureDim}-channel features but the model has C = {model.Config.HiddenSize}; use the head trained for this backbone");
        Description = description;
        Identity = identity;
        Supported = head is null ? [ScoreMethod.Msp, ScoreMethod.MaxLogit, ScoreMethod.Entropy, ScoreMethod.Rba] : Enum.GetValues<ScoreMethod>();
    }

    /// <summary>Loads EoMT weights (file or Hugging Face folder) and optionally a head checkpoint.</summary>
    public static EomtScorer Load(ComputeDevice device, string weightsPath, string? headPath = null)
    {
        if (!File.Exists(weightsPath) && !Directory.Exists(weightsPath))
            throw new FileNotFoundException($"{weightsPath}: no such weights file or folder; pass --weights an EoMT checkpoint (HF folder or .safetensors)", weightsPath);
        if (headPath is not null && !File.Exists(headPath))
            throw new FileNotFoundException($"{headPath}: no such anomaly-head file; pass --head a .safetensors head checkpoint or leave it out", headPath);
        var model = EomtModel.Load(device, weightsPath);
        try
        {
            var h = headPath is null ? null : AnomalyHead.Load(headPath);
            string id = Stamp(weightsPath) + (headPath is null ? "" : "|" + Stamp(headPath));
            string what = $"EoMT {model.Config.Describe()} from {weightsPath}" + (h is null ? "" : $" + {h.Layout} anomaly head from {headPath}");
            return new EomtScorer(model, h, what, id);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public string Identity { get; }

    /// <inheritdoc/>
    public IReadOnlyList<ScoreMethod> Supported { get; }

    /// <summary>The model (for timing, profiling and the device).</summary>
    public EomtModel Model => model;

    /// <inheritdoc/>
    public ScoreMaps Score(RgbImage image, ScoreRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var device = model.Device;
        var cfg = model.Config;
        int s = cfg.ImageSize;
        var protocol = request.Protocol == EvalProtocol.Seed ? WindowProtocol.Seed : WindowProtocol.Native;
        var plan = WindowPlan.For(image.Height, image.Width, s, protocol);
        bool wantHead = request.Methods.Contains(ScoreMethod.Head);
        if (wantHead && head is null) throw new InvalidOperationException("the head score was asked for but no anomaly head is loaded");

        // Head logits summed over windows on the resized canvas (plan.Height × plan.Width), with overlap counts.
        float[]? sum = wantHead ? new float[plan.Height * plan.Width] : null;
        float[]? count = wantHead ? new float[plan.Height * plan.Width] : null;
        SemanticInference.WindowObserver? observer = !wantHead ? null : (output, pixels, scores, first) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = scores.Shape[0];
            using var stats = Tensor.Empty(device, new Shape(1, UncertaintyStats.Count, s, s));
            using var logit = Tensor.Empty(device, new Shape(1, 1, s, s));
            for (int j = 0; j < n; j++)
            {
                UncertaintyStats.Compute(scores.Slice(j, 1), stats);
                if (head!.Head.Layout == AnomalyHeadLayout.Hybrid)
                {
                    int g = cfg.Grid, prefix = cfg.Queries + 1 + cfg.RegisterTokens, tokens = prefix + g * g;
                    var patch = output.LastHiddenState.Slice(j, 1).Reshape(tokens, cfg.HiddenSize).Slice(prefix, g * g);
                    head.Logit(stats, logit, patch, g, g);
                }
                else head.Logit(stats, logit);
                var l = logit.ToHostFloat();
                int start = plan.Starts[first + j];
                int y0 = plan.AlongHeight ? start : 0, x0 = plan.AlongHeight ? 0 : start;
                for (int y = 0; y < s; y++)
                    for (int x = 0; x < s; x++)
                    {
                        int k = (y0 + y) * plan.Width + x0 + x;
                        sum![k] += l[y * s + x];
                        count![k] += 1;
                    }
            }
        };

        using var map = SemanticInference.Run(model, image, protocol, device.HasHostMemory ? 1 : 4, observer);
        cancellationToken.ThrowIfCancellationRequested();
        int mh = map.Shape[2], mw = map.Shape[3];
        var result = new Dictionary<ScoreMethod, float[]>();
        using (var score = Tensor.Empty(device, new Shape(1, 1, mh, mw)))
            foreach (var m in request.Methods)
            {
                if (m == ScoreMethod.Head) continue;
                AnomalyScores.Baseline(map, score, m switch
                {
                    ScoreMethod.Msp => BaselineMethod.Msp,
                    ScoreMethod.MaxLogit => BaselineMethod.MaxLogit,
                    ScoreMethod.Entropy => BaselineMethod.Entropy,
                    _ => BaselineMethod.RbA,
                }, request.Temperature);
                result[m] = score.ToHostFloat();
            }
        if (wantHead)
        {
            var avg = new float[sum!.Length];
            for (int i = 0; i < avg.Length; i++) avg[i] = count![i] > 0 ? sum[i] / count[i] : 0f;
            // The seed resizes between the logit average and the sigmoid (AnomalyHeadRunner.cs, WindowStitcher).
            var full = Heatmaps.Resize(avg, plan.Width, plan.Height, mw, mh);
            for (int i = 0; i < full.Length; i++) full[i] = 1f / (1f + MathF.Exp(-full[i]));
            result[ScoreMethod.Head] = full;
        }
        int[]? semantic = request.Semantic ? Argmax(map.ToHostFloat(), cfg.Classes, mh * mw) : null;
        return new ScoreMaps(mw, mh, result, semantic);
    }

    private static int[] Argmax(float[] map, int k, int hw)
    {
        var r = new int[hw];
        for (int p = 0; p < hw; p++)
        {
            int best = 0;
            float bv = map[p];
            for (int c = 1; c < k; c++) if (map[c * hw + p] > bv) { bv = map[c * hw + p]; best = c; }
            r[p] = best;
        }
        return r;
    }

    private static string Stamp(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            return full + ":" + string.Join(",", Directory.EnumerateFiles(full).Order().Select(f => $"{new FileInfo(f).Length}@{File.GetLastWriteTimeUtc(f).Ticks}"));
        return $"{full}:{new FileInfo(full).Length}@{File.GetLastWriteTimeUtc(full).Ticks}";
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        head?.Dispose();
        if (ownsModel) model.Dispose();
    }
}
