using System.CommandLine;
using NativeEngine.Evaluation.Metrics;

namespace NativeEngine.Cli.Commands;

/// <summary>`metrics --scores s.safetensors --labels l.safetensors [--json]`: exact AuPRC / FPR95 / AUROC of a score map.</summary>
public static class MetricsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var scores = new Option<string>("--scores") { Description = "score map (.safetensors or .npy; higher = more anomalous)", Required = true };
        var labels = new Option<string>("--labels") { Description = "labels of the same shape (uint8; .safetensors or .npy)", Required = true };
        var scoresName = new Option<string?>("--scores-tensor") { Description = "tensor name in the scores file (default: the only one, or 'scores')" };
        var labelsName = new Option<string?>("--labels-tensor") { Description = "tensor name in the labels file (default: the only one, or 'labels')" };
        var rule = new Option<string>("--label-rule")
        {
            Description = "mask value → class, e.g. \"normal=0,anomaly=1-254,void=255\" (the default) or \"void=0,normal=1,anomaly=2-200\"",
            DefaultValueFactory = _ => LabelRule.Default.Text,
        };
        var perImage = new Option<bool>("--per-image") { Description = "also score each slice of a (I, H, W) pair" };
        var json = new Option<bool>("--json") { Description = "print JSON: auprc, fpr95, fpr95_interp, auroc (fractions) and pixel counts" };
        var device = Cli.DeviceOption(); // accepted as on every command; the metrics are exact host code on any device
        var cmd = new Command("metrics", "exact pixel AuPRC, FPR95 (seed and interpolated) and AUROC of a score map against its labels (255 = void)");
        foreach (var o in new Option[] { scores, labels, scoresName, labelsName, rule, perImage, json, device }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            Runtime.ComputeDevice.ParseKind(r.GetValue(device)!); // a bad --device is refused here as everywhere
            var result = MetricsFiles.Compute(r.GetValue(scores)!, r.GetValue(labels)!, LabelRule.Parse(r.GetValue(rule)!),
                r.GetValue(perImage), r.GetValue(scoresName), r.GetValue(labelsName));
            Console.Write(r.GetValue(json) ? MetricsFiles.ToJsonText(result) + Environment.NewLine : MetricsFiles.ToText(result));
            return 0;
        });
        return cmd;
    }
}
