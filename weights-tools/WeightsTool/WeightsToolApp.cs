using System.CommandLine;
using System.Text.Json;
using NativeEngine.Weights;
using NativeEngine.Weights.Eomt;
using NativeEngine.Tensors;

namespace NativeEngine.WeightsTool;

/// <summary>
/// `weights-tools`: <c>inspect &lt;file|dir&gt; [--json]</c> and <c>convert &lt;in&gt; &lt;out.safetensors&gt; [--dtype f32|f16|bf16] [--config config.json]</c>.
/// Exit 0 on success; any refusal or error is one line on stderr ("weights-tools: error: …") and exit 1
/// (2 for command-line usage errors).
/// </summary>
public static class WeightsToolApp
{
    /// <summary>Runs the tool with explicit output writers (what Program.cs and the tests call).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("weights-tools: inspect and convert EoMT checkpoints (safetensors, PyTorch zip, Lightning ckpt), safely");

        var inspectPath = new Argument<string>("path") { Description = "checkpoint file, Hugging Face folder, or shape manifest (.json)" };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var inspect = new Command("inspect", "describe a checkpoint: format, tensors, parameter count, detected architecture");
        inspect.Arguments.Add(inspectPath);
        inspect.Options.Add(json);
        inspect.SetAction(r =>
        {
            var report = CheckpointReport.Inspect(r.GetValue(inspectPath)!);
            stdout.Write(r.GetValue(json)
                ? report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine
                : report.ToText());
            return 0;
        });

        var input = new Argument<string>("input") { Description = "checkpoint file or Hugging Face folder" };
        var output = new Argument<string>("output") { Description = "the .safetensors file to write (canonical Hugging Face names)" };
        var dtype = new Option<string?>("--dtype") { Description = "f32, f16 or bf16 (default: keep each tensor's stored dtype)" };
        dtype.AcceptOnlyFromAmong("f32", "f16", "bf16", "F32", "F16", "BF16");
        var configJson = new Option<string?>("--config") { Description = "the model's Hugging Face config.json, for a checkpoint without one (written into the output's metadata)" };
        var convert = new Command("convert", "convert a checkpoint into one safetensors file in the engine's canonical naming");
        convert.Arguments.Add(input);
        convert.Arguments.Add(output);
        convert.Options.Add(dtype);
        convert.Options.Add(configJson);
        convert.SetAction(r =>
        {
            var outPath = r.GetValue(output)!;
            if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"output '{outPath}' must end in .safetensors");
            int n = EomtConverter.Convert(r.GetValue(input)!, outPath, r.GetValue(dtype) is { } d ? DTypes.Parse(d) : null, r.GetValue(configJson));
            stdout.WriteLine($"wrote {n} tensors to {outPath}");
            return 0;
        });

        root.Subcommands.Add(inspect);
        root.Subcommands.Add(convert);
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                stderr.WriteLine($"weights-tools: error: {string.Join("; ", parsed.Errors.Select(e => e.Message)).ReplaceLineEndings(" ").Replace("\t", "")}");
                return 2;
            }
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr };
            return parsed.Invoke(config);
        }
        catch (Exception e)
        {
            while (e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null) e = e.InnerException!;
            stderr.WriteLine($"weights-tools: error: {e.Message.ReplaceLineEndings(" ")}");
            if (Environment.GetEnvironmentVariable("NATIVEENGINE_TRACE") == "1") stderr.WriteLine(e);
            return 1;
        }
    }
}
