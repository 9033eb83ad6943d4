// ConvTranspose2d(Cin, Cout, kernel 2, stride 2, padding 0) with bias (eomt.md §3.6, the upscale block's conv1):
//   y[b, o, 2·y0 + i, 2·x0 + j] = bias[o] + Σ_c weight[c, o, i, j] · x[b, c, y0, x0]      weight (Cin, Cout, 2, 2).
// No output position receives two contributions, so it is one GEMM per batch item:
//   Y'[m, p] = Σ_c A[m, c] · X[c, p],  m = o·4 + i·2 + j (4·Cout rows), p = y0·W + x0 (H·W columns),
//   with A[m, c] = weight[c·4·Cout + m] (the PyTorch weight read k-major, no transpose needed), then scattered.
// PyTorch: F.conv_transpose2d(x, weight, bias, stride=2).
// Versions
//   v1 one thread per output element, Cin-long dot product (the CPU path).
//   v2 the RegisterTile GEMM (64 × 64 tiles, 16 × 16 threads, 4 × 4 per thread) with a bias + pixel-shuffle epilogue.
// Napkin math, L-1024 (C = 1024, G = 64): block 1 is 4·1024 × 4096 × 1024 → 34.4 GFLOP; block 2 (128² input) 137 GFLOP.
// Bytes: block 2 reads 67 MB, writes 268 MB → compute bound (137 GFLOP ≈ 2 ms at FP32 67 TFLOP/s, ~0.2 ms on tensor cores).
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>2 × 2, stride-2 transposed convolution (the EoMT upscale step) as a GEMM.</summary>
public static partial class ConvTranspose2x2
{
    [Kernel("conv_transpose2x2", Version = "v1 one thread per output element")]
    internal static void ForwardV1(Index1D i, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
        int cin, int cout, int height, int width)
    {
        int ox = i % (2 * width), oy = (i / (2 * width)) % (2 * height);
        int o = (i / (4 * width * height)) % cout, b = i / (4 * width * height * cout);
        int tap = (oy & 1) * 2 + (ox & 1), pixel = (oy >> 1) * width + (ox >> 1), plane = height * width;
        float acc = bias[o];
        for (int c = 0; c < cin; c++)
            acc += weight[(c * cout + o) * 4 + tap] * x[(b * cin + c) * plane + pixel];
        y[i] = acc;
    }

    [Kernel("conv_transpose2x2", Version = "v2 shared-memory tile GEMM 64x64, 4x4 per thread, pixel-shuffle epilogue",
        GroupX = 16, GroupY = 16, TileX = RegisterTile.Tile, TileY = RegisterTile.Tile, TileZ = 1)]
    internal static void ForwardV2(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
        int cin, int cout, int height, int width)
    {
        var tileA = SharedMemory.Allocate<float>(RegisterTile.ASize);
        var tileB = SharedMemory.Allocate<float>(RegisterTile.BSize);
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * 16 + tx;
        int n0 = Grid.IdxX * RegisterTile.Tile, m0 = Grid.IdxY * RegisterTile.Tile, b = Grid.IdxZ;
        int rows = 4 * cout, plane = height * width;
        var acc = default(Tile4x4);
        for (int k0 = 0; k0 < cin; k0 += RegisterTile.Depth)
        {
            RegisterTile.LoadAKMajor(tileA, weight, 0, rows, rows, cin, m0, k0, tid);
            RegisterTile.LoadB(tileB, x, b * cin * plane, plane, cin, k0, n0, tid, 0);
            Group.Barrier();
            RegisterTile.Accumulate(ref acc, tileA, tileB, tx, ty);
            Group.Barrier();
        }
        int m = m0 + ty, n = n0 + tx, yBase = b * cout * 4 * plane;
        Store4(y, bias, yBase, rows, plane, width, m, n, acc.C00, acc.C01, acc.C02, acc.C03);
        Store4(y, bias, yBase, rows, plane, width, m + 16, n, acc.C10, acc.C11, acc.C12, acc.C13);
        Store4(y, bias, yBase, rows, plane, width, m + 32, n, acc.C20, acc.C21, acc.C22, acc.C23);
        Store4(y, bias, yBase, rows, plane, width, m + 48, n, acc.C30, acc.C31, acc.C32, acc.C33);
    }

    // Row m = o·4 + i·2 + j of Y', columns n, n+16, n+32, n+48 (pixels p) → y[b, o, 2·y0 + i, 2·x0 + j].
    private static void Store4(ArrayView<float> y, ArrayView<float> bias, int yBase, int rows, int plane, int width, int m, int n,
        float v0, float v1, float v2, float v3)
    {
        if (m >= rows) return;
        int o = m >> 2, i = (m >> 1) & 1, j = m & 1;
        float bo = bias[o];
        int oBase = yBase + o * 4 * plane;
        Store1(y, oBase, plane, width, i, j, n, v0 + bo);
        Store1(y, oBase, plane, width, i, j, n + 16, v1 + bo);
        Store1(y, oBase, plane, width, i, j, n + 32, v2 + bo);
        Store1(y, oBase, plane, width, i, j, n + 48, v3 + bo);
    }

    private static void Store1(ArrayView<float> y, int oBase, int plane, int width, int i, int j, int p, float v)
    {
        if (p >= plane) return;
        int y0 = p / width, x0 = p - y0 * width;
        y[oBase + (2 * y0 + i) * 2 * width + 2 * x0 + j] = v;
    }

    /// <summary>
    /// y (B, Cout, 2H, 2W) = ConvTranspose2d(x (B, Cin, H, W)) with weight (Cin, Cout, 2, 2) (PyTorch layout), bias
    /// (Cout), stride 2. Auto runs v1 on the CPU accelerator, v2 on CUDA.
    /// </summary>
    public static void Forward(Tensor x, Tensor weight, Tensor bias, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank != 4) throw new ArgumentException($"conv transpose 2x2: x must be (B, Cin, H, W), got {x.Shape}");
        int b = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (weight.Shape.Rank != 4 || weight.Shape[0] != cin || weight.Shape[2] != 2 || weight.Shape[3] != 2)
            throw new ArgumentException($"conv transpose 2x2: weight must be (Cin={cin}, Cout, 2, 2), got {weight.Shape}");
        int cout = weight.Shape[1];
        bias.Expect("conv transpose 2x2 bias", cout);
        y.Expect("conv transpose 2x2 y", b, cout, 2 * h, 2 * w);
        Int32Extent.Check(y, "conv transpose 2x2 y");
        if (y.Length == 0) return;
        if (choice.UseHost(x.Device)) { ConvTranspose2x2Host.Forward(x, weight, bias, y); return; }
        if (choice.UseTiled(x.Device))
            LaunchForwardV2(x.Device, new Index3D(h * w, 4 * cout, b), x.View, weight.View, bias.View, y.View, cin, cout, h, w);
        else
            LaunchForwardV1(x.Device, (int)y.Length, x.View, weight.View, bias.View, y.View, cin, cout, h, w);
    }
}
