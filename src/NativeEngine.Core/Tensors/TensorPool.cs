using ILGPU;
using ILGPU.Runtime;

namespace NativeEngine.Tensors;

/// <summary>
/// Caching allocator: freed device buffers are kept in size classes and handed out again, so a steady-state forward
/// pass does no device allocation per op (cudaMalloc costs ~100 µs and synchronises).
/// </summary>
public sealed class TensorPool(Accelerator accelerator) : IDisposable
{
    private readonly Dictionary<long, Stack<MemoryBuffer1D<byte, Stride1D.Dense>>> free = new();
    private readonly object gate = new();

    /// <summary>Device allocations made so far (a benchmark checks this stays flat in steady state).</summary>
    public long Allocations { get; private set; }

    /// <summary>Bytes of the device allocations made so far (size classes).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Buffers handed out so far, from the cache or newly allocated: one per tensor storage.</summary>
    public long Rents { get; private set; }

    /// <summary>Bytes of the buffers handed out so far (size classes).</summary>
    public long RentedBytes { get; private set; }

    /// <summary>Bytes currently held by the pool or by live tensors.</summary>
    public long BytesReserved { get; private set; }

    /// <summary>Rounds a request up to its size class: powers of two split into four steps (≤ 25 % waste).</summary>
    public static long SizeClass(long bytes)
    {
        if (bytes <= 256) return 256;
        long p = 1L << (int)(63 - long.LeadingZeroCount(bytes - 1)); // largest power of two below bytes
        long step = p / 4;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>Rents a buffer of at least <paramref name="bytes"/> bytes.</summary>
    public MemoryBuffer1D<byte, Stride1D.Dense> Rent(long bytes)
    {
        long size = SizeClass(bytes);
        lock (gate)
        {
            Rents++;
            RentedBytes += size;
            if (free.TryGetValue(size, out var stack) && stack.Count > 0)
                return stack.Pop();
            Allocations++;
            AllocatedBytes += size;
            BytesReserved += size;
        }
        try
        {
            return accelerator.Allocate1D<byte>(size);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            lock (gate) BytesReserved -= size;
            throw new OutOfMemoryException(
                $"device out of memory allocating {size / (1 << 20)} MiB on {accelerator.Name}: use a smaller --batch or crop size, or --device cpu", e);
        }
    }

    /// <summary>Returns a buffer for reuse.</summary>
    public void Return(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        lock (gate)
        {
            if (!free.TryGetValue(buffer.Length, out var stack))
                free[buffer.Length] = stack = new();
            stack.Push(buffer);
        }
    }

    /// <summary>Frees every cached buffer (live tensors keep theirs).</summary>
    public void Trim()
    {
        lock (gate)
        {
            foreach (var stack in free.Values)
                while (stack.Count > 0)
                {
                    var b = stack.Pop();
                    BytesReserved -= b.Length;
                    b.Dispose();
                }
            free.Clear();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Trim();
}
