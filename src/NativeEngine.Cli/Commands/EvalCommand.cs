using System.CommandLine;
using System.Globalization;
using NativeEngine.Evaluation;
using NativeEngine.Evaluation.Pipeline;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `eval --weights … [--head …] --data &lt;root&gt; [--datasets all|names] [--protocol seed|native] [--methods …]`: the
/// seed's table (AuPRC / FPR95 per dataset and method, ×100), results.json/.csv, heatmaps and PR/ROC curves, resumable.
/// </summary>
public static class EvalCommand
{
    /// <summary>Exit code when some images could not be read (the rest was evaluated).</summary>
    public const int SkippedImages = 2;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new ModelOptions();
        var data = new Option<string>("--data") { Description = "folder holding the datasets (e.g. the unzipped Validation_Dataset), or one dataset folder", Required = true };
        var datasets = new Option<string>("--datasets") { Description = "all, or comma-separated names (RoadAnomaly21, RoadObstacle21, FS_LostFound_full, fs_static, RoadAnomaly, RA21, …)", DefaultValueFactory = _ => "all" };
        var protocol = new Option<string>("--protocol") { Description = "seed: squash to the crop size, metrics there (the seed's numbers); native: windows at native resolution", DefaultValueFactory = _ => "seed" };
        var methods = new Option<string?>("--methods") { Description = "comma-separated: head, msp, maxlogit, entropy, rba (default: all the model supports)" };
        var temperature = new Option<float>("--temperature") { Description = "T of the baselines (z/T)", DefaultValueFactory = _ => 1f };
        var output = new Option<string?>("--out") { Description = "output folder (default: eval-<date>-<time> in the current folder); an existing one resumes from its cache" };
        var heatmaps = new Option<int>("--heatmaps") { Description = "heatmaps and overlays for the first N images of each dataset (-1: all, 0: none)", DefaultValueFactory = _ => -1 };
        var noCurves = new Option<bool>("--no-curves") { Description = "do not draw PR/ROC curves" };
        var perImage = new Option<bool>("--per-image") { Description = "also report metrics per image in results.json" };
        var skipNoAnomaly = new Option<bool>("--skip-no-anomaly") { Description = "leave out images without anomaly pixels (the seed's final config keeps them)" };
        var maxImages = new Option<int?>("--max-images") { Description = "score at most N images per dataset (quick checks)" };
        var device = Cli.DeviceOption();
        var cmd = new Command("eval", "evaluate anomaly scores on road-anomaly datasets: the seed's AuPRC/FPR95 table, JSON, CSV, heatmaps and curves");
        model.AddTo(cmd);
        foreach (var o in new Option[] { data, datasets, protocol, methods, temperature, output, heatmaps, noCurves, perImage, skipNoAnomaly, maxImages, device }) cmd.Options.Add(o);
        cmd.SetAction((r, ct) => Cancellable.Run(() =>
        {
            var proto = Protocol(r.GetValue(protocol)!);
            model.ParsePrecision(r); // checked before any work
            if (r.GetValue(maxImages) is < 1 and var n) throw new ArgumentException($"--max-images {n}: give at least 1 (leave it out to score every image)");
            if (r.GetValue(heatmaps) < -1) throw new ArgumentException($"--heatmaps {r.GetValue(heatmaps)}: give -1 (all), 0 (none) or a count");
            var outDir = r.GetValue(output) ?? Path.Combine(Environment.CurrentDirectory, "eval-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            OutputPaths.RequireWritableFolder("--out", outDir);
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            using var engine = AnomalySegmenter.Create(d);
            using var m = model.Open(engine, r);
            Console.Error.WriteLine($"model: {m.Description}");
            if (m.IsUntrained) Console.Error.WriteLine("note: this model is untrained; its numbers test the machinery, not anomaly detection");
            var list = r.GetValue(methods) is { } ms ? ScoreMethods.Parse(ms) : m.Supported;
            var request = new ScoreRequest(list, proto, r.GetValue(temperature));
            var options = new EvalOptions(outDir, r.GetValue(heatmaps), !r.GetValue(noCurves), r.GetValue(perImage), r.GetValue(skipNoAnomaly), r.GetValue(maxImages));
            var report = m.Evaluate(r.GetValue(data)!, options, request, r.GetValue(datasets)!, new ProgressLine(), ct, d.Description);
            Console.Error.WriteLine();
            Console.Write(report.Table());
            foreach (var s in report.Skipped) Console.Error.WriteLine($"skipped: {s.Reason}");
            Console.Error.WriteLine($"wrote {Path.Combine(outDir, "results.json")}, results.csv, table.md, heatmaps/, curves/ in {report.Elapsed.TotalSeconds:F1} s");
            if (report.Skipped.Count > 0)
            {
                Console.Error.WriteLine($"{report.Skipped.Count} image(s) could not be read and were left out (listed above)");
                return Task.FromResult(SkippedImages);
            }
            return Task.FromResult(0);
        }));
        return cmd;
    }

    internal static EvalProtocol Protocol(string p) => p.ToLowerInvariant() switch
    {
        "seed" => EvalProtocol.Seed,
        "native" => EvalProtocol.Native,
        _ => throw new ArgumentException($"unknown --protocol '{p}': use seed or native"),
    };

    // Progress on stderr: one rewritten line on a terminal, one line per image otherwise (CI logs).
    private sealed class ProgressLine : IProgress<EvalProgress>
    {
        public void Report(EvalProgress p)
        {
            string eta = p.Eta is { } e ? $"ETA {(int)e.TotalHours}:{e.Minutes:00}:{e.Seconds:00}" : "ETA --";
            string line = $"[{p.Dataset} {p.Index}/{p.Count}] {p.ImageId}{(p.FromCache ? " (cached)" : "")}  {p.Done}/{p.Total} done  {eta}";
            if (Console.IsErrorRedirected) Console.Error.WriteLine(line);
            else Console.Error.Write("\r" + line.PadRight(Math.Max(line.Length, Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 0)));
        }
    }
}
