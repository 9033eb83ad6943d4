using NativeEngine.Runtime;

namespace NativeEngine.Benchmarks;

/// <summary>
/// The one device every suite runs on: NATIVEENGINE_DEVICE (auto, cpu, sim, cuda) picks it, as everywhere else. Sizes are
/// tiny on ILGPU's CPU accelerator (a simulator: one OS thread per GPU thread) and EoMT-like on CUDA.
/// </summary>
public static class BenchDevice
{
    private static readonly Lazy<ComputeDevice> device = new(() =>
    {
        var d = ComputeDevice.Create();
        Console.WriteLine($"// NativeEngine device: {d.Description}");
        return d;
    });

    /// <summary>The shared device (created on first use, disposed at exit).</summary>
    public static ComputeDevice Device => device.Value;

    /// <summary>True when NATIVEENGINE_DEVICE selects the host backend or the simulator (or no CUDA device exists).</summary>
    public static bool IsCpu => Device.HasHostMemory;

    /// <summary>A short name for file names and the Device column, e.g. "NVIDIA-H100-80GB-HBM3", "cpu-host" or "cpu-simulator".</summary>
    public static string Slug => IsCpu ? (Device.IsHost ? "cpu-host" : "cpu-simulator")
        : new string(Device.Accelerator.Name.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
}
