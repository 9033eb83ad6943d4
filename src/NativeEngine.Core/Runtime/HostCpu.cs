using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeEngine.Runtime;

/// <summary>
/// What the host backend runs on: cores and the widest vector the JIT accelerates (Vector512 on AVX-512 machines,
/// Vector256 on AVX2, Vector128 otherwise), and the one way host versions spread work over the cores.
/// </summary>
public static class HostCpu
{
    /// <summary>Logical cores the host backend uses.</summary>
    public static int Cores { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Float lanes of the widest hardware-accelerated vector: 16, 8 or 4.</summary>
    public static int FloatLanes { get; } =
        Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    /// <summary>True when fused multiply-add is a hardware instruction (x86 FMA3 or Arm64 AdvSimd).</summary>
    public static bool HasFma { get; } = Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    /// <summary>"2 cores, AVX-512 (16 float lanes), FMA".</summary>
    public static string Description =>
        $"{Cores} core{(Cores == 1 ? "" : "s")}, {(FloatLanes == 16 ? "AVX-512" : FloatLanes == 8 ? "AVX2" : "128-bit SIMD")} ({FloatLanes} float lanes){(HasFma ? ", FMA" : "")}";

    private static readonly ParallelOptions Options = new() { MaxDegreeOfParallelism = Cores };

    // Parallel.For rather than a private worker pool, measured (2-core Zen 5, 2026-11-30): an EoMT-S-640 forward makes
    // 174 calls, and a call with trivial items costs 11–14 µs of CPU (machine under load), so ≈ 2.5 ms of a ~1.7 CPU-s
    // forward (0.15 %): a spin-then-block pool could save at most that. Re-measure if a forward grows to thousands of calls.
    /// <summary>
    /// Runs body(0 … count−1) over all cores (work items are claimed dynamically, so uneven items balance). One item
    /// or one core runs inline on the caller's thread. Split work into items of at least tens of microseconds.
    /// </summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || Cores == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, Options, body);
    }
}
