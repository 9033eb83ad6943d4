using NativeEngine.Runtime;

namespace NativeEngine.Kernels;

/// <summary>What kind of code a version is; the dispatcher ranks kinds per device (see <see cref="Dispatch"/>).</summary>
public enum VersionKind
{
    /// <summary>An implicitly grouped ILGPU kernel (thread per output): the plain version, cheap on the simulator.</summary>
    Simple,
    /// <summary>An explicitly grouped ILGPU kernel (shared memory, warps, barriers): the CUDA version.</summary>
    Grouped,
    /// <summary>An ILGPU kernel on tensor cores (mma.sync); may compute in reduced precision.</summary>
    TensorCore,
    /// <summary>Plain C# over host-memory tensors (SIMD, all cores): the host backend's version.</summary>
    Host,
    /// <summary>Other ops of the table run one after another, each dispatched as usual (no kernel of its own): the
    /// unfused form of a fused op, for devices without the fused version. Ranks after every other kind.</summary>
    Composite,
}

/// <summary>
/// One version of an op: a name that says what it is ("warp-per-row"), its kind, the catalogue kernels it launches
/// (empty for host versions) and a predicate saying when it can run. Untyped view; <see cref="OpVersion{TArgs}"/> runs.
/// </summary>
public abstract class OpVersion(string op, string name, VersionKind kind, string summary, IReadOnlyList<string> kernels)
{
    /// <summary>The op's name, e.g. "gemm".</summary>
    public string Op { get; } = op;

    /// <summary>The version's name within the op, e.g. "smem-tile64".</summary>
    public string Name { get; } = name;

    /// <summary>"op/name": how tests, `selftest` and `bench kernels` force it.</summary>
    public string FullName => Op + "/" + Name;

    /// <summary>What kind of code it is.</summary>
    public VersionKind Kind { get; } = kind;

    /// <summary>One line: how it works (the napkin math lives in the kernel file's header).</summary>
    public string Summary { get; } = summary;

    /// <summary>Catalogue names ("Gemm.MatmulV2") of the ILGPU kernels it launches; empty for host versions.</summary>
    public IReadOnlyList<string> Kernels { get; } = kernels;

    /// <summary>False only for a host version on a device whose tensors are not in host memory (CUDA).</summary>
    public bool RunsOn(ComputeDevice device) => Kind != VersionKind.Host || device.HasHostMemory;

    /// <inheritdoc/>
    public override string ToString() => FullName;
}

/// <summary>A version that runs on the op's argument bundle <typeparamref name="TArgs"/>.</summary>
/// <param name="op">The op's name.</param>
/// <param name="name">The version's name.</param>
/// <param name="kind">Its kind.</param>
/// <param name="summary">One line on how it works.</param>
/// <param name="kernels">Catalogue names of the kernels it launches.</param>
/// <param name="run">Launches it (asynchronously on CUDA).</param>
/// <param name="whyNot">Null when it can run on this device and these arguments, else the reason (a shape limit, a
/// precision it does not serve: an op whose arguments carry a <see cref="Tensors.Precision"/> lets each version's
/// predicate say which it computes in). Host versions additionally need host memory; that is checked for them.</param>
public sealed class OpVersion<TArgs>(string op, string name, VersionKind kind, string summary, IReadOnlyList<string> kernels,
    Action<TArgs> run, Func<ComputeDevice, TArgs, string?>? whyNot = null)
    : OpVersion(op, name, kind, summary, kernels)
{
    /// <summary>Null when this version can run on <paramref name="device"/> with <paramref name="args"/>, else why not.</summary>
    public string? WhyNot(ComputeDevice device, TArgs args) =>
        !RunsOn(device)
            ? $"it is a host version and {device.Kind} tensors are not in host memory"
            : whyNot?.Invoke(device, args);

    /// <summary>Runs it without checks or recording (the dispatcher does both).</summary>
    internal void Launch(TArgs args) => run(args);
}
