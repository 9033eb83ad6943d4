using System.CommandLine;
using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Pipeline;
using NativeEngine.Models.Imaging;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `forward --weights &lt;file|dir&gt; [--config config.json] (--input x.safetensors | --image file --protocol native|seed) --output out.safetensors`:
/// the EoMT forward for checking and research. Tensor mode reads pixel_values (B, 3, S, S) float32 and writes
/// class_queries_logits, masks_queries_logits, last_hidden_state and semantic_map (B, K, S, S); image mode runs the
/// whole image path and writes semantic_map (1, K, H, W) (native) or (1, K, S, S) (seed). Both also write
/// anomaly_stats (·, 4, ·, ·) of the semantic map and, with `--head`, anomaly_score (·, 1, ·, ·) from the one
/// <see cref="ScoringPipeline"/> that `eval` and `infer` run too.
/// </summary>
public static class ForwardCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "checkpoint: a Hugging Face folder (config.json + model.safetensors) or a weights file", Required = true };
        var input = new Option<string?>("--input") { Description = "safetensors file with pixel_values (B,3,S,S) float32, already normalised" };
        var image = new Option<string?>("--image") { Description = "an image file (PNG, JPEG or WebP, sniffed by content) instead of --input" };
        var protocol = new Option<string>("--protocol") { Description = "with --image: native (EoMT windows, map at the image's size) or seed (squash to SxS)", DefaultValueFactory = _ => "native" };
        var output = new Option<string>("--output") { Description = "output .safetensors file (several named tensors; checked writable before the forward)", Required = true };
        var config = new Option<string?>("--config") { Description = "the model's Hugging Face config.json, for a weights file or folder without one" };
        var head = new Option<string?>("--head") { Description = "anomaly head file: also write anomaly_score (B,1,·,·), the sigmoid of its window-averaged logit" };
        var batch = new Option<int>("--batch") { Description = "with --image: windows per forward", DefaultValueFactory = _ => 4 };
        var device = Cli.DeviceOption();
        var precisionOption = Cli.PrecisionOption();
        var cmd = new Command("forward", "run EoMT on a pixel tensor or an image and write its outputs as safetensors");
        foreach (var o in new Option[] { weights, config, input, image, protocol, output, batch, head, precisionOption, device }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var precision = Cli.ParsePrecision(r.GetValue(precisionOption));
            string? inPath = r.GetValue(input), imgPath = r.GetValue(image);
            if ((inPath is null) == (imgPath is null)) throw new ArgumentException("give exactly one of --input <x.safetensors> or --image <file>");
            var outPath = r.GetValue(output)!;
            OutputPaths.RequireWritableFile("--output", outPath);
            OutputPaths.RequireExtension("--output", outPath, ".safetensors", "forward writes several named tensors, which only a safetensors file holds");
            string? headPath = r.GetValue(head);
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            var headFile = headPath is null ? null : AnomalyHead.Load(headPath);
            using var pipeline = new ScoringPipeline(EomtModel.Load(d, r.GetValue(weights)!, r.GetValue(config), precision), headFile, ownsModel: true)
            {
                MaxBatch = Math.Max(1, r.GetValue(batch)),
            };
            var items = new Dictionary<string, (float[] Data, int[] Shape)>();
            if (inPath is not null)
                RunTensor(pipeline, inPath, items);
            else
                RunImage(pipeline, imgPath!, ParseProtocol(r.GetValue(protocol)!), items);
            SafeTensorsWriter.Write(outPath, items.Select(kv => SafeTensorsWriter.F32(kv.Key, kv.Value.Data, kv.Value.Shape.Select(v => (long)v).ToArray())),
                new Dictionary<string, string> { ["producer"] = "nativeengine forward", ["device"] = d.Description, ["precision"] = precision.Name() });
            foreach (var kv in items.OrderBy(kv => kv.Key)) Console.WriteLine($"{kv.Key} [{string.Join(",", kv.Value.Shape)}]");
            Console.Error.WriteLine($"wrote {outPath}");
            return 0;
        });
        return cmd;
    }

    private static WindowProtocol ParseProtocol(string p) => p.ToLowerInvariant() switch
    {
        "native" => WindowProtocol.Native,
        "seed" => WindowProtocol.Seed,
        _ => throw new ArgumentException($"unknown --protocol '{p}': use native or seed"),
    };

    private static void RunTensor(ScoringPipeline pipeline, string path, Dictionary<string, (float[], int[])> items)
    {
        var model = pipeline.Model;
        using var file = SafeTensorsFile.Open(path);
        if (!file.Tensors.TryGetValue("pixel_values", out var entry))
            throw new ArgumentException($"{path}: no tensor named pixel_values (expected (B,3,S,S) float32)");
        var shape = entry.Shape.Select(v => (int)v).ToArray();
        using var pixels = Tensor.FromHost(model.Device, new Shape(shape), file.ReadFloat32("pixel_values"));
        var (output, map, stats, score) = pipeline.ScoreWindows(pixels);
        using (map)
        using (stats)
        using (score)
        {
            Put(items, "class_queries_logits", output.ClassQueriesLogits);
            Put(items, "masks_queries_logits", output.MasksQueriesLogits);
            Put(items, "last_hidden_state", output.LastHiddenState);
            Put(items, "semantic_map", map);
            Put(items, "anomaly_stats", stats);
            if (score is not null) Put(items, "anomaly_score", score);
        }
    }

    private static void RunImage(ScoringPipeline pipeline, string path, WindowProtocol protocol, Dictionary<string, (float[], int[])> items)
    {
        var img = ImageLoader.Load(path);
        using var result = pipeline.Score(img, protocol, withHead: pipeline.Head is not null);
        var map = result.SemanticMap;
        Put(items, "semantic_map", map);
        using var stats = Tensor.Empty(map.Device, new Shape(map.Shape[0], UncertaintyStats.Count, map.Shape[2], map.Shape[3]));
        UncertaintyStats.Compute(map, stats);
        Put(items, "anomaly_stats", stats);
        if (result.Score is { } score) Put(items, "anomaly_score", score);
    }

    private static void Put(Dictionary<string, (float[], int[])> items, string name, Tensor t) => items[name] = (t.ToHostFloat(), t.Shape.ToArray());
}
