namespace NativeEngine.Kernels;

/// <summary>
/// Marks a static method in kernels/ as a GPU kernel. The source generator emits a typed launcher for it
/// (<c>Launch{MethodName}</c> in the same partial class) and a row in <c>KernelCatalog.All</c>.
/// </summary>
/// <remarks>
/// Two launch shapes:
/// <list type="bullet">
/// <item>Implicitly grouped (GroupX = 0, the default): the first parameter is Index1D/Index2D/Index3D and the
/// launcher takes that extent; ILGPU picks the group size. Used for the simple versions that also suit the CPU.</item>
/// <item>Explicitly grouped (GroupX &gt; 0): the launcher takes the problem extent (an Index1D/2D/3D named
/// <c>problem</c>) and launches ceil(problem / Tile) groups of GroupX×GroupY×GroupZ threads.</item>
/// </list>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class KernelAttribute(string op) : Attribute
{
    /// <summary>The op this kernel computes (a row of the op list, e.g. "softmax_rows").</summary>
    public string Op { get; } = op;

    /// <summary>Version label, e.g. "v1 naive", "v2 shared-memory tiles".</summary>
    public string Version { get; init; } = "v1";

    /// <summary>Threads per group along x; 0 means implicitly grouped.</summary>
    public int GroupX { get; init; }

    /// <summary>Threads per group along y.</summary>
    public int GroupY { get; init; } = 1;

    /// <summary>Threads per group along z.</summary>
    public int GroupZ { get; init; } = 1;

    /// <summary>Problem elements covered by one group along x (defaults to GroupX).</summary>
    public int TileX { get; init; }

    /// <summary>Problem elements covered by one group along y (defaults to GroupY).</summary>
    public int TileY { get; init; }

    /// <summary>Problem elements covered by one group along z (defaults to GroupZ).</summary>
    public int TileZ { get; init; }

    /// <summary>Rank of the launcher's <c>problem</c> extent for explicitly grouped kernels (0: inferred from the
    /// group and tile sizes, 3 when z is used, 2 when y is used, else 1).</summary>
    public int ProblemRank { get; init; }

    /// <summary>Bytes of dynamic shared memory (<c>SharedMemory.GetDynamic</c>) the launcher requests on the CPU
    /// simulator only, 0 on CUDA: scratch for a kernel's simulator emulation (e.g. of mma.sync) that must not cost the
    /// GPU version any shared memory. Explicitly grouped kernels only.</summary>
    public int SimulatorSharedBytes { get; init; }
}
