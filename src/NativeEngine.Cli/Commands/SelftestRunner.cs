using System.Diagnostics;
using NativeEngine.Conformance;
using NativeEngine.Runtime;

namespace NativeEngine.Cli.Commands;

/// <summary>The outcome of one conformance row on one device.</summary>
/// <param name="Case">The row.</param>
/// <param name="Passed">True when every element is within tolerance.</param>
/// <param name="MaxDiff">Max |kernel − reference| over finite reference values.</param>
/// <param name="Milliseconds">Wall time of the row (inputs, kernel, reference, copies; first use includes compilation).</param>
/// <param name="Detail">The first mismatch or the exception, when it failed.</param>
public sealed record SelftestResult(ConformanceCase Case, bool Passed, double MaxDiff, double Milliseconds, string? Detail);

/// <summary>Runs the conformance table (the same rows the kernel tests run) on one device.</summary>
public static class SelftestRunner
{
    /// <summary>Rows whose op or kernel name contains <paramref name="filter"/> (all when null).</summary>
    public static IEnumerable<ConformanceCase> Select(string? filter) => ConformanceTable.All.Where(c =>
        filter is null || c.Op.Contains(filter, StringComparison.OrdinalIgnoreCase) || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase));

    /// <summary>Runs one row; never throws (an exception is a failed row).</summary>
    public static SelftestResult Run(ComputeDevice device, ConformanceCase c)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var (r, wrong) = ConformanceTable.RunRecorded(c, device);
            device.Synchronize();
            double ms = sw.Elapsed.TotalMilliseconds;
            var check = ConformanceTable.Check(c, r);
            string? detail = check.Detail ?? (wrong is null ? null : $"did not run {c.Name}: {wrong}");
            return new(c, detail is null, check.MaxDiff, ms, detail);
        }
        catch (Exception e)
        {
            return new(c, false, double.NaN, sw.Elapsed.TotalMilliseconds, Cli.OneLine(e));
        }
    }

    /// <summary>The pass/fail table.</summary>
    public static string Format(IReadOnlyList<SelftestResult> results)
    {
        var table = new TextTable("op", "version", "shape", "max |diff|", "tolerance", "ms", "result");
        foreach (var r in results)
            table.Add(r.Case.Op, r.Case.Version.Name, r.Case.Shape, double.IsNaN(r.MaxDiff) ? "-" : r.MaxDiff.ToString("0.0E+0"),
                $"{r.Case.Atol:0.#E+0} + {r.Case.Rtol:0.#E+0}|r|", r.Milliseconds.ToString("0.0"),
                r.Passed ? "pass" : "FAIL: " + r.Detail);
        return table.ToString();
    }
}
