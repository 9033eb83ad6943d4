using System.CommandLine;
using NativeEngine.Evaluation;
using NativeEngine.Evaluation.Demo;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Pipeline;

namespace NativeEngine.Cli.Commands;

/// <summary>`demo [--out DIR] [--weights … --head …]`: the whole pipeline on a drawn road scene, with stage timings.</summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "where demo_scene.png, demo_heatmap.png and demo_overlay.png go", DefaultValueFactory = _ => "." };
        var weights = new Option<string?>("--weights") { Description = "real EoMT weights instead of the built-in hand-set model" };
        var head = new Option<string?>("--head") { Description = "anomaly-head checkpoint to go with --weights" };
        var device = Cli.DeviceOption();
        var cmd = new Command("demo", "run the whole pipeline on a procedurally drawn road scene with an out-of-place object (no downloads)");
        foreach (var o in new Option[] { output, weights, head, device }) cmd.Options.Add(o);
        cmd.SetAction((r, ct) => Cancellable.Run(() =>
        {
            if (r.GetValue(head) is not null && r.GetValue(weights) is null) throw new ArgumentException("--head needs --weights (the built-in model has its own head)");
            OutputPaths.RequireWritableFolder("--out", r.GetValue(output)!);
            using var d = Cli.OpenDevice(r.GetValue(device)!, quiet: true);
            Console.WriteLine($"device: {d.Description}");
            using var engine = AnomalySegmenter.Create(d);
            var result = DemoRunner.Run(engine, r.GetValue(output)!, r.GetValue(weights), r.GetValue(head), log: Console.WriteLine, cancellationToken: ct);
            Console.WriteLine($"model: {result.Model}");
            if (result.Untrained)
                Console.WriteLine("note: the built-in model is UNTRAINED: hand-set weights whose queries are colour prototypes of the drawn scene, so colours it has no prototype for light up (see DemoModel in the docs)");
            Console.WriteLine($"{result.Method.Label()} score vs the drawn object: AuPRC {MetricsFiles.Pct(result.ObjectMetrics.Auprc)} %, FPR95 {MetricsFiles.Pct(result.ObjectMetrics.Fpr95)} %");
            Console.WriteLine($"total {result.Stages.Sum(s => s.Time.TotalSeconds):F2} s");
            foreach (var f in result.Files) Console.WriteLine($"wrote {f}");
            return Task.FromResult(0);
        }));
        return cmd;
    }
}
