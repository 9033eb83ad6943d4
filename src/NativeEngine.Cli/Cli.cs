using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Training.Optim;

namespace NativeEngine.Cli;

/// <summary>Shared CLI plumbing: the --device option, and turning exceptions into one line on stderr + exit code.</summary>
public static class Cli
{
    /// <summary>Exit code for a run that failed (bad input, missing file, a usage error…).</summary>
    public const int Failure = 1;

    /// <summary>--device auto|cpu|sim|cuda (default: NATIVEENGINE_DEVICE, else auto).</summary>
    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "where ops run: auto (CUDA if present, else cpu), cpu (the host backend), sim (ILGPU's simulator of the CUDA kernels) or cuda; default from NATIVEENGINE_DEVICE",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ComputeDevice.EnvironmentVariable) ?? "auto",
    };

    /// <summary>--precision fp32|tf32|bf16|fp16 (default fp32): the arithmetic of the ViT blocks' matmuls and attention.</summary>
    public static Option<string> PrecisionOption() => new("--precision")
    {
        Description = "arithmetic of the ViT blocks' matmuls and attention: fp32 (exact, default), tf32, bf16 or fp16 (operands rounded as "
            + "tensor cores round them, float32 accumulation; bf16/fp16 store those weights in 16 bits); statistics, heads and metrics stay float32",
        DefaultValueFactory = _ => "fp32",
    };

    /// <summary>Parses --precision's value, or fails naming the flag and the choices.</summary>
    public static Precision ParsePrecision(string? value) =>
        Precisions.TryParse(value)
        ?? throw new ArgumentException($"--precision '{value}': unknown precision; choices: {string.Join(", ", Precisions.All.Select(p => p.Name()))}");

    /// <summary>Creates the device named by --device and says which one was chosen (on stderr, so stdout stays data).</summary>
    public static ComputeDevice OpenDevice(string kind, bool quiet = false)
    {
        var device = ComputeDevice.Create(ComputeDevice.ParseKind(kind));
        if (!quiet) Console.Error.WriteLine($"device: {device.Description}");
        return device;
    }

    /// <summary>
    /// Parses and invokes; a usage error (unknown or missing option, a value of the wrong type) and any exception
    /// become one "nativeengine: error: …" line on stderr and exit code 1, with nothing printed on stdout.
    /// </summary>
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                Console.Error.WriteLine($"nativeengine: error: {UsageMessage(parsed)}");
                return Failure;
            }
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return parsed.Invoke(config);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"nativeengine: error: {OneLine(e)}");
            if (Environment.GetEnvironmentVariable("NATIVEENGINE_TRACE") == "1") Console.Error.WriteLine(e);
            return Failure;
        }
    }

    /// <summary>The innermost useful message on one line (without .NET's "(Parameter 'x')" suffix).</summary>
    public static string OneLine(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null)
            e = e.InnerException!;
        var message = e.Message;
        if (e is ArgumentException { ParamName: { } p } && message.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal))
            message = message[..^$" (Parameter '{p}')".Length];
        return message.ReplaceLineEndings(" ");
    }

    // Every parse error in one line, values of the wrong type said in words, and where the options are listed.
    internal static string UsageMessage(ParseResult parsed)
    {
        var messages = parsed.Errors.Select(Describe).Distinct().ToList();
        var names = new List<string>();
        for (SymbolResult? s = parsed.CommandResult; s is CommandResult c; s = c.Parent)
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        string help = string.Join(" ", ["nativeengine", .. names, "--help"]);
        return $"{string.Join("; ", messages).ReplaceLineEndings(" ").Replace("\t", "")} (see `{help}`)";
    }

    private static string Describe(ParseError error)
    {
        var option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        if (option is null) return error.Message.TrimEnd('.');
        var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        string? kind = type == typeof(int) || type == typeof(long) || type == typeof(ulong) ? "a whole number"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false" : null;
        var bad = option.Tokens.Select(t => t.Value).FirstOrDefault(v => !Parses(type, v));
        return kind is not null && bad is not null
            ? $"{option.Option.Name} '{bad}' is not {kind}"
            : error.Message.TrimEnd('.');
    }

    private static bool Parses(Type type, string v)
    {
        var c = CultureInfo.InvariantCulture;
        return type == typeof(int) ? int.TryParse(v, NumberStyles.Integer, c, out _)
            : type == typeof(long) ? long.TryParse(v, NumberStyles.Integer, c, out _)
            : type == typeof(ulong) ? ulong.TryParse(v, NumberStyles.Integer, c, out _)
            : type == typeof(double) ? double.TryParse(v, NumberStyles.Float, c, out _)
            : type == typeof(float) ? float.TryParse(v, NumberStyles.Float, c, out _)
            : type != typeof(bool) || bool.TryParse(v, out _);
    }
}

/// <summary>
/// An option that takes one of a few names (case-insensitive), parsed here once into <typeparamref name="T"/>: any other
/// value is a usage error that lists the names. Help shows the names, not the enum's member names.
/// </summary>
public sealed class ChoiceOption<T> : Option<T?> where T : struct
{
    /// <summary>Creates <paramref name="name"/> over <paramref name="choices"/>, <paramref name="defaultValue"/> when absent.</summary>
    public ChoiceOption(string name, string description, IReadOnlyList<(string Name, T Value)> choices, T defaultValue) : base(name)
    {
        Default = defaultValue;
        HelpName = string.Join("|", choices.Select(c => c.Name));
        Description = $"{description} (default {choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, defaultValue)).Name})";
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (TrainingChoices.TryParse(choices, text, out var value)) return value;
            r.AddError($"{name} '{text}': use {TrainingChoices.List(choices)}");
            return null;
        };
    }

    /// <summary>The value when the option is absent.</summary>
    public T Default { get; }

    /// <summary>The value given, else <see cref="Default"/>.</summary>
    public T ValueIn(ParseResult parsed) => parsed.GetValue(this) ?? Default;
}
