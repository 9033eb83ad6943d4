using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Models.Pipeline;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>
/// EoMT(-EXT) as an <see cref="IAnomalyScorer"/> (seed.md §1.6, §3.5): the semantic map z and the head's score come
/// from the <see cref="ScoringPipeline"/> (on the device until the final maps); the baselines on z/T by the anomaly
/// kernels. The host sees only the finished maps.
/// </summary>
public sealed class EomtScorer : IAnomalyScorer
{
    private readonly ScoringPipeline pipeline;

    /// <summary>Wraps a loaded model and an optional head (moved to the model's device).</summary>
    public EomtScorer(EomtModel model, AnomalyHead? head, string description, string identity, bool ownsModel = true)
    {
        pipeline = new ScoringPipeline(model, head, ownsModel);
        Description = description;
        Identity = identity;
        Supported = head is null ? [ScoreMethod.Msp, ScoreMethod.MaxLogit, ScoreMethod.Entropy, ScoreMethod.Rba] : Enum.GetValues<ScoreMethod>();
    }

    /// <summary>Loads EoMT weights (file or Hugging Face folder) and optionally a head checkpoint; the ViT blocks run in
    /// <paramref name="precision"/> (part of the identity, so the eval cache never mixes precisions).</summary>
    public static EomtScorer Load(ComputeDevice device, string weightsPath, string? headPath = null, Precision precision = Precision.Fp32)
    {
        if (!File.Exists(weightsPath) && !Directory.Exists(weightsPath))
            throw new FileNotFoundException($"{weightsPath}: no such weights file or folder; pass --weights an EoMT checkpoint (HF folder or .safetensors)", weightsPath);
        if (headPath is not null && !File.Exists(headPath))
            throw new FileNotFoundException($"{headPath}: no such anomaly-head file; pass --head a .safetensors head checkpoint or leave it out", headPath);
        var model = EomtModel.Load(device, weightsPath, precision: precision);
        try
        {
            var h = headPath is null ? null : AnomalyHead.Load(headPath);
            string id = Stamp(weightsPath) + (headPath is null ? "" : "|" + Stamp(headPath)) + PrecisionTag(precision);
            string what = $"EoMT {model.Config.Describe()} from {weightsPath}" + (h is null ? "" : $" + {h.Layout} anomaly head from {headPath}")
                + (precision == Precision.Fp32 ? "" : $", {precision.Name()}");
            return new EomtScorer(model, h, what, id);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>"" for fp32 (identities as before), else "|precision=bf16" etc.: what keys a cache on the precision.</summary>
    public static string PrecisionTag(Precision precision) => precision == Precision.Fp32 ? "" : "|precision=" + precision.Name();

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public string Identity { get; }

    /// <inheritdoc/>
    public IReadOnlyList<ScoreMethod> Supported { get; }

    /// <summary>The model (for timing, profiling and the device).</summary>
    public EomtModel Model => pipeline.Model;

    /// <summary>The scoring pipeline this scorer reads its maps from (the one `forward --head` runs too).</summary>
    public ScoringPipeline Pipeline => pipeline;

    /// <inheritdoc/>
    public ScoreMaps Score(RgbImage image, ScoreRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var protocol = request.Protocol == EvalProtocol.Seed ? WindowProtocol.Seed : WindowProtocol.Native;
        bool wantHead = request.Methods.Contains(ScoreMethod.Head);
        using var scores = pipeline.Score(image, protocol, wantHead, cancellationToken: cancellationToken);
        var map = scores.SemanticMap;
        int mh = map.Shape[2], mw = map.Shape[3];
        var result = new Dictionary<ScoreMethod, float[]>();
        using (var score = Tensor.Empty(map.Device, new Shape(1, 1, mh, mw)))
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
        if (scores.Score is { } head) result[ScoreMethod.Head] = head.ToHostFloat();
        int[]? semantic = request.Semantic ? Argmax(map.ToHostFloat(), Model.Config.Classes, mh * mw) : null;
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
    public void Dispose() => pipeline.Dispose();
}
