using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Conformance;

/// <summary>
/// Where a host-version row runs: on the table's device when its tensors live in host memory (host backend,
/// simulator), else on a private host-backend device (a CUDA run still checks the host versions). The row's version is
/// the one its <see cref="DispatchLog"/> forces.
/// </summary>
public static class HostDevice
{
    /// <summary>Runs <paramref name="row"/> on a device whose tensors the forced version can touch.</summary>
    public static CaseResult Run(ComputeDevice d, Func<ComputeDevice, CaseResult> row)
    {
        if (d.HasHostMemory || DispatchLog.ForcedVersion is not { Kind: VersionKind.Host }) return row(d);
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        return row(cpu);
    }

    /// <summary>The same; <paramref name="version"/> (a row's explicit version, or null) is only passed through.</summary>
    public static CaseResult Run(ComputeDevice d, OpVersion? version, Func<ComputeDevice, CaseResult> row) => Run(d, row);
}
