using System.CommandLine;
using System.Reflection;
using NativeEngine.Runtime;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `bench &lt;what&gt;`: timing harnesses. Subcommands: `bench kernels` (every catalogue op with a workload). A new
/// harness (e.g. `bench forward`) is a file Commands/Bench&lt;What&gt;Command.cs with a Create() returning a Command,
/// plus one line below.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var cmd = new Command("bench", "time kernels (validated against their references first) and print napkin math: GFLOP/s, GB/s, % of peak");
        cmd.Subcommands.Add(BenchKernelsCommand.Create());
        cmd.Subcommands.Add(BenchForwardCommand.Create());
        cmd.Subcommands.Add(BenchPrecisionCommand.Create());
        return cmd;
    }

    /// <summary>
    /// Lines naming the machine for a result file: device, driver, peak used, commit. Timings from different machines
    /// never share a table.
    /// </summary>
    public static IEnumerable<string> MachineLines(ComputeDevice device, DevicePeak? peak)
    {
        yield return $"device: {device.Description}";
        if (device.Accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda)
            yield return $"driver: CUDA {cuda.DriverVersion}, {cuda.Architecture}";
        yield return device.IsHost && peak is not null
            ? HostPeaks.Line(peak)
            : device.HasHostMemory
            ? "peak: none (ILGPU's CPU accelerator is a simulator, one OS thread per GPU thread: timings compare versions, nothing more)"
            : peak is null
                ? $"peak: unknown for '{device.Accelerator.Name}' (add it to BenchPeaks)"
                : $"peak: {peak.Name}: {peak.Fp32TeraFlops} TFLOP/s FP32, {peak.Tf32TeraFlops} TF32 and {peak.HalfTeraFlops} BF16/FP16 tensor, {peak.TeraBytesPerSecond} TB/s";
        var version = typeof(BenchCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        yield return $"commit: {(version.Contains('+') ? version[(version.IndexOf('+') + 1)..] : version)}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.MachineName}";
    }
}
