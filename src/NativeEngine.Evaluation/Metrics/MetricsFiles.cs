using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NativeEngine.Evaluation.IO;

namespace NativeEngine.Evaluation.Metrics;

/// <summary>The `metrics` use case: a score file and a label file → pooled (and optionally per-image) metrics.</summary>
public static class MetricsFiles
{
    /// <summary>Result of <see cref="Compute"/>: pooled metrics and, when asked, one entry per leading index.</summary>
    public sealed record Result(PixelMetrics Pooled, IReadOnlyList<PixelMetrics> PerImage, long[] Shape);

    /// <summary>
    /// Reads scores (float) and labels (uint8) of the same shape from .safetensors or .npy and computes the metrics
    /// over all valid pixels. With <paramref name="perImage"/>, a 3-D (I, H, W) pair is also scored image by image.
    /// </summary>
    public static Result Compute(string scoresPath, string labelsPath, LabelRule? rule = null, bool perImage = false,
        string? scoresName = null, string? labelsName = null)
    {
        var s = ArrayFiles.ReadFloat(scoresPath, scoresName);
        var l = ArrayFiles.ReadBytes(labelsPath, labelsName);
        if (s.Data.Length != l.Data.Length || !s.Shape.SequenceEqual(l.Shape))
            throw new ArgumentException($"{scoresPath} has shape [{string.Join(", ", s.Shape)}] but {labelsPath} has [{string.Join(", ", l.Shape)}]; scores and labels must have the same shape");
        int images = perImage && s.Shape.Length >= 3 ? (int)s.Shape[0] : 1;
        int per = s.Data.Length / images;
        var items = Enumerable.Range(0, images)
            .Select(i => new ScoredPixels(s.Data.AsMemory(i * per, per), l.Data.AsMemory(i * per, per))).ToList();
        var pooled = ExactPixelMetrics.Compute(new InMemoryPixelSource(items), rule);
        var each = perImage ? items.Select(it => ExactPixelMetrics.Compute(new InMemoryPixelSource([it]), rule)).ToList() : [];
        return new(pooled, each, s.Shape);
    }

    /// <summary>The JSON object of one metrics record: auprc, fpr95, fpr95_interp, auroc (fractions; null if undefined) and pixel counts.</summary>
    public static JsonObject ToJson(PixelMetrics m) => new()
    {
        ["auprc"] = Number(m.Auprc),
        ["fpr95"] = Number(m.Fpr95),
        ["fpr95_interp"] = Number(m.Fpr95Interp),
        ["auroc"] = Number(m.Auroc),
        ["pixels"] = new JsonObject
        {
            ["anomaly"] = m.Positives,
            ["normal"] = m.Negatives,
            ["void"] = m.Void,
            ["valid"] = m.Positives + m.Negatives,
        },
    };

    /// <summary>The whole result as indented JSON.</summary>
    public static string ToJsonText(Result r)
    {
        var o = ToJson(r.Pooled);
        if (r.PerImage.Count > 0) o["per_image"] = new JsonArray(r.PerImage.Select(m => (JsonNode)ToJson(m)).ToArray());
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Human-readable lines (percent, two decimals).</summary>
    public static string ToText(Result r)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        void Line(string label, PixelMetrics m) => w.WriteLine(
            $"{label,-8} AuPRC {Pct(m.Auprc),7}  FPR95 {Pct(m.Fpr95),7}  FPR95(interp) {Pct(m.Fpr95Interp),7}  AUROC {Pct(m.Auroc),7}   anomaly {m.Positives} / normal {m.Negatives} / void {m.Void} px");
        Line("pooled", r.Pooled);
        for (int i = 0; i < r.PerImage.Count; i++) Line($"[{i}]", r.PerImage[i]);
        w.WriteLine("AuPRC = sklearn average_precision_score; FPR95 = seed (first ROC point with TPR >= 0.95, drop_intermediate); FPR95(interp) = ood_metrics; values in %");
        return w.ToString();
    }

    /// <summary>A fraction as a percentage with two decimals, or "n/a".</summary>
    public static string Pct(double v) => double.IsNaN(v) ? "n/a" : (100 * v).ToString("F2", CultureInfo.InvariantCulture);

    private static JsonNode? Number(double v) => double.IsNaN(v) ? null : JsonValue.Create(v);
}
