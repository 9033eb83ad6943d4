namespace NativeEngine.Runtime;

/// <summary>
/// What a device has done so far that a steady-state forward must not do: allocate device memory, hand out tensor
/// storage, or make the host wait for the device. Cumulative since the device was created; read a snapshot with
/// <see cref="ComputeDevice.Counters"/> and subtract two snapshots for an interval (`after - before`). Counting is an
/// interlocked add per event (always on: the events it counts cost microseconds or more).
/// </summary>
/// <param name="Allocations">Device buffers allocated (the pool missed: cudaMalloc on CUDA, ~100 µs and a sync).</param>
/// <param name="AllocatedBytes">Bytes of those buffers (rounded to the pool's size classes).</param>
/// <param name="TensorAllocations">Tensor storages handed out by the pool (Tensor.Empty/Zeros/FromSpan), hits and misses.</param>
/// <param name="TensorBytes">Bytes of those storages (size classes).</param>
/// <param name="Synchronizations">Explicit waits for the device (<see cref="ComputeDevice.Synchronize"/>).</param>
/// <param name="Downloads">Device-to-host copies (Tensor.ToHost): each waits for every pending kernel.</param>
/// <param name="Uploads">Host-to-device copies (Tensor.FromSpan/FromHost): blocking copies from pageable host memory.</param>
public readonly record struct DeviceCounters(long Allocations, long AllocatedBytes, long TensorAllocations, long TensorBytes,
    long Synchronizations, long Downloads, long Uploads)
{
    /// <summary>Every point where the host waits for the device: synchronisations and blocking copies either way.</summary>
    public long HostSyncs => Synchronizations + Downloads + Uploads;

    /// <summary>The events between two snapshots.</summary>
    public static DeviceCounters operator -(DeviceCounters after, DeviceCounters before) => new(
        after.Allocations - before.Allocations, after.AllocatedBytes - before.AllocatedBytes,
        after.TensorAllocations - before.TensorAllocations, after.TensorBytes - before.TensorBytes,
        after.Synchronizations - before.Synchronizations, after.Downloads - before.Downloads, after.Uploads - before.Uploads);

    /// <summary>"0 device allocations (0 B), 0 tensor allocations (0 B), 1 host sync (0 synchronize, 1 download, 0 upload)".</summary>
    public override string ToString() =>
        $"{Allocations} device allocations ({AllocatedBytes} B), {TensorAllocations} tensor allocations ({TensorBytes} B), " +
        $"{HostSyncs} host syncs ({Synchronizations} synchronize, {Downloads} downloads, {Uploads} uploads)";
}
