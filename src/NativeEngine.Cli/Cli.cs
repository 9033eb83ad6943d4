using System.CommandLine;
using NativeEngine.Runtime;

namespace NativeEngine.Cli;

/// <summary>Shared CLI plumbing: the --device option, and turning exceptions into one line on stderr + exit code.</summary>
public static class Cli
{
    /// <summary>Exit code for a run that failed (bad input, missing file…).</summary>
    public const int Failure = 1;

    /// <summary>--device auto|cpu|sim|cuda (default: NATIVEENGINE_DEVICE, else auto).</summary>
    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "where ops run: auto (CUDA if present, else cpu), cpu (the host backend), sim (ILGPU's simulator of the CUDA kernels) or cuda; default from NATIVEENGINE_DEVICE",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ComputeDevice.EnvironmentVariable) ?? "auto",
    };

    /// <summary>Creates the device named by --device and says which one was chosen (on stderr, so stdout stays data).</summary>
    public static ComputeDevice OpenDevice(string kind, bool quiet = false)
    {
        var device = ComputeDevice.Create(ComputeDevice.ParseKind(kind));
        if (!quiet) Console.Error.WriteLine($"device: {device.Description}");
        return device;
    }

    /// <summary>Parses and invokes; any exception becomes "nativeengine: error: …" and exit code 1.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return root.Parse(args).Invoke(config);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"nativeengine: error: {OneLine(e)}");
            if (Environment.GetEnvironmentVariable("NATIVEENGINE_TRACE") == "1") Console.Error.WriteLine(e);
            return Failure;
        }
    }

    /// <summary>The innermost useful message on one line.</summary>
    public static string OneLine(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null)
            e = e.InnerException!;
        return e.Message.ReplaceLineEndings(" ");
    }
}
