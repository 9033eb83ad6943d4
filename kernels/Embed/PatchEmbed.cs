// Patch embedding as im2col + GEMM (eomt.md §1.3): Conv2d(3, C, kernel p, stride p, no padding) =
//   cols[b, gy·Gw + gx, (ch·p + kh)·p + kw] = pixels[b, ch, gy·p + kh, gx·p + kw]
//   tokens = cols · Wᵀ + bias with W = conv.weight.reshape(C, 3·p·p)   (Gemm.Linear(cols, W, bias, tokens)).
// The (ch, kh, kw) column order is exactly the flattening of the PyTorch weight (C, 3, p, p), and the row order is
// timm's row-major patch flattening (token = gy·Gw + gx).
// PyTorch: F.unfold(pixels, p, stride=p).transpose(1, 2)  (same column order).
// v1: one thread per cols element; writes are contiguous, reads are p-float runs of one image row.
// Napkin math (S = 1024, p = 16): 3·1024² floats in and out = 12.6 MB each → ~8 µs at 3.35 TB/s; the GEMM that follows
// (4096 × 1024 × 768, 6.4 GFLOP) dominates. A later version can fuse the gather into the GEMM's A-tile loader.
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Patch extraction (im2col) for the stride = kernel patch-embedding convolution.</summary>
public static partial class PatchEmbed
{
    [Kernel("im2col_patch", Version = "v1 one thread per column element")]
    internal static void Im2ColV1(Index1D i, ArrayView<float> pixels, ArrayView<float> cols,
        int channels, int height, int width, int patch)
    {
        int gw = width / patch, gh = height / patch, k = channels * patch * patch;
        int e = i % k, t = (i / k) % (gh * gw), b = i / (k * gh * gw);
        int kw = e % patch, kh = (e / patch) % patch, ch = e / (patch * patch);
        int gx = t % gw, gy = t / gw;
        cols[i] = pixels[((b * channels + ch) * height + gy * patch + kh) * width + gx * patch + kw];
    }

    /// <summary>
    /// <paramref name="pixels"/> (B, Ch, H, W) → <paramref name="cols"/> (B, (H/p)·(W/p), Ch·p·p), columns in the
    /// (ch, kh, kw) order of a Conv2d weight (C, Ch, p, p) flattened; H and W must be multiples of p (timm's strict size).
    /// </summary>
    public static void Im2Col(Tensor pixels, Tensor cols, int patch, OpVersion? version = null)
    {
        if (pixels.Shape.Rank != 4 || patch <= 0 || pixels.Shape[2] % patch != 0 || pixels.Shape[3] % patch != 0)
            throw new ArgumentException($"im2col: pixels must be (B, Ch, H, W) with H and W multiples of the patch {patch}, got {pixels.Shape}");
        int b = pixels.Shape[0], ch = pixels.Shape[1], h = pixels.Shape[2], w = pixels.Shape[3];
        cols.Expect("im2col cols", b, h / patch * (w / patch), ch * patch * patch);
        Int32Extent.Check(cols, "im2col cols");
        if (cols.Length == 0) return;
        Op.Run(pixels.Device, (pixels, cols, ch, h, w, patch), version);
    }

    /// <summary>The op row: a copy: each pixel read once, each column element written once.</summary>
    public static readonly Op<(Tensor Pixels, Tensor Cols, int Ch, int H, int W, int Patch)> Op = OpRows.PerElement<(Tensor Pixels, Tensor Cols, int Ch, int H, int W, int Patch)>("im2col_patch",
        "cols = non-overlapping p x p patches of pixels as rows (the patch conv as a GEMM)", "EmbedRef.Im2Col",
        a => a.Cols.Length, 0, 8, "PatchEmbed.Im2ColV1", call =>
        {
            var (pixels, cols, ch, h, w, patch) = call;
            LaunchIm2ColV1(pixels.Device, (int)cols.Length, pixels.View, cols.View, ch, h, w, patch);
        }, "one thread per column element")
        .WithHost(a => PatchEmbedHost.Im2Col(a.Pixels, a.Cols, a.Patch));
}
