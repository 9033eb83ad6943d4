using System.Reflection;

namespace NativeEngine.Kernels;

/// <summary>One row of the generated kernel catalogue: what the PTX check, selftest and benchmarks enumerate.</summary>
/// <param name="Name">Class.Method, unique.</param>
/// <param name="Op">The op it computes.</param>
/// <param name="Version">Its version label.</param>
/// <param name="Method">The kernel method, for offline compilation.</param>
/// <param name="IsExplicitlyGrouped">True for GroupX &gt; 0 kernels (Grid/Group indices, shared memory, barriers).</param>
/// <param name="GroupSize">Threads per group (x, y, z); (0,1,1) when implicitly grouped.</param>
public sealed record KernelInfo(
    string Name,
    string Op,
    string Version,
    MethodInfo Method,
    bool IsExplicitlyGrouped,
    (int X, int Y, int Z) GroupSize);
