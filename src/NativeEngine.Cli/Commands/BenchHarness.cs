using System.Diagnostics;
using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Cli.Commands;

/// <summary>One timed (op, version, size) row.</summary>
/// <param name="Op">Catalogue op.</param>
/// <param name="Kernels">The catalogue kernels the choice runs (e.g. "Softmax.RowsV2").</param>
/// <param name="Choice">Simple, Tiled, or Auto for ops with a single version.</param>
/// <param name="Shape">Shape label.</param>
/// <param name="Milliseconds">Median time of one launch (NaN when refused).</param>
/// <param name="Flops">FLOPs of one launch.</param>
/// <param name="Bytes">Minimum bytes of one launch.</param>
/// <param name="MaxDiff">Max |diff| against the reference.</param>
/// <param name="Refused">Why it was not timed (disagrees with the reference, or threw), or null.</param>
/// <param name="Peak">The compute peak the row is measured against: fp32, tf32 or half.</param>
/// <param name="CpuMilliseconds">Process CPU time per launch (all threads), host backend only; NaN elsewhere.</param>
public sealed record BenchRow(string Op, string Kernels, KernelChoice Choice, string Shape, double Milliseconds,
    double Flops, double Bytes, double MaxDiff, string? Refused, string Peak = "fp32", double CpuMilliseconds = double.NaN)
{
    /// <summary>GFLOP/s.</summary>
    public double GFlops => Flops / (Milliseconds * 1e6);

    /// <summary>GB/s (10⁹ bytes).</summary>
    public double GBytes => Bytes / (Milliseconds * 1e6);
}

/// <summary>
/// Validate, then time (llm.c's discipline): the first launch (which includes ILGPU's compilation) is not timed; the
/// second is checked against the reference and a disagreeing version is refused; then batches of launches are timed
/// with a device synchronise at each end, and the median batch gives the time of one launch.
/// </summary>
public static class BenchHarness
{
    /// <summary>Measures one case with one choice.</summary>
    public static BenchRow Measure(ComputeDevice device, BenchWorkload w, BenchCase c, KernelChoice choice, string kernels, double secondsPerBatch)
    {
        double maxDiff = double.NaN;
        try
        {
            c.Launch(choice); // compiles on first use: excluded
            device.Synchronize();
            c.Launch(choice);
            device.Synchronize();
            var (diff, error) = c.Validate();
            maxDiff = diff;
            if (error is not null)
                return new(w.Op, kernels, choice, c.Shape, double.NaN, c.Flops, c.Bytes, maxDiff, "disagrees with the reference: " + error);

            var sw = Stopwatch.StartNew();
            c.Launch(choice);
            device.Synchronize();
            double one = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
            int perBatch = (int)Math.Clamp(secondsPerBatch / one, 1, 100_000);
            var batches = new double[5];
            var cpu = new double[5];
            for (int b = 0; b < batches.Length; b++)
            {
                double cpu0 = HostPeaks.CpuSeconds();
                sw.Restart();
                for (int i = 0; i < perBatch; i++) c.Launch(choice);
                device.Synchronize();
                batches[b] = sw.Elapsed.TotalMilliseconds / perBatch;
                cpu[b] = (HostPeaks.CpuSeconds() - cpu0) * 1000 / perBatch;
            }
            Array.Sort(batches);
            Array.Sort(cpu);
            return new(w.Op, kernels, choice, c.Shape, batches[batches.Length / 2], c.Flops, c.Bytes, maxDiff, null, c.Peak,
                device.IsHost ? cpu[cpu.Length / 2] : double.NaN);
        }
        catch (Exception e)
        {
            return new(w.Op, kernels, choice, c.Shape, double.NaN, c.Flops, c.Bytes, maxDiff, "failed: " + Cli.OneLine(e), c.Peak);
        }
    }

    /// <summary>The versions to time for an op: on the host backend its host version (the simulator kernel where the
    /// op has none yet); elsewhere Simple and Tiled when it has both kinds of kernel, else Auto only.</summary>
    public static IEnumerable<(KernelChoice Choice, string Kernels)> Choices(ComputeDevice device, BenchWorkload w, IReadOnlyList<KernelInfo> kernels)
    {
        if (device.IsHost)
        {
            yield return (KernelChoice.Host, "host");
            yield break;
        }
        var simple = kernels.Where(k => !k.IsExplicitlyGrouped).Select(k => k.Name).ToList();
        var tiled = kernels.Where(k => k.IsExplicitlyGrouped).Select(k => k.Name).ToList();
        if (w.HasChoice && simple.Count > 0 && tiled.Count > 0)
        {
            yield return (KernelChoice.Simple, string.Join("+", simple));
            yield return (KernelChoice.Tiled, string.Join("+", tiled));
        }
        else
        {
            yield return (KernelChoice.Auto, string.Join("+", kernels.Select(k => k.Name)));
        }
    }

    private static string Rate(double v) => v.ToString(v >= 100 ? "0" : v >= 1 ? "0.00" : "0.0000");

    /// <summary>The result table with napkin math; on CUDA, % of the named device's compute peak (FP32 CUDA cores, or the
    /// TF32 / BF16-FP16 tensor peak for tensor-core rows, column "peak") and of its bandwidth; on the host backend, of the
    /// measured FMA peak and copy bandwidth.</summary>
    public static string Format(IReadOnlyList<BenchRow> rows, DevicePeak? peak)
    {
        // Host rows add "%FMA/cpu-s": GFLOP per CPU-second of the process against one core's measured FMA rate, the
        // efficiency that other jobs on a shared machine cannot dilute (wall-clock % drops with every competitor).
        bool host = rows.Any(r => !double.IsNaN(r.CpuMilliseconds)) && HostPeaks.PerCoreGflops > 0;
        var table = new TextTable(["op", "kernel", "choice", "shape", "ms", "GFLOP/s", "GB/s", "peak", "%peak", "%BW", .. (host ? new[] { "%FMA/cpu-s" } : []), "max |diff|", "status"]);
        foreach (var r in rows)
        {
            bool ok = r.Refused is null;
            string pct(double v, double peakValue) => ok && peak is not null ? (100 * v / peakValue).ToString("0.0") : "-";
            string perCore = ok && !double.IsNaN(r.CpuMilliseconds) ? (100 * r.Flops / (r.CpuMilliseconds * 1e6) / HostPeaks.PerCoreGflops).ToString("0.0") : "-";
            table.Add([r.Op, r.Kernels, r.Choice.ToString(), r.Shape,
                ok ? r.Milliseconds.ToString(r.Milliseconds < 1 ? "0.0000" : "0.000") : "-",
                ok ? Rate(r.GFlops) : "-", ok ? Rate(r.GBytes) : "-", r.Peak,
                peak is not null && peak.TeraFlops(r.Peak) > 0 ? pct(r.GFlops, peak.TeraFlops(r.Peak) * 1000) : "-",
                pct(r.GBytes, peak?.TeraBytesPerSecond * 1000 ?? 1),
                .. (host ? new[] { perCore } : []),
                double.IsNaN(r.MaxDiff) ? "-" : r.MaxDiff.ToString("0.0E+0"),
                ok ? "ok" : "REFUSED: " + r.Refused]);
        }
        return table.ToString();
    }
}
