using System.Diagnostics;
using NativeEngine.Runtime;

namespace NativeEngine.Models.Eomt;

/// <summary>
/// Time per kernel family for one profiled forward: the model calls <see cref="Mark"/> after each op group, which
/// waits for the device and charges the elapsed time to that family. Synchronising after every op costs launch
/// overlap, so use it for shares, and an unprofiled run for the total.
/// </summary>
public sealed class OpProfiler(ComputeDevice device)
{
    private readonly Stopwatch clock = new();

    /// <summary>Milliseconds per family, accumulated.</summary>
    public Dictionary<string, double> Milliseconds { get; } = [];

    /// <summary>Waits for pending work and starts the clock.</summary>
    public void Start()
    {
        device.Synchronize();
        clock.Restart();
    }

    /// <summary>Waits for the device and charges the time since the last mark to <paramref name="family"/>.</summary>
    public void Mark(string family)
    {
        device.Synchronize();
        Milliseconds[family] = Milliseconds.GetValueOrDefault(family) + clock.Elapsed.TotalMilliseconds;
        clock.Restart();
    }
}
