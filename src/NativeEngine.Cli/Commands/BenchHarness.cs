using System.Diagnostics;
using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Cli.Commands;

/// <summary>One timed (version, shape) row.</summary>
/// <param name="Version">The op-table version timed.</param>
/// <param name="Shape">The workload's shape label.</param>
/// <param name="Milliseconds">Median time of one launch (NaN when refused).</param>
/// <param name="Flops">FLOPs of one launch, from the op's cost function.</param>
/// <param name="Bytes">Minimum bytes of one launch, from the op's cost function.</param>
/// <param name="MaxDiff">Max |diff| against the reference.</param>
/// <param name="Refused">Why it was not timed (disagrees with the reference, ran another version, threw), or null.</param>
/// <param name="CpuMilliseconds">Process CPU time per launch (all threads), host versions only; NaN elsewhere.</param>
public sealed record BenchRow(OpVersion Version, string Shape, double Milliseconds, double Flops, double Bytes, double MaxDiff, string? Refused,
    double CpuMilliseconds = double.NaN)
{
    /// <summary>GFLOP/s.</summary>
    public double GFlops => Flops / (Milliseconds * 1e6);

    /// <summary>GB/s (10⁹ bytes).</summary>
    public double GBytes => Bytes / (Milliseconds * 1e6);

    /// <summary>The precision the row ran in (its conformance row's).</summary>
    public Precision Precision { get; init; }

    /// <summary>The compute peak the row is measured against, from its precision: fp32, tf32 or half.</summary>
    public string Peak => Precision switch
    {
        Precision.Tf32 => "tf32",
        Precision.Bf16 or Precision.Fp16 => "half",
        _ => "fp32",
    };
}

/// <summary>
/// Validate, then time (llm.c's discipline), over rows of the conformance table: the row runs once untimed (ILGPU
/// compiles then) and is checked against its reference and its recorded dispatch, and a disagreeing version is
/// refused; then the row runs again while a <see cref="DispatchLog"/> hands its op's launch to the timer, which times
/// batches of that launch with a device synchronise at each end; the median batch gives one launch.
/// </summary>
public static class BenchHarness
{
    /// <summary>The rows `bench kernels` times for one version: its bench workloads (realistic sizes) where it runs
    /// natively, its last conformance row where it would run on the simulator (realistic sizes take minutes there).</summary>
    public static IEnumerable<ConformanceCase> Workloads(OpVersion v, ComputeDevice device)
    {
        bool simulated = device.HasHostMemory && v.Kind != VersionKind.Host;
        var bench = ConformanceTable.BenchRows.Where(c => c.Version == v).ToList();
        return !simulated && bench.Count > 0 ? bench : ConformanceTable.All.Where(c => c.Version == v).TakeLast(1);
    }

    /// <summary>Validates, then times one row.</summary>
    public static BenchRow Measure(ComputeDevice device, ConformanceCase row, double secondsPerBatch) =>
        MeasureRow(device, row, secondsPerBatch) with { Precision = row.Precision };

    private static BenchRow MeasureRow(ComputeDevice device, ConformanceCase row, double secondsPerBatch)
    {
        var v = row.Version;
        double maxDiff = double.NaN, flops = double.NaN, bytes = double.NaN;
        try
        {
            var (result, wrong) = ConformanceTable.RunRecorded(row, device);
            var check = ConformanceTable.Check(row, result);
            maxDiff = check.MaxDiff;
            if (!check.Passed) return new(v, row.Shape, double.NaN, flops, bytes, maxDiff, "disagrees with the reference: " + check.Detail);
            if (wrong is not null) return new(v, row.Shape, double.NaN, flops, bytes, maxDiff, "did not run the version it names: " + wrong);

            double ms = double.NaN, cpuMs = double.NaN;
            using (DispatchLog.Timing(OpTable.Find(v.Op), (call, launch) =>
            {
                (flops, bytes) = (call.Flops, call.Bytes);
                (ms, cpuMs) = Time(device, launch, secondsPerBatch);
            }, force: v))
                row.Run(device);
            return new(v, row.Shape, ms, flops, bytes, maxDiff, null, v.Kind == VersionKind.Host ? cpuMs : double.NaN);
        }
        catch (Exception e)
        {
            return new(v, row.Shape, double.NaN, flops, bytes, maxDiff, "failed: " + Cli.OneLine(e));
        }
    }

    // Median wall and CPU milliseconds of one launch over 5 batches.
    private static (double Wall, double Cpu) Time(ComputeDevice device, Action launch, double secondsPerBatch)
    {
        var sw = Stopwatch.StartNew();
        launch();
        device.Synchronize();
        double one = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
        int perBatch = (int)Math.Clamp(secondsPerBatch / one, 1, 100_000);
        var batches = new double[5];
        var cpu = new double[5];
        for (int b = 0; b < batches.Length; b++)
        {
            double cpu0 = HostPeaks.CpuSeconds();
            sw.Restart();
            for (int i = 0; i < perBatch; i++) launch();
            device.Synchronize();
            batches[b] = sw.Elapsed.TotalMilliseconds / perBatch;
            cpu[b] = (HostPeaks.CpuSeconds() - cpu0) * 1000 / perBatch;
        }
        Array.Sort(batches);
        Array.Sort(cpu);
        return (batches[batches.Length / 2], cpu[cpu.Length / 2]);
    }

    private static string Rate(double v) => v.ToString(v >= 100 ? "0" : v >= 1 ? "0.00" : "0.0000");

    /// <summary>The result table with napkin math; on CUDA, % of the named device's compute peak (FP32 CUDA cores, or the
    /// TF32 / BF16-FP16 tensor peak for reduced-precision versions, column "peak") and of its bandwidth; on the host
    /// backend, of this CPU's measured FMA peak and copy bandwidth.</summary>
    public static string Format(IReadOnlyList<BenchRow> rows, DevicePeak? peak)
    {
        // Host rows add the CPU time of the process per launch and two contention-proof efficiencies (other jobs on a
        // shared machine dilute wall-clock rates, not CPU-time ones): "%FMA/cpu-s", GFLOP per CPU-second against one
        // core's measured FMA rate, and "%BW/cpu-s", bytes per CPU-second against the copy's bytes per CPU-second.
        // "bound" is the roofline side of the row: mem when its FLOP per byte is below the ridge point (one core's FMA
        // rate / its copy rate, both per CPU-second), where %BW is the figure of merit, fma otherwise.
        bool host = rows.Any(r => !double.IsNaN(r.CpuMilliseconds)) && HostPeaks.PerCoreGflops > 0;
        var table = new TextTable(["op", "version", "kind", "shape", "ms", .. (host ? new[] { "cpu-ms" } : []), "GFLOP/s", "GB/s", "peak", "%peak", "%BW",
            .. (host ? new[] { "bound", "%FMA/cpu-s", "%BW/cpu-s" } : []), "max |diff|", "status"]);
        foreach (var r in rows)
        {
            bool ok = r.Refused is null;
            bool hostRow = ok && !double.IsNaN(r.CpuMilliseconds);
            string pct(double v, double peakValue) => ok && peak is not null ? (100 * v / peakValue).ToString("0.0") : "-";
            double ridge = HostPeaks.PerCoreCopyGBytes > 0 ? HostPeaks.PerCoreGflops / HostPeaks.PerCoreCopyGBytes : 0; // FLOP per byte
            string bound = !hostRow || peak is null ? "-" : r.Flops / Math.Max(r.Bytes, 1) < ridge ? "mem" : "fma";
            string perCoreFma = hostRow ? (100 * r.Flops / (r.CpuMilliseconds * 1e6) / HostPeaks.PerCoreGflops).ToString("0.0") : "-";
            string perCoreBw = hostRow && HostPeaks.PerCoreCopyGBytes > 0
                ? (100 * r.Bytes / (r.CpuMilliseconds * 1e6) / HostPeaks.PerCoreCopyGBytes).ToString("0.0") : "-";
            table.Add([r.Version.Op, r.Version.Name, r.Version.Kind.ToString(), r.Shape,
                ok ? r.Milliseconds.ToString(r.Milliseconds < 1 ? "0.0000" : "0.000") : "-",
                .. (host ? new[] { hostRow ? r.CpuMilliseconds.ToString(r.CpuMilliseconds < 1 ? "0.0000" : "0.000") : "-" } : []),
                ok ? Rate(r.GFlops) : "-", ok ? Rate(r.GBytes) : "-", r.Peak,
                peak is not null && peak.TeraFlops(r.Peak) > 0 ? pct(r.GFlops, peak.TeraFlops(r.Peak) * 1000) : "-",
                pct(r.GBytes, peak?.TeraBytesPerSecond * 1000 ?? 1),
                .. (host ? new[] { bound, perCoreFma, perCoreBw } : []),
                double.IsNaN(r.MaxDiff) ? "-" : r.MaxDiff.ToString("0.0E+0"),
                ok ? "ok" : "REFUSED: " + r.Refused]);
        }
        return table.ToString();
    }
}
