namespace NativeEngine.Generators.Tests;

/// <summary>Kernel sources the generator tests compile: every launch shape the generator knows.</summary>
internal static class SampleKernels
{
    public const string ScalePath = "kernels/Sample/Scale.cs";

    // Implicitly grouped 1D and 2D kernels, scalar parameters, an op/version needing escapes.
    public const string Scale = """
        // Sample: y = alpha * x.
        using ILGPU;
        using ILGPU.Runtime;

        namespace Sample.Kernels;

        public static partial class Scale
        {
            [NativeEngine.Kernels.Kernel("scale", Version = "v1 \"naive\" <one thread per element>")]
            internal static void ScaleV1(Index1D i, ArrayView<float> x, ArrayView<float> y, float alpha) => y[i] = alpha * x[i];

            [NativeEngine.Kernels.Kernel("scale_rows")]
            private static void RowsV1(Index2D i, ArrayView<float> x, ArrayView<float> y, int cols) => y[i.Y * cols + i.X] = 2 * x[i.Y * cols + i.X];
        }
        """;

    public const string TiledPath = "kernels/Sample/Tiled.cs";

    // Explicitly grouped kernels: 2D tiles, an inferred 1D problem, a 3D problem.
    public const string Tiled = """
        using ILGPU;
        using ILGPU.Runtime;
        using NativeEngine.Kernels;

        namespace Sample.Kernels.Tiles;

        static partial class Tiled
        {
            [Kernel("copy_tiles", Version = "v2 smem tiles", GroupX = 16, GroupY = 16, TileX = 64, TileY = 64)]
            internal static void CopyV2(ArrayView<float> x, ArrayView<float> y, int rows, int cols)
            {
                var tile = SharedMemory.Allocate<float>(256);
                tile[Group.IdxY * 16 + Group.IdxX] = x[Grid.GlobalIndex.X];
                Group.Barrier();
                y[Grid.GlobalIndex.X] = tile[Group.IdxX];
            }

            [Kernel("sum_rows", Version = "v2 warp", GroupX = 256)]
            internal static void SumV2(ArrayView<float> x, ArrayView<float> y) => y[Grid.IdxX] = Warp.Shuffle(x[Grid.GlobalIndex.X], 0);

            [Kernel("volume", Version = "v2", GroupX = 8, GroupY = 8, GroupZ = 4, ProblemRank = 3)]
            internal static void VolumeV2(ArrayView<float> x) => x[Grid.GlobalIndex.X] = 0;
        }
        """;

    /// <summary>A class with no kernels, to show it gets no launcher file.</summary>
    public const string PlainPath = "src/Plain.cs";

    public const string Plain = """
        namespace Sample.Kernels;

        public static class Plain
        {
            public static int Twice(int x) => 2 * x;
        }
        """;
}
