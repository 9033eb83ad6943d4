using System.CommandLine;
using System.Globalization;
using System.Text;
using NativeEngine.Evaluation;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `bench precision [--fixtures DIR] [--data ROOT] [--precisions tf32,bf16,fp16] [--max-images N] [--out FILE.md]`: what
/// each reduced precision costs in accuracy against fp32 (issue 11, item 3). On the PyTorch parity fixtures
/// (tests/fixtures/eomt: tiny, tiny_masked, tiny_swiglu, small): max |Δ| / max |fp32| of the mask logits and the share of
/// pixels whose semantic-map argmax agrees with fp32's (also the fp32 engine against PyTorch's float64, for scale).
/// On the bundled validation sets, with the small fixture model (ViT-S shaped, random weights: it tests what rounding
/// does to the scores, not anomaly detection) and the plain fixture head: AuPRC and FPR95 of every method per dataset
/// and their difference from fp32 in points, and the semantic argmax agreement over every scored pixel. Targets:
/// agreement ≥ 99.5 %, |ΔAuPRC| and |ΔFPR95| ≤ 0.5 points.
/// </summary>
public static class BenchPrecisionCommand
{
    /// <summary>The targets of issue 11.</summary>
    public const double AgreementTarget = 99.5, PointsTarget = 0.5;

    // (name, folder or config, seed for weights that are not committed (null: the folder holds them), forward file)
    private static readonly (string Name, string Folder, ulong? Seed, string Forward)[] Fixtures =
    [
        ("tiny", "eomt/tiny", null, "eomt/tiny_forward.safetensors"),
        ("tiny_masked", "eomt/tiny_masked", null, "eomt/tiny_masked_forward.safetensors"),
        ("tiny_swiglu", "eomt/tiny_swiglu", 5, "eomt/tiny_swiglu_forward.safetensors"),
        ("small", "eomt/small", 7, "eomt/small_forward.safetensors"),
    ];

    /// <summary>Builds the `precision` subcommand of `bench`.</summary>
    public static Command Create()
    {
        var fixtures = new Option<string>("--fixtures") { Description = "the PyTorch parity fixtures folder (tests/fixtures of the checkout)", DefaultValueFactory = _ => Path.Combine("tests", "fixtures") };
        var data = new Option<string?>("--data") { Description = "validation sets root (default ../shared/data/Validation_Dataset when it exists; leave out to skip them)" };
        var precisions = new Option<string>("--precisions") { Description = "comma-separated precisions to compare with fp32", DefaultValueFactory = _ => "tf32,bf16,fp16" };
        var maxImages = new Option<int?>("--max-images") { Description = "score at most N images per validation set" };
        var output = new Option<string?>("--out") { Description = "also write the tables as Markdown to this file (e.g. benchmarks/results/<date>_<machine>_<commit>_precision-accuracy.md)" };
        var device = Cli.DeviceOption();
        var cmd = new Command("precision", "accuracy of tf32/bf16/fp16 against fp32: parity fixtures and validation sets (mask logits, semantic argmax agreement, AuPRC/FPR95)");
        foreach (var o in new Option[] { fixtures, data, precisions, maxImages, output, device }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var list = r.GetValue(precisions)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(Cli.ParsePrecision).Where(p => p != Precision.Fp32).Distinct().ToList();
            if (list.Count == 0) throw new ArgumentException("--precisions: give at least one of tf32, bf16, fp16");
            string root = r.GetValue(fixtures)!;
            if (!Directory.Exists(Path.Combine(root, "eomt")))
                throw new DirectoryNotFoundException($"--fixtures {root}: no eomt/ folder there; run from the checkout's root or pass --fixtures <checkout>/tests/fixtures");
            string? dataRoot = r.GetValue(data);
            if (dataRoot is null && Directory.Exists(Path.Combine("..", "shared", "data", "Validation_Dataset"))) dataRoot = Path.Combine("..", "shared", "data", "Validation_Dataset");
            if (dataRoot is not null && !Directory.Exists(dataRoot)) throw new DirectoryNotFoundException($"--data {dataRoot}: no such folder");
            if (r.GetValue(maxImages) is < 1 and var n) throw new ArgumentException($"--max-images {n}: give at least 1");
            string? outPath = r.GetValue(output);
            if (outPath is not null) OutputPaths.RequireWritableFile("--out", outPath);
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            var report = new StringBuilder();
            report.AppendLine("# Accuracy of the reduced precisions against fp32").AppendLine();
            report.AppendLine("Written by `nativeengine bench precision` (src/NativeEngine.Cli/Commands/BenchPrecisionCommand.cs).").AppendLine();
            // The machine and the commit (no peak line: nothing here is timed).
            foreach (var line in BenchCommand.MachineLines(d, null).Where(l => !l.StartsWith("peak:", StringComparison.Ordinal)))
                report.AppendLine($"- {line}");
            report.AppendLine();
            report.Append(FixtureTable(d, root, list));
            if (dataRoot is not null) report.Append(ValidationTable(d, root, dataRoot, list, r.GetValue(maxImages)));
            else report.AppendLine("Validation sets: not run (no --data and no ../shared/data/Validation_Dataset).");
            Console.Write(report.ToString());
            if (outPath is not null)
            {
                Evaluation.IO.ArrayFiles.Atomic(outPath, tmp => File.WriteAllText(tmp, report.ToString()));
                Console.Error.WriteLine($"wrote {outPath}");
            }
            return 0;
        });
        return cmd;
    }

    private static EomtModel LoadFixture(ComputeDevice d, string root, (string Name, string Folder, ulong? Seed, string Forward) f, Precision p)
    {
        string folder = Path.Combine(root, f.Folder);
        if (f.Seed is not { } seed) return EomtModel.Load(d, folder, precision: p);
        using var w = new EomtRandomWeights(Weights.Eomt.EomtConfig.Read(Path.Combine(folder, "config.json")), seed);
        return EomtModel.Load(d, w, p);
    }

    // Per fixture: the fp32 engine against PyTorch (scale), then each precision against the fp32 engine.
    private static string FixtureTable(ComputeDevice d, string root, IReadOnlyList<Precision> precisions)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## PyTorch parity fixtures (tests/fixtures/eomt)").AppendLine();
        sb.AppendLine("Mask logits: max |Δ| / max |fp32| over every query and pixel. Argmax: share of semantic-map pixels whose class (argmax over K)");
        sb.AppendLine($"equals the fp32 engine's (target ≥ {AgreementTarget} %). The first row of each fixture is the fp32 engine against PyTorch's float64 reference.").AppendLine();
        sb.AppendLine("| fixture | precision | mask logits max rel. error | semantic argmax agreement |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var f in Fixtures)
        {
            using var file = SafeTensorsFile.Open(Path.Combine(root, f.Forward));
            var shape = file.Get("pixel_values").Shape.Select(v => (int)v).ToArray();
            using var pixels = Tensor.FromHost(d, new Shape(shape), file.ReadFloat32("pixel_values"));
            var (masks32, map32, classes) = Run(d, root, f, Precision.Fp32, pixels);
            int batch = shape[0];
            sb.AppendLine($"| {f.Name} | fp32 vs PyTorch float64 | {BenchForwardCommand.RelMax(file.ReadFloat32("masks_queries_logits"), masks32):E2} | {Agreement(file.ReadFloat32("semantic_map"), map32, batch, classes):F2} % |");
            foreach (var p in precisions)
            {
                var (masks, map, _) = Run(d, root, f, p, pixels);
                double agree = Agreement(map32, map, batch, classes);
                sb.AppendLine($"| {f.Name} | {p.Name()} | {BenchForwardCommand.RelMax(masks32, masks):E2} | {agree:F2} %{(agree < AgreementTarget ? " (below target)" : "")} |");
            }
            Console.Error.WriteLine($"fixture {f.Name}: done");
        }
        return sb.AppendLine().ToString();
    }

    private static (float[] Masks, float[] Map, int Classes) Run(ComputeDevice d, string root, (string, string, ulong?, string) f, Precision p, Tensor pixels)
    {
        using var model = LoadFixture(d, root, f, p);
        var o = model.Forward(pixels);
        int s = model.Config.ImageSize, k = model.Config.Classes;
        using var map = Tensor.Empty(d, new Shape(pixels.Shape[0], k, s, s));
        model.SemanticMap(o, map);
        return (o.MasksQueriesLogits.ToHostFloat(), map.ToHostFloat(), k);
    }

    // Validation sets with the small fixture model and the plain fixture head: every method's AuPRC / FPR95 per dataset.
    private static string ValidationTable(ComputeDevice d, string root, string dataRoot, IReadOnlyList<Precision> precisions, int? maxImages)
    {
        var small = Fixtures.Single(f => f.Name == "small");
        var head = AnomalyHead.Load(Path.Combine(root, "anomaly", "head_plain.safetensors"));
        var reports = new Dictionary<Precision, EvalReport>();
        var semantic = new Dictionary<Precision, List<int[]>>();
        foreach (var p in new[] { Precision.Fp32 }.Concat(precisions))
        {
            var model = LoadFixture(d, root, small, p);
            using var am = AnomalySegmenter.FromScorer(new EomtScorer(model, head,
                $"small fixture EoMT (random weights, seed 7) + plain fixture head, {p.Name()}", $"precision-bench-small-7{EomtScorer.PrecisionTag(p)}"), untrained: true);
            var outDir = Directory.CreateTempSubdirectory("ne-bench-precision-").FullName;
            try
            {
                var request = new ScoreRequest(am.Supported, EvalProtocol.Native, Semantic: false);
                reports[p] = am.Evaluate(dataRoot, new EvalOptions(outDir, HeatmapLimit: 0, Curves: false, MaxImages: maxImages), request, "all", null, default, d.Description);
                // The semantic argmax per image (a second pass: the evaluation keeps no maps).
                semantic[p] = [];
                foreach (var ds in Evaluation.Datasets.DatasetCatalog.Discover(dataRoot))
                    foreach (var sample in ds.Samples.Take(maxImages ?? int.MaxValue))
                        semantic[p].Add(am.Segment(sample.ImagePath, new ScoreRequest([ScoreMethod.Msp], EvalProtocol.Native, Semantic: true)).Semantic!);
            }
            finally
            {
                Directory.Delete(outDir, true);
            }
            Console.Error.WriteLine($"validation sets in {p.Name()}: done ({reports[p].Elapsed.TotalSeconds:F0} s)");
        }
        var sb = new StringBuilder();
        var baseReport = reports[Precision.Fp32];
        sb.AppendLine($"## Validation sets ({dataRoot}), small fixture model").AppendLine();
        sb.AppendLine("The small fixture EoMT (ViT-S shaped: C 384, 6 heads of 64, 4 layers, 64 px windows, random weights, seed 7) with the plain");
        sb.AppendLine("fixture head (tests/fixtures/anomaly/head_plain.safetensors), native windows. Untrained: the numbers measure what the precision does to");
        sb.AppendLine($"the scores, not anomaly detection. AuPRC and FPR95 in points (×100); Δ against fp32 (target |Δ| ≤ {PointsTarget}).").AppendLine();
        int images = baseReport.Datasets.Sum(x => x.Images);
        foreach (var p in precisions)
        {
            long same = 0, total = 0;
            for (int i = 0; i < semantic[p].Count; i++)
            {
                var a = semantic[Precision.Fp32][i];
                var b = semantic[p][i];
                for (int j = 0; j < a.Length; j++) same += a[j] == b[j] ? 1 : 0;
                total += a.Length;
            }
            double agree = 100.0 * same / Math.Max(1, total);
            sb.AppendLine($"- {p.Name()}: semantic argmax agreement with fp32 {agree:F3} % of {total} pixels over {semantic[p].Count} images{(agree < AgreementTarget ? " (below target)" : "")}");
        }
        sb.AppendLine().AppendLine($"{images} images: " + string.Join(", ", baseReport.Datasets.Select(x => $"{x.Name} {x.Images}"))).AppendLine();
        sb.AppendLine("| dataset | method | fp32 AuPRC | fp32 FPR95 | " + string.Join(" | ", precisions.Select(p => $"{p.Name()} ΔAuPRC | {p.Name()} ΔFPR95")) + " |");
        sb.AppendLine("|---|---|---|---|" + string.Concat(precisions.Select(_ => "---|---|")));
        double worst = 0;
        foreach (var ds in baseReport.Datasets)
            foreach (var (method, m32) in ds.Methods)
            {
                var cells = new List<string>();
                foreach (var p in precisions)
                {
                    var m = reports[p].Datasets.Single(x => x.Name == ds.Name).Methods[method];
                    double da = 100 * (m.Auprc - m32.Auprc), df = 100 * (m.Fpr95 - m32.Fpr95);
                    worst = Math.Max(worst, Math.Max(Math.Abs(da), Math.Abs(df)));
                    cells.Add(Pts(da));
                    cells.Add(Pts(df));
                }
                sb.AppendLine($"| {ds.Name} | {method.Label()} | {100 * m32.Auprc:F2} | {100 * m32.Fpr95:F2} | {string.Join(" | ", cells)} |");
            }
        sb.AppendLine().AppendLine($"Largest |Δ|: {worst:F3} points ({(worst <= PointsTarget ? "within" : "above")} the {PointsTarget}-point target).").AppendLine();
        return sb.ToString();
    }

    private static string Pts(double v) => (v >= 0 ? "+" : "") + v.ToString("F3", CultureInfo.InvariantCulture);

    // Semantic maps (B, K, S, S): % of (b, pixel) whose argmax over K agrees.
    private static double Agreement(float[] a, float[] b, int batch, int classes)
    {
        int plane = a.Length / (batch * classes);
        long same = 0;
        for (int bi = 0; bi < batch; bi++)
            for (int q = 0; q < plane; q++)
                same += Argmax(a, bi, q, classes, plane) == Argmax(b, bi, q, classes, plane) ? 1 : 0;
        return 100.0 * same / ((long)batch * plane);
    }

    private static int Argmax(float[] map, int b, int pixel, int classes, int plane)
    {
        int best = 0;
        for (int k = 1; k < classes; k++)
            if (map[(b * classes + k) * plane + pixel] > map[(b * classes + best) * plane + pixel]) best = k;
        return best;
    }
}
