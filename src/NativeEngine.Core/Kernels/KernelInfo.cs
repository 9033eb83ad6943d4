using System.Reflection;

namespace NativeEngine.Kernels;

/// <summary>One row of the generated kernel catalogue: what the PTX check, selftest and benchmarks enumerate.</summary>
/// <param name="Name">Class.Method, unique.</param>
/// <param name="Op">The op it computes.</param>
/// <param name="Version">Its version label.</param>
/// <param name="Method">The kernel method, for offline compilation.</param>
/// <param name="IsExplicitlyGrouped">True for GroupX &gt; 0 kernels (Grid/Group indices, shared memory, barriers).</param>
/// <param name="GroupSize">Threads per group (x, y, z); (0,1,1) when implicitly grouped.</param>
/// <param name="Tile">Problem elements one group covers (x, y, z) for explicitly grouped kernels; (0,1,1) otherwise.</param>
/// <param name="Rank">Rank of the launcher's extent (implicit: the Index1D/2D/3D parameter) or problem (explicit).</param>
public sealed record KernelInfo(
    string Name,
    string Op,
    string Version,
    MethodInfo Method,
    bool IsExplicitlyGrouped,
    (int X, int Y, int Z) GroupSize,
    (int X, int Y, int Z) Tile = default,
    int Rank = 0)
{
    /// <summary>"implicit 2D" or "16x16x1 threads, tile 64x64x1, 2D": how the launcher shapes the grid.</summary>
    public string LaunchShape => IsExplicitlyGrouped
        ? $"{GroupSize.X}x{GroupSize.Y}x{GroupSize.Z} threads, tile {Tile.X}x{Tile.Y}x{Tile.Z}, {Rank}D"
        : $"implicit {Rank}D";
}
