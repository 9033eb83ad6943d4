using System.Diagnostics;
using NativeEngine.Runtime;

namespace NativeEngine.Models.Eomt;

/// <summary>
/// Time per kernel family for one profiled forward: the model calls <see cref="Mark"/> after each op group, which
/// waits for the device and charges the elapsed time to that family. Synchronising after every op costs launch
/// overlap, so use it for shares, and an unprofiled run for the total. Beside the wall clock it charges the process's
/// CPU time: on a machine shared with other jobs that is the steadier measure of the work a host family does.
/// </summary>
public sealed class OpProfiler(ComputeDevice device)
{
    private readonly Stopwatch clock = new();
    private TimeSpan cpu;

    /// <summary>Milliseconds per family, accumulated.</summary>
    public Dictionary<string, double> Milliseconds { get; } = [];

    /// <summary>Process CPU milliseconds per family (all threads, spin-waiting included), accumulated.</summary>
    public Dictionary<string, double> CpuMilliseconds { get; } = [];

    /// <summary>Waits for pending work and starts the clock.</summary>
    public void Start()
    {
        device.Synchronize();
        cpu = Environment.CpuUsage.TotalTime;
        clock.Restart();
    }

    /// <summary>Waits for the device and charges the time since the last mark to <paramref name="family"/>.</summary>
    public void Mark(string family)
    {
        device.Synchronize();
        Milliseconds[family] = Milliseconds.GetValueOrDefault(family) + clock.Elapsed.TotalMilliseconds;
        var now = Environment.CpuUsage.TotalTime;
        CpuMilliseconds[family] = CpuMilliseconds.GetValueOrDefault(family) + (now - cpu).TotalMilliseconds;
        cpu = now;
        clock.Restart();
    }
}
