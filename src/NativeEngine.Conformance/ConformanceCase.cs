using System.Reflection;
using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Conformance;

/// <summary>What a case produced: the reference's output and the kernel's.</summary>
public readonly record struct CaseResult(float[] Expected, float[] Actual);

/// <summary>
/// One row of the conformance table: a kernel (catalogue name, e.g. "Softmax.RowsV1") on one shape, with its
/// tolerance |a − r| ≤ Atol + Rtol·|r| and the reason for it.
/// </summary>
public sealed record ConformanceCase(
    string Op,
    string Kernel,
    string Shape,
    double Atol,
    double Rtol,
    string Why,
    Func<ComputeDevice, CaseResult> Run)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kernel} {Shape}";
}

/// <summary>Marks a static method returning IEnumerable&lt;ConformanceCase&gt;; the table collects them all.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceCasesAttribute : Attribute;

/// <summary>The whole table, gathered from every [ConformanceCases] method of this assembly.</summary>
public static class ConformanceTable
{
    private static readonly Lazy<IReadOnlyList<ConformanceCase>> all = new(() =>
        typeof(ConformanceTable).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(m => m.GetCustomAttribute<ConformanceCasesAttribute>() is not null)
            .SelectMany(m => (IEnumerable<ConformanceCase>)m.Invoke(null, null)!)
            .OrderBy(c => c.Op, StringComparer.Ordinal).ThenBy(c => c.Kernel, StringComparer.Ordinal)
            .ToList());

    /// <summary>Every case.</summary>
    public static IReadOnlyList<ConformanceCase> All => all.Value;

    /// <summary>Catalogued kernels that no case exercises (must be empty; a test checks it).</summary>
    public static IEnumerable<string> Uncovered() =>
        KernelCatalog.All.Select(k => k.Name).Except(All.Select(c => c.Kernel)).OrderBy(n => n);

    /// <summary>Runs a case and returns (max |diff|, first failing index or -1).</summary>
    public static (double MaxDiff, int FirstBad) Check(ConformanceCase c, CaseResult r)
    {
        if (r.Expected.Length != r.Actual.Length) return (double.PositiveInfinity, 0);
        double max = 0;
        int bad = -1;
        for (int i = 0; i < r.Expected.Length; i++)
        {
            double e = r.Expected[i], a = r.Actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? e == a
                : Math.Abs(a - e) <= c.Atol + c.Rtol * Math.Abs(e);
            if (!double.IsNaN(e) && !double.IsInfinity(e)) max = Math.Max(max, Math.Abs(a - e));
            if (!ok && bad < 0) bad = i;
        }
        return (max, bad);
    }
}
