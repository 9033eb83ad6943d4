using NativeEngine.Runtime;

namespace NativeEngine.Tensors;

/// <summary>
/// Named device buffers that are kept and reused: the pre-planned scratch of kernels (a temporary mask, class
/// probabilities) and of pipelines (per-window statistics). The first request for a name rents a buffer from the
/// device's pool; later requests that fit get a view of the same storage, and a larger one regrows it (the old buffer
/// goes back to the pool). So after one call at the largest shape a purpose rents nothing again: what the allocation
/// counters of <see cref="ComputeDevice.Counters"/> check.
/// A view is valid until the next <see cref="Get"/> of the same name or Dispose: ops on one device run one at a time
/// (one stream), so one name per purpose is enough; an op that calls another must use a different name.
/// </summary>
public sealed class Workspace(ComputeDevice device) : IDisposable
{
    private readonly Dictionary<string, Tensor> kept = [];

    /// <summary>Bytes held by this workspace.</summary>
    public long Bytes
    {
        get
        {
            lock (kept) return kept.Values.Sum(t => t.Length);
        }
    }

    /// <summary>A (<paramref name="shape"/>, <paramref name="dtype"/>) view of the buffer kept for <paramref name="name"/>; contents are whatever the last user left.</summary>
    public Tensor Get(string name, Shape shape, DType dtype = DType.Float32)
    {
        long bytes = Math.Max(1, shape.Elements * dtype.SizeOf());
        lock (kept)
        {
            if (!kept.TryGetValue(name, out var buffer) || buffer.Length < bytes)
            {
                buffer?.Dispose();
                kept.Remove(name);
                // Rows of 4 KiB, so a buffer may pass 2³¹ bytes (a Shape dimension is an int).
                kept[name] = buffer = Tensor.Empty(device, new Shape(checked((int)((bytes + 4095) / 4096)), 4096), DType.UInt8);
            }
            return buffer.Reinterpret(shape, dtype);
        }
    }

    /// <summary>Returns every kept buffer to the pool.</summary>
    public void Dispose()
    {
        lock (kept)
        {
            foreach (var t in kept.Values) t.Dispose();
            kept.Clear();
        }
    }
}
