using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Conformance;

/// <summary>
/// Where a host-version row runs: on the table's device when its tensors live in host memory (host backend,
/// simulator), else on a private host-backend device (a CUDA run still checks the host versions).
/// </summary>
public static class HostDevice
{
    /// <summary>Runs <paramref name="row"/> on a device whose tensors the host versions can touch.</summary>
    public static CaseResult Run(ComputeDevice d, Func<ComputeDevice, CaseResult> row) => Run(d, KernelChoice.Host, row);

    /// <summary>Runs <paramref name="row"/> on <paramref name="d"/>, except a <see cref="KernelChoice.Host"/> row on a
    /// device without host memory, which runs on a private host-backend device.</summary>
    public static CaseResult Run(ComputeDevice d, KernelChoice choice, Func<ComputeDevice, CaseResult> row)
    {
        if (choice != KernelChoice.Host || d.HasHostMemory) return row(d);
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        return row(cpu);
    }
}
