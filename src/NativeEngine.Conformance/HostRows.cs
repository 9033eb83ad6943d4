using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Conformance;

/// <summary>
/// Runs a host-version row where host code can reach the tensors: on the test's device when its tensors live in host
/// memory (host backend, simulator), otherwise (CUDA) on a private host-backend device made for the row.
/// </summary>
public static class HostRows
{
    /// <summary>run(d), or run on a fresh host device when <paramref name="choice"/> is Host and d is a GPU.</summary>
    public static CaseResult On(ComputeDevice d, KernelChoice choice, Func<ComputeDevice, CaseResult> run)
    {
        if (choice != KernelChoice.Host || d.HasHostMemory) return run(d);
        using var host = ComputeDevice.Create(DeviceKind.Cpu);
        return run(host);
    }
}
