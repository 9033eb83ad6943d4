using System.Collections.Concurrent;
using ILGPU.Runtime;

namespace NativeEngine.Runtime;

/// <summary>
/// Loaded kernel launchers for one accelerator, keyed by the kernel's name. Generated launchers call
/// <see cref="GetOrLoad{T}"/>, so a kernel is compiled once per accelerator and never inside a hot loop.
/// </summary>
public sealed class KernelCache(Accelerator accelerator) : IDisposable
{
    private readonly ConcurrentDictionary<string, Delegate> loaded = new();

    /// <summary>Number of kernels compiled so far on this accelerator.</summary>
    public int Count => loaded.Count;

    /// <summary>Returns the launcher for <paramref name="key"/>, compiling it with <paramref name="load"/> on first use.</summary>
    public T GetOrLoad<T>(string key, Func<Accelerator, T> load) where T : Delegate =>
        (T)loaded.GetOrAdd(key, _ => load(accelerator));

    /// <inheritdoc/>
    public void Dispose() => loaded.Clear();
}
