using System.CommandLine;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `forward --weights &lt;file|dir&gt; [--config config.json] (--input x.safetensors | --image file --protocol native|seed) --output out.safetensors`:
/// the EoMT forward for checking and research. Tensor mode reads pixel_values (B, 3, S, S) float32 and writes
/// class_queries_logits, masks_queries_logits, last_hidden_state and semantic_map (B, K, S, S); image mode runs the
/// whole image path and writes semantic_map (1, K, H, W) (native) or (1, K, S, S) (seed). Extra outputs come from
/// <see cref="ForwardExtras"/>.
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
        var cmd = new Command("forward", "run EoMT on a pixel tensor or an image and write its outputs as safetensors");
        foreach (var o in new Option[] { weights, config, input, image, protocol, output, batch, head, device }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string? inPath = r.GetValue(input), imgPath = r.GetValue(image);
            if ((inPath is null) == (imgPath is null)) throw new ArgumentException("give exactly one of --input <x.safetensors> or --image <file>");
            var outPath = r.GetValue(output)!;
            OutputPaths.RequireWritableFile("--output", outPath);
            OutputPaths.RequireExtension("--output", outPath, ".safetensors", "forward writes several named tensors, which only a safetensors file holds");
            AnomalyForwardExtra.HeadPath = r.GetValue(head);
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            using var model = EomtModel.Load(d, r.GetValue(weights)!, r.GetValue(config));
            var items = new Dictionary<string, (float[] Data, int[] Shape)>();
            if (inPath is not null)
                RunTensor(model, inPath, items);
            else
                RunImage(model, imgPath!, ParseProtocol(r.GetValue(protocol)!), Math.Max(1, r.GetValue(batch)), items);
            SafeTensorsWriter.Write(outPath, items.Select(kv => SafeTensorsWriter.F32(kv.Key, kv.Value.Data, kv.Value.Shape.Select(v => (long)v).ToArray())),
                new Dictionary<string, string> { ["producer"] = "nativeengine forward", ["device"] = d.Description });
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

    private static void RunTensor(EomtModel model, string path, Dictionary<string, (float[], int[])> items)
    {
        using var file = SafeTensorsFile.Open(path);
        if (!file.Tensors.TryGetValue("pixel_values", out var entry))
            throw new ArgumentException($"{path}: no tensor named pixel_values (expected (B,3,S,S) float32)");
        var shape = entry.Shape.Select(v => (int)v).ToArray();
        using var pixels = Tensor.FromHost(model.Device, new Shape(shape), file.ReadFloat32("pixel_values"));
        var output = model.Forward(pixels);
        int b = shape[0], k = model.Config.Classes, s = model.Config.ImageSize;
        using var map = Tensor.Empty(model.Device, new Shape(b, k, s, s));
        model.SemanticMap(output, map);
        Put(items, "class_queries_logits", output.ClassQueriesLogits);
        Put(items, "masks_queries_logits", output.MasksQueriesLogits);
        Put(items, "last_hidden_state", output.LastHiddenState);
        Put(items, "semantic_map", map);
        var context = new ForwardContext(model, pixels, output, map, null);
        foreach (var extra in ForwardExtras.All) extra.Contribute(context, items);
    }

    private static void RunImage(EomtModel model, string path, WindowProtocol protocol, int batch, Dictionary<string, (float[], int[])> items)
    {
        var img = ImageLoader.Load(path);
        var observers = ForwardExtras.All.Select(e => e.ObserveWindows(model, img, protocol)).OfType<SemanticInference.WindowObserver>().ToList();
        using var map = SemanticInference.Run(model, img, protocol, batch,
            observers.Count == 0 ? null : (o, p, s, f) => observers.ForEach(ob => ob(o, p, s, f)));
        Put(items, "semantic_map", map);
        var context = new ForwardContext(model, null, null, map, img);
        foreach (var extra in ForwardExtras.All) extra.Contribute(context, items);
    }

    private static void Put(Dictionary<string, (float[], int[])> items, string name, Tensor t) => items[name] = (t.ToHostFloat(), t.Shape.ToArray());
}

/// <summary>What an <see cref="IForwardExtra"/> sees once the main outputs exist.</summary>
/// <param name="Model">The model (its outputs stay valid until the next forward).</param>
/// <param name="Pixels">Tensor mode: pixel_values (B, 3, S, S); image mode: null.</param>
/// <param name="Output">Tensor mode: the model outputs; image mode: null (use the window observer).</param>
/// <param name="SemanticMap">semantic_map: (B, K, S, S), or (1, K, H, W) / (1, K, S, S) in image mode.</param>
/// <param name="Image">Image mode: the decoded image.</param>
public sealed record ForwardContext(EomtModel Model, Tensor? Pixels, EomtOutput? Output, Tensor SemanticMap, RgbImage? Image);

/// <summary>
/// THE HOOK for more outputs of `forward` (the anomaly helper adds anomaly_stats / anomaly_score here): implement this
/// and add an instance to <see cref="ForwardExtras.All"/>.
/// </summary>
public interface IForwardExtra
{
    /// <summary>Image mode: an observer called after each batched window forward (null when not needed).</summary>
    SemanticInference.WindowObserver? ObserveWindows(EomtModel model, RgbImage image, WindowProtocol protocol) => null;

    /// <summary>Adds named float32 tensors (data, shape) to the output file.</summary>
    void Contribute(ForwardContext context, IDictionary<string, (float[] Data, int[] Shape)> outputs);
}

/// <summary>The registered <see cref="IForwardExtra"/>s, run in order.</summary>
public static class ForwardExtras
{
    /// <summary>Every extra; append yours (one line).</summary>
    public static List<IForwardExtra> All { get; } = [new AnomalyForwardExtra()];
}
