using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NativeEngine.Evaluation.IO;
using NativeEngine.Evaluation.Metrics;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>An image left out of an evaluation, and why (one line).</summary>
public sealed record SkippedImage(string Dataset, string Path, string Reason);

/// <summary>The metrics of one dataset: one entry per method, pooled over its valid pixels.</summary>
/// <param name="Name">Canonical dataset name.</param>
/// <param name="Column">The seed's column label.</param>
/// <param name="Images">Images scored (cached or computed).</param>
/// <param name="ImagesWithoutAnomaly">Scored images with no anomaly pixel (kept unless SkipImagesWithoutAnomaly).</param>
/// <param name="Methods">Pooled metrics by method.</param>
/// <param name="PerImage">Per-image metrics by method (image id → metrics), when asked for.</param>
public sealed record DatasetResult(string Name, string Column, int Images, int ImagesWithoutAnomaly,
    IReadOnlyDictionary<ScoreMethod, PixelMetrics> Methods, IReadOnlyDictionary<ScoreMethod, IReadOnlyList<(string Id, PixelMetrics Metrics)>>? PerImage = null);

/// <summary>Everything an evaluation produced: per-dataset metrics, skipped images, and where the files went.</summary>
public sealed record EvalReport(string Scorer, string Device, ScoreRequest Request, IReadOnlyList<DatasetResult> Datasets,
    IReadOnlyList<SkippedImage> Skipped, string OutDir, TimeSpan Elapsed)
{
    /// <summary>The seed's table: one row per method, AuPRC and FPR95 (seed definition) per dataset, ×100 with two decimals.</summary>
    public string Table()
    {
        var header = new List<string> { "Method" };
        foreach (var d in Datasets) { header.Add($"{d.Column} AP"); header.Add($"{d.Column} FPR"); }
        var rows = new List<List<string>> { header };
        foreach (var m in Request.Methods)
        {
            var row = new List<string> { m.Label() };
            foreach (var d in Datasets)
            {
                var r = d.Methods.GetValueOrDefault(m);
                row.Add(r is null ? "-" : MetricsFiles.Pct(r.Auprc));
                row.Add(r is null ? "-" : MetricsFiles.Pct(r.Fpr95));
            }
            rows.Add(row);
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        for (int i = 0; i < rows.Count; i++)
        {
            sb.Append("| ").AppendJoin(" | ", rows[i].Select((v, c) => c == 0 ? v.PadRight(widths[c]) : v.PadLeft(widths[c])))
              .Append(" |").AppendLine();
            if (i == 0) sb.Append('|').AppendJoin('|', widths.Select((w, c) => new string('-', w + 1) + (c == 0 ? "-" : ":"))).Append('|').AppendLine();
        }
        sb.AppendLine($"AP = AuPRC (sklearn average_precision_score), FPR = FPR at 95 % TPR (seed definition); in %. Protocol {Request.Protocol}, T = {Request.Temperature.ToString(CultureInfo.InvariantCulture)}.");
        return sb.ToString();
    }

    /// <summary>The whole report as JSON (fractions; null where undefined).</summary>
    public string ToJson()
    {
        var datasets = new JsonArray();
        foreach (var d in Datasets)
        {
            var methods = new JsonObject();
            foreach (var (m, r) in d.Methods)
            {
                var o = MetricsFiles.ToJson(r);
                if (d.PerImage?.GetValueOrDefault(m) is { } per)
                    o["per_image"] = new JsonArray(per.Select(p => { var j = MetricsFiles.ToJson(p.Metrics); j["id"] = p.Id; return (JsonNode)j; }).ToArray());
                methods[m.Key()] = o;
            }
            datasets.Add(new JsonObject
            {
                ["name"] = d.Name, ["column"] = d.Column, ["images"] = d.Images, ["images_without_anomaly"] = d.ImagesWithoutAnomaly, ["methods"] = methods,
            });
        }
        var root = new JsonObject
        {
            ["scorer"] = Scorer,
            ["device"] = Device,
            ["protocol"] = Request.Protocol.ToString().ToLowerInvariant(),
            ["temperature"] = Request.Temperature,
            ["methods"] = new JsonArray(Request.Methods.Select(m => (JsonNode)m.Key()).ToArray()),
            ["metric_definitions"] = "auprc: sklearn average_precision_score; fpr95: seed (roc_curve drop_intermediate=True, first point with TPR >= 0.95, 1.0 if none); fpr95_interp: ood_metrics fpr_at_95_tpr (np.interp); auroc: sklearn roc_auc_score; pooled over all valid pixels of a dataset",
            ["datasets"] = datasets,
            ["skipped"] = new JsonArray(Skipped.Select(s => (JsonNode)new JsonObject { ["dataset"] = s.Dataset, ["path"] = s.Path, ["reason"] = s.Reason }).ToArray()),
            ["elapsed_seconds"] = Math.Round(Elapsed.TotalSeconds, 3),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>One CSV row per dataset and method (fractions, full precision).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("dataset,column,method,auprc,fpr95,fpr95_interp,auroc,anomaly_px,normal_px,void_px,images\n");
        string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
        foreach (var d in Datasets)
            foreach (var (m, r) in d.Methods)
                sb.Append(CultureInfo.InvariantCulture, $"{d.Name},\"{d.Column}\",{m.Key()},{F(r.Auprc)},{F(r.Fpr95)},{F(r.Fpr95Interp)},{F(r.Auroc)},{r.Positives},{r.Negatives},{r.Void},{d.Images}\n");
        return sb.ToString();
    }

    /// <summary>Writes results.json, results.csv and table.md into <see cref="OutDir"/> (atomically).</summary>
    public void Save()
    {
        ArrayFiles.Atomic(Path.Combine(OutDir, "results.json"), p => File.WriteAllText(p, ToJson()));
        ArrayFiles.Atomic(Path.Combine(OutDir, "results.csv"), p => File.WriteAllText(p, ToCsv()));
        ArrayFiles.Atomic(Path.Combine(OutDir, "table.md"), p => File.WriteAllText(p, Table()));
    }
}
