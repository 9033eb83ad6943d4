using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Runtime;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// This CPU's own peaks, measured (a CPU's published numbers depend on clocks, SMT and the hypervisor): the FMA peak
/// from a register-only loop on every core, and the copy bandwidth from large buffers copied by every core. The host
/// backend's "% of peak" columns divide by these.
/// </summary>
public static class HostPeaks
{
    private static DevicePeak? measured;

    /// <summary>Measures once per process (about a second) and returns GFLOP/s and GB/s as a <see cref="DevicePeak"/>.</summary>
    public static DevicePeak Measure()
    {
        if (measured is not null) return measured;
        double gflops = FmaGflops(), gbs = CopyGBytes();
        return measured = new DevicePeak($"measured on this CPU ({HostCpu.Description}): FMA loop on {HostCpu.Cores} cores, copy of 2×64 MB",
            gflops / 1000, gbs / 1000);
    }

    /// <summary>
    /// FMA GFLOP per second of CPU time (one core's peak, from the same loop timed by the process's CPU time): on a
    /// machine shared with other jobs the wall-clock peak drops with every competitor, this one does not, so
    /// "GFLOP per CPU-second / this" is a host version's efficiency whatever else runs. 0 until measured.
    /// </summary>
    public static double PerCoreGflops { get; private set; }

    /// <summary>
    /// Copy GB (read + write) per second of CPU time (all cores' copy threads): one core's share of the copy
    /// bandwidth, timed by the process's CPU time like <see cref="PerCoreGflops"/>, so a CPU time share lost to other
    /// jobs does not lower it (their memory traffic still can). 0 until measured.
    /// </summary>
    public static double PerCoreCopyGBytes { get; private set; }

    /// <summary>One line for a result file.</summary>
    public static string Line(DevicePeak p) =>
        $"peak: {p.Name}: {p.Fp32TeraFlops * 1000:F1} GFLOP/s FP32 FMA, {p.TeraBytesPerSecond * 1000:F1} GB/s copy (read + write); " +
        $"{PerCoreGflops:F1} GFLOP and {PerCoreCopyGBytes:F1} GB copied per CPU-second (one core, contention-proof)";

    /// <summary>CPU seconds this process has used (all threads).</summary>
    public static double CpuSeconds() => Environment.CpuUsage.TotalTime.TotalSeconds;

    // 12 independent accumulator chains per core: with a 4-cycle FMA latency and two FMA pipes, 8 chains already cover
    // it; 12 leave room for a wider core. Multiplier and addend keep values finite and normal forever.
    private const int Chains = 12;

    private static double FmaGflops()
    {
        long iterations = 2_000_000;
        double best = 0, bestPerCore = 0;
        for (int round = 0; round < 4; round++)
        {
            double cpu = CpuSeconds();
            var sw = Stopwatch.StartNew();
            HostCpu.For(HostCpu.Cores, _ => Sink(FmaLoop(iterations)));
            double s = sw.Elapsed.TotalSeconds;
            cpu = CpuSeconds() - cpu;
            double flops = (double)HostCpu.Cores * iterations * Chains * HostCpu.FloatLanes * 2;
            best = Math.Max(best, flops / s / 1e9);
            bestPerCore = Math.Max(bestPerCore, flops / cpu / 1e9);
            if (s < 0.1) iterations *= 2; // grow until a round lasts long enough to time
        }
        PerCoreGflops = bestPerCore;
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float v)
    {
        if (v == 12345.678f) Console.Write("");
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaLoop(long n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
            Vector512<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (long i = 0; i < n; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(0.999999f);
            var a = Vector256.Create(1e-7f);
            Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
            Vector256<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (long i = 0; i < n; i++)
            {
                c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
                c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
                c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
                c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
                c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
                c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
            }
            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
        var s = new Vector128<float>[Chains];
        for (int j = 0; j < Chains; j++) s[j] = Vector128.Create(1f);
        for (long i = 0; i < n; i++)
            for (int j = 0; j < Chains; j++) s[j] = Vector128.FusedMultiplyAdd(s[j], Vector128.Create(0.999999f), Vector128.Create(1e-7f));
        return s.Sum(v => Vector128.Sum(v));
    }

    // 64 MB source and destination (twice the 32 MB L3), one slice per core; bytes counted = read + written.
    private static double CopyGBytes()
    {
        const int floats = 16 << 20;
        var src = GC.AllocateUninitializedArray<float>(floats);
        var dst = GC.AllocateUninitializedArray<float>(floats);
        src.AsSpan().Fill(1f);
        dst.AsSpan().Clear();
        int cores = HostCpu.Cores, slice = floats / cores;
        void Copy() => HostCpu.For(cores, t => src.AsSpan(t * slice, slice).CopyTo(dst.AsSpan(t * slice, slice)));
        Copy();
        double best = 0, bestPerCore = 0, bytes = 2.0 * cores * slice * sizeof(float);
        for (int round = 0; round < 5; round++)
        {
            double cpu = CpuSeconds();
            var sw = Stopwatch.StartNew();
            Copy();
            best = Math.Max(best, bytes / sw.Elapsed.TotalSeconds / 1e9);
            bestPerCore = Math.Max(bestPerCore, bytes / Math.Max(CpuSeconds() - cpu, 1e-6) / 1e9);
        }
        PerCoreCopyGBytes = bestPerCore;
        return best;
    }
}
