using NativeEngine.Runtime;

namespace NativeEngine.Kernels;

/// <summary>
/// One row of the op table, untyped: what `selftest`, `bench kernels`, `ptx-check` and the conformance tests enumerate.
/// </summary>
public interface IOp
{
    /// <summary>The op's name, e.g. "gemm", "softmax_rows".</summary>
    string Name { get; }

    /// <summary>The math in one line, with the PyTorch equivalent.</summary>
    string Summary { get; }

    /// <summary>The plain reference it is checked against ("GemmRef.Matmul" in NativeEngine.Reference).</summary>
    string Reference { get; }

    /// <summary>Its versions, in table order (the dispatcher breaks ties by it).</summary>
    IReadOnlyList<OpVersion> Versions { get; }

    /// <summary>The plainest version (the first <see cref="VersionKind.Simple"/> one, else the first): the reference path.</summary>
    OpVersion Plain { get; }

    /// <summary>The version named <paramref name="name"/> ("smem-tile64" or "gemm/smem-tile64"); throws listing the names.</summary>
    OpVersion Version(string name);
}

/// <summary>
/// An op: its name and math, its reference, FLOP and byte cost as functions of one call's arguments, and its versions.
/// <see cref="Run"/> is the one dispatcher every entry point goes through: it picks the version (or checks a forced
/// one), records the dispatch when a <see cref="DispatchLog"/> is listening, and launches.
/// </summary>
/// <typeparam name="TArgs">The op's argument bundle (tensors and sizes after the entry point's checks).</typeparam>
public sealed class Op<TArgs> : IOp
{
    private readonly Func<TArgs, double> flops, bytes;
    private readonly OpVersion<TArgs>[] versions;

    /// <summary>Defines an op row.</summary>
    /// <param name="name">The op's name.</param>
    /// <param name="summary">The math in one line, with the PyTorch equivalent.</param>
    /// <param name="reference">The plain reference, "Class.Method" in NativeEngine.Reference.</param>
    /// <param name="flops">Floating-point operations of one call (FMA = 2): napkin math.</param>
    /// <param name="bytes">Minimum bytes one call moves (each input read once, each output written once).</param>
    /// <param name="versions">Its versions; names must be unique within the op.</param>
    public Op(string name, string summary, string reference, Func<TArgs, double> flops, Func<TArgs, double> bytes,
        params OpVersion<TArgs>[] versions)
    {
        if (versions.Length == 0) throw new ArgumentException($"op {name}: needs at least one version");
        foreach (var v in versions)
            if (v.Op != name) throw new ArgumentException($"op {name}: version {v.FullName} belongs to another op");
        var dup = versions.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"op {name}: two versions named '{dup.Key}'");
        (Name, Summary, Reference, this.flops, this.bytes, this.versions) = (name, summary, reference, flops, bytes, versions);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Summary { get; }

    /// <inheritdoc/>
    public string Reference { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OpVersion> Versions => versions;

    /// <inheritdoc/>
    public OpVersion Plain => versions.FirstOrDefault(v => v.Kind == VersionKind.Simple) ?? versions[0];

    /// <summary>
    /// This row plus a host version named "host" (plain C# over host-memory tensors: SIMD, all cores) that runs
    /// <paramref name="run"/>; how an op's <c>&lt;Op&gt;Host</c> class joins the table.
    /// </summary>
    public Op<TArgs> WithHost(Action<TArgs> run, string summary = "plain C# over host memory: SIMD, all cores") =>
        new(Name, Summary, Reference, flops, bytes, [.. versions, new OpVersion<TArgs>(Name, "host", VersionKind.Host, summary, [], run)]);

    /// <summary>FLOPs of one call with <paramref name="args"/>.</summary>
    public double Flops(TArgs args) => flops(args);

    /// <summary>Minimum bytes of one call with <paramref name="args"/>.</summary>
    public double Bytes(TArgs args) => bytes(args);

    /// <inheritdoc/>
    public OpVersion Version(string name)
    {
        string local = name.StartsWith(Name + "/", StringComparison.Ordinal) ? name[(Name.Length + 1)..] : name;
        return versions.FirstOrDefault(v => v.Name == local)
            ?? throw new ArgumentException($"op {Name} has no version '{name}'; versions: {string.Join(", ", versions.Select(v => v.Name))}");
    }

    /// <summary>
    /// Runs one call on <paramref name="device"/>: <paramref name="version"/> when given (it must be one of this op's
    /// and able to run, else a clear error), else the version an open <see cref="DispatchLog"/> forces, otherwise the
    /// best version the device ranks (<see cref="Dispatch.Rank"/>).
    /// </summary>
    public void Run(ComputeDevice device, TArgs args, OpVersion? version = null)
    {
        if (DispatchLog.Current is not { } log)
        {
            (version is null ? Pick(device, args) : Check(device, args, version)).Launch(args);
            return;
        }
        version ??= DispatchLog.Forced(this);
        log.Dispatch(this, version is null ? Pick(device, args) : Check(device, args, version), args, flops, bytes);
    }

    /// <summary>The version <see cref="Run"/> picks when none is forced.</summary>
    public OpVersion<TArgs> Pick(ComputeDevice device, TArgs args)
    {
        OpVersion<TArgs>? best = null;
        int bestRank = int.MaxValue;
        foreach (var v in versions)
        {
            int rank = Dispatch.Rank(v, device);
            if (rank < bestRank && v.WhyNot(device, args) is null) (best, bestRank) = (v, rank);
        }
        return best ?? throw new InvalidOperationException(
            $"{Name}: no version can run on {device.Kind}: " + string.Join("; ", versions.Select(v => $"{v.Name}: {v.WhyNot(device, args) ?? "not picked automatically"}")));
    }

    private OpVersion<TArgs> Check(ComputeDevice device, TArgs args, OpVersion version)
    {
        if (version is not OpVersion<TArgs> v || !versions.Contains(v))
            throw new ArgumentException($"{Name}: version {version.FullName} is not a version of this op; versions: {string.Join(", ", versions.Select(x => x.Name))}");
        string? why = v.WhyNot(device, args);
        if (why is not null) throw new ArgumentException($"{v.FullName} cannot run here: {why}; leave the version unset to let the table pick");
        return v;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
