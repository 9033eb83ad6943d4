namespace NativeEngine.Cli.Ptx;

/// <summary>
/// Theoretical occupancy of one kernel on one architecture, as NVIDIA's occupancy calculator computes it: resident
/// groups per SM are the least of the thread, group-slot, register and shared-memory limits.
/// </summary>
/// <param name="GroupsPerSm">Resident groups per SM.</param>
/// <param name="WarpsPerSm">Resident warps per SM (groups × warps per group).</param>
/// <param name="MaxWarpsPerSm">The architecture's warp slots per SM.</param>
/// <param name="Limit">What bounds it: "threads", "groups", "registers" or "smem".</param>
public sealed record Occupancy(int GroupsPerSm, int WarpsPerSm, int MaxWarpsPerSm, string Limit)
{
    /// <summary>Resident warps over warp slots.</summary>
    public double Fraction => (double)WarpsPerSm / MaxWarpsPerSm;

    /// <inheritdoc/>
    public override string ToString() => $"{GroupsPerSm} grp/SM, {Fraction:P0} ({Limit})";

    /// <summary>
    /// Per-SM limits (CUDA C Programming Guide, "Compute capabilities" table): 64 K 32-bit registers allocated per warp in
    /// units of 256; 2048 threads (64 warps) on 8.0 and 9.0, 1536 (48) on 8.6/8.9; 32 groups (24 on 8.9, 16 on 8.6);
    /// shared memory per SM 164 KB (8.0), 100 KB (8.6/8.9), 228 KB (9.0), with 1 KB reserved per group by the system
    /// and 128-byte allocation units.
    /// </summary>
    public static Occupancy Compute(int major, int minor, int threadsPerGroup, int registersPerThread, int sharedBytesPerGroup)
    {
        int cc = major * 10 + minor;
        int maxWarps = cc is 86 or 87 or 89 ? 48 : 64;
        int maxGroups = cc switch { 86 => 16, 89 => 24, _ => 32 };
        int smemPerSm = cc switch { 80 or 87 => 164 * 1024, 86 or 89 => 100 * 1024, >= 90 => 228 * 1024, _ => 64 * 1024 };
        int warpsPerGroup = (threadsPerGroup + 31) / 32;
        int byThreads = maxWarps / warpsPerGroup;
        int regsPerWarp = (Math.Max(registersPerThread, 1) * 32 + 255) / 256 * 256;
        int byRegisters = 65536 / regsPerWarp / warpsPerGroup;
        int smem = (sharedBytesPerGroup + 127) / 128 * 128 + 1024;
        int bySmem = smemPerSm / smem;
        var (groups, limit) = new[] { (byThreads, "threads"), (maxGroups, "groups"), (byRegisters, "registers"), (bySmem, "smem") }
            .MinBy(x => x.Item1);
        return new Occupancy(groups, groups * warpsPerGroup, maxWarps, limit);
    }
}
