using System.CommandLine;
using NativeEngine.Evaluation;
using NativeEngine.Evaluation.Pipeline;

namespace NativeEngine.Cli.Commands;

/// <summary>`infer &lt;image|folder&gt;… --weights … [--head …] [--out DIR]`: heatmap, overlay, raw map and semantic colours per image.</summary>
public static class InferCommand
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new ModelOptions();
        var inputs = new Argument<string[]>("inputs") { Description = "image files and/or folders of images (PNG, JPEG, WebP; sniffed by content)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "output folder", DefaultValueFactory = _ => "." };
        var methods = new Option<string?>("--methods") { Description = "comma-separated: head, msp, maxlogit, entropy, rba (default: head if loaded, else msp)" };
        var protocol = new Option<string>("--protocol") { Description = "native (windows, maps at the image's size) or seed (squash to the crop size)", DefaultValueFactory = _ => "native" };
        var temperature = new Option<float>("--temperature") { Description = "T of the baselines", DefaultValueFactory = _ => 1f };
        var raw = new Option<string>("--raw") { Description = "raw float map format: npy, safetensors or none", DefaultValueFactory = _ => "npy" };
        var semantic = new Option<bool>("--semantic") { Description = "also write the semantic argmax in Cityscapes colours" };
        var device = Cli.DeviceOption();
        var cmd = new Command("infer", "anomaly heatmaps (PNG), raw score maps (.npy/.safetensors) and optional semantic maps for images");
        cmd.Arguments.Add(inputs);
        model.AddTo(cmd);
        foreach (var o in new Option[] { output, methods, protocol, temperature, raw, semantic, device }) cmd.Options.Add(o);
        cmd.SetAction((r, ct) => Cancellable.Run(() =>
        {
            model.ParsePrecision(r); // checked before any work
            var files = Expand(r.GetValue(inputs)!);
            var rawFormat = r.GetValue(raw)!.ToLowerInvariant() switch
            {
                "npy" => RawFormat.Npy, "safetensors" => RawFormat.SafeTensors, "none" => RawFormat.None,
                var x => throw new ArgumentException($"unknown --raw '{x}': use npy, safetensors or none"),
            };
            var outDir = r.GetValue(output)!;
            OutputPaths.RequireWritableFolder("--out", outDir);
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            using var engine = AnomalySegmenter.Create(d);
            using var m = model.Open(engine, r);
            Console.Error.WriteLine($"model: {m.Description}");
            var list = r.GetValue(methods) is { } ms ? ScoreMethods.Parse(ms) : m.DefaultRequest.Methods;
            var request = new ScoreRequest(list, EvalCommand.Protocol(r.GetValue(protocol)!), r.GetValue(temperature), r.GetValue(semantic));
            int failed = 0;
            var stems = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (path, maps, image) in m.SegmentMany(files, request, null, (p, why) => { failed++; Console.Error.WriteLine($"skipped: {why}"); }, ct))
            {
                var stem = Evaluator.SafeName(Path.GetFileNameWithoutExtension(path));
                for (int k = 2; !stems.Add(stem); k++) stem = Evaluator.SafeName(Path.GetFileNameWithoutExtension(path)) + "-" + k;
                foreach (var f in ImageOutputs.Write(outDir, stem, image, maps, rawFormat)) Console.WriteLine(f);
            }
            if (failed > 0)
            {
                Console.Error.WriteLine($"{failed} of {files.Count} image(s) could not be read (listed above)");
                return Task.FromResult(EvalCommand.SkippedImages);
            }
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static List<string> Expand(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var i in inputs)
        {
            if (Directory.Exists(i))
                files.AddRange(Directory.EnumerateFiles(i).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal));
            else if (File.Exists(i)) files.Add(i);
            else throw new FileNotFoundException($"{i}: no such image file or folder", i);
        }
        if (files.Count == 0) throw new ArgumentException($"no images (.png, .jpg, .jpeg, .webp) in {string.Join(", ", inputs)}");
        return files;
    }
}
