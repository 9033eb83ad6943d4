using System.CommandLine;
using NativeEngine.Evaluation;
using NativeEngine.Models.Eomt;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Cli.Commands;

/// <summary>The options that pick a model, shared by eval and infer: --weights/--head, or a built-in model.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Weights { get; } = new("--weights") { Description = "EoMT checkpoint: a Hugging Face folder (config.json + model.safetensors) or a .safetensors file" };
    public Option<string?> Head { get; } = new("--head") { Description = "anomaly-head checkpoint (.safetensors) for the 'head' method" };
    public Option<bool> Demo { get; } = new("--demo-model") { Description = "use the built-in hand-set demo EoMT-EXT (untrained) instead of --weights" };
    public Option<string?> Random { get; } = new("--random-model") { Description = "use random weights of an architecture instead of --weights: tiny (C=32, S=64), S-640, B-640, L-640, B-1024, L-1024, g-640" };
    public Option<ulong> Seed { get; } = new("--random-seed") { Description = "seed of --random-model", DefaultValueFactory = _ => 1 };
    public Option<string> Precision { get; } = Cli.PrecisionOption();

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Weights, Head, Demo, Random, Seed, Precision }) cmd.Options.Add(o);
    }

    /// <summary>--precision, parsed (call before any work starts: a bad value fails naming the flag and the choices).</summary>
    public Tensors.Precision ParsePrecision(ParseResult r) => Cli.ParsePrecision(r.GetValue(Precision));

    public AnomalyModel Open(AnomalySegmenter engine, ParseResult r)
    {
        var precision = ParsePrecision(r);
        string? weights = r.GetValue(Weights), random = r.GetValue(Random);
        bool demo = r.GetValue(Demo);
        if ((weights is null ? 0 : 1) + (demo ? 1 : 0) + (random is null ? 0 : 1) != 1)
            throw new ArgumentException("give exactly one model: --weights <checkpoint>, --demo-model or --random-model <config>");
        if (demo) return engine.BuiltInDemoModel(precision);
        if (random is not null)
        {
            var config = random.Equals("tiny", StringComparison.OrdinalIgnoreCase)
                ? new EomtConfig(32, 2, 2, 16, 4, 8, 19, 64, 1, 2, false, 128)
                : EomtRandomWeights.Published(random);
            var head = r.GetValue(Head) is { } h ? Models.Anomaly.AnomalyHead.Load(h) : null;
            return engine.RandomModel(config, r.GetValue(Seed), head, precision);
        }
        return engine.LoadModel(weights!, r.GetValue(Head), precision);
    }
}
