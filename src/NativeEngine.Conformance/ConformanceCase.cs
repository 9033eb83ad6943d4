using System.Reflection;
using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Conformance;

/// <summary>What a case produced: the reference's output and the kernel's.</summary>
public readonly record struct CaseResult(float[] Expected, float[] Actual);

/// <summary>
/// One row of the conformance table: one version of an op on one shape, with its tolerance |a − r| ≤ Atol + Rtol·|r|
/// and the reason for it. While <see cref="Run"/> runs (<see cref="ConformanceTable.RunRecorded"/>), calls of the
/// version's op that name no version run it, and the tests check the recorded dispatch. <see cref="Bench"/> rows carry
/// a realistic workload for `bench kernels` and are not run by the tests or `selftest` (the simulator would take minutes).
/// </summary>
public sealed record ConformanceCase(
    OpVersion Version,
    string Shape,
    double Atol,
    double Rtol,
    string Why,
    Func<ComputeDevice, CaseResult> Run)
{
    /// <summary>
    /// A row labelled the way the host-version files write them: <paramref name="label"/> is a catalogue kernel
    /// ("Softmax.RowsV1": the version of <paramref name="op"/> that launches it) or a host method ("SoftmaxHost.Rows":
    /// the op's "host" version). The label only picks the version; the tests still check the recorded dispatch.
    /// </summary>
    public ConformanceCase(string op, string label, string shape, double atol, double rtol, string why, Func<ComputeDevice, CaseResult> run)
        : this(VersionOf(op, label), shape, atol, rtol, why, run)
    {
    }

    private static OpVersion VersionOf(string op, string label)
    {
        var o = OpTable.Find(op);
        if (label.Contains("Host.", StringComparison.Ordinal)) return o.Version("host");
        return o.Versions.SingleOrDefault(v => v.Kernels.Contains(label))
            ?? throw new ArgumentException($"conformance row {op} '{label}': no single version of {op} launches that kernel; name the version");
    }

    /// <summary>The op's name.</summary>
    public string Op => Version.Op;

    /// <summary>"op/version": the version the row runs.</summary>
    public string Name => Version.FullName;

    /// <summary>True for a bench workload (realistic size): timed by `bench kernels`, skipped by tests and selftest.</summary>
    public bool Bench { get; init; }

    /// <summary>The precision the row runs its op in (fp32 unless a precision row says otherwise): `bench kernels`
    /// measures the row against that precision's compute peak.</summary>
    public Tensors.Precision Precision { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shape}";
}

/// <summary>Marks a static method returning IEnumerable&lt;ConformanceCase&gt;; the table collects them all.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceCasesAttribute : Attribute;

/// <summary>The whole table, gathered from every [ConformanceCases] method of this assembly.</summary>
public static class ConformanceTable
{
    private static readonly Lazy<IReadOnlyList<ConformanceCase>> every = new(() =>
        typeof(ConformanceTable).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(m => m.GetCustomAttribute<ConformanceCasesAttribute>() is not null)
            .SelectMany(m => (IEnumerable<ConformanceCase>)m.Invoke(null, null)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList());

    private static readonly Lazy<IReadOnlyList<ConformanceCase>> tests = new(() => every.Value.Where(c => !c.Bench).ToList());
    private static readonly Lazy<IReadOnlyList<ConformanceCase>> bench = new(() => every.Value.Where(c => c.Bench).ToList());

    /// <summary>Every conformance case (bench workloads excluded).</summary>
    public static IReadOnlyList<ConformanceCase> All => tests.Value;

    /// <summary>The bench workloads (realistic sizes), by op.</summary>
    public static IReadOnlyList<ConformanceCase> BenchRows => bench.Value;

    /// <summary>Catalogued kernels that no case exercises through its version (must be empty).</summary>
    public static IEnumerable<string> Uncovered() =>
        KernelCatalog.All.Select(k => k.Name).Except(All.SelectMany(c => c.Version.Kernels)).OrderBy(n => n);

    /// <summary>Versions of the op table that no case runs (must be empty).</summary>
    public static IEnumerable<string> UncoveredVersions() =>
        OpTable.All.SelectMany(op => op.Versions).Where(v => !All.Any(c => c.Version == v)).Select(v => v.FullName);

    /// <summary>Compares a case's output with its reference under the row's tolerance.</summary>
    public static Comparison Check(ConformanceCase c, CaseResult r) => Closeness.Compare(r.Expected, r.Actual, c.Atol, c.Rtol);

    /// <summary>
    /// Runs a case while recording dispatches, forcing the row's version on every call of its op that names none.
    /// Returns the result and null when every dispatch of the row's op ran the row's version (and at least one did),
    /// else what ran instead.
    /// </summary>
    public static (CaseResult Result, string? WrongVersion) RunRecorded(ConformanceCase c, ComputeDevice device)
    {
        using var log = DispatchLog.Start(force: c.Version);
        var r = c.Run(device);
        var ran = log.Entries.Where(e => e.Op.Name == c.Op).Select(e => e.Version).ToList();
        string? wrong = ran.Count == 0 ? $"no dispatch of {c.Op} was recorded"
            : ran.All(v => v == c.Version) ? null
            : $"ran {string.Join(", ", ran.Distinct().Select(v => v.FullName))}";
        return (r, wrong);
    }
}
