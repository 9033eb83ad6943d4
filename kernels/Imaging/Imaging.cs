// Image-side ops of the EoMT semantic pipeline (eomt.md §4.1-4.2):
//   normalise: y[c, r, x] = (img[top + r, left + x, c] / 255 − mean[c]) / std[c]   (uint8 HWC → float CHW window)
//              PyTorch: ((t.float() / 255) − mean.view(3,1,1)) / std.view(3,1,1) on t = img[top:, left:].permute(2,0,1)
//   stitch:    avg[k, r, x] = Σ_j scores[j, k, r', x'] / #{j covering (r, x)}, windows j of S along one axis at starts[j]
//              PyTorch: the sum/count loop of the original `window_imgs_semantic` merge (scores averaged, not logits)
// v1: one thread per output element, implicitly grouped, coalesced along x. The stitch loops over the (few) windows
//     in order j = 0, 1, … so its sums round exactly like the reference's sequential `+=`.
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>uint8 image → normalised float windows, and the window-average stitch of per-window score maps.</summary>
public static partial class Imaging
{
    /// <summary>ImageNet mean (RGB), as timm / HF IMAGENET_DEFAULT_MEAN.</summary>
    public const float MeanR = 0.485f, MeanG = 0.456f, MeanB = 0.406f;

    /// <summary>ImageNet std (RGB), as timm / HF IMAGENET_DEFAULT_STD.</summary>
    public const float StdR = 0.229f, StdG = 0.224f, StdB = 0.225f;

    // i = (x, r, c); image is (H, W, 3) bytes; y is (3, rows, cols).
    [Kernel("normalize_rgb")]
    internal static void NormalizeRgbV1(Index3D i, ArrayView<byte> image, ArrayView<float> y, int width, int top, int left, int rows, int cols)
    {
        float mean = i.Z == 0 ? MeanR : i.Z == 1 ? MeanG : MeanB;
        float std = i.Z == 0 ? StdR : i.Z == 1 ? StdG : StdB;
        float p = image[((long)(top + i.Y) * width + left + i.X) * 3 + i.Z];
        y[((long)i.Z * rows + i.Y) * cols + i.X] = (p / 255f - mean) / std;
    }

    // i = (x, r, k); scores is (n, K, S, S); avg is (K, h, w).
    [Kernel("stitch_windows")]
    internal static void StitchWindowsV1(Index3D i, ArrayView<float> scores, ArrayView<int> starts, ArrayView<float> avg,
        int windows, int classes, int size, int height, int width, int alongHeight)
    {
        float sum = 0f;
        int count = 0;
        int pos = alongHeight != 0 ? i.Y : i.X;
        for (int j = 0; j < windows; j++)
        {
            int s = starts[j];
            if (pos < s || pos >= s + size) continue;
            int r = alongHeight != 0 ? i.Y - s : i.Y;
            int x = alongHeight != 0 ? i.X : i.X - s;
            sum += scores[(((long)j * classes + i.Z) * size + r) * size + x];
            count++;
        }
        avg[((long)i.Z * height + i.Y) * width + i.X] = count > 0 ? sum / count : 0f;
    }

    /// <summary>
    /// y (3, R, W') = the normalised window of <paramref name="image"/> (H, W, 3) u8 starting at (top, left);
    /// R and W' come from y's shape.
    /// </summary>
    public static void NormalizeRgb(Tensor image, int top, int left, Tensor y, OpVersion? version = null)
    {
        if (image.DType != DType.UInt8 || image.Shape.Rank != 3 || image.Shape[2] != 3)
            throw new ArgumentException($"normalize rgb: image must be (H, W, 3) u8, got {image.Shape} {image.DType.Name()}");
        if (y.Shape.Rank != 3 || y.Shape[0] != 3)
            throw new ArgumentException($"normalize rgb: y must be (3, H, W), got {y.Shape}");
        int rows = y.Shape[1], cols = y.Shape[2];
        if (top < 0 || left < 0 || top + rows > image.Shape[0] || left + cols > image.Shape[1])
            throw new ArgumentException($"normalize rgb: window {rows}x{cols} at ({top},{left}) outside image {image.Shape}");
        NormalizeRgbOp.Run(y.Device, (image, y, top, left, rows, cols), version);
    }

    /// <summary>The op row: 2 FLOPs per output; one byte read and 4 written per output.</summary>
    public static readonly Op<(Tensor Image, Tensor Y, int Top, int Left, int Rows, int Cols)> NormalizeRgbOp = OpRows.PerElement<(Tensor Image, Tensor Y, int Top, int Left, int Rows, int Cols)>("normalize_rgb",
        "y (3, R, W) = (window of u8 RGB / 255 - mean) / std (the ViT pre-processing)", "ImagingRef.NormalizeRgb",
        a => a.Y.Length, 2, 5, "Imaging.NormalizeRgbV1", call =>
        {
            var (image, y, top, left, rows, cols) = call;
            LaunchNormalizeRgbV1(y.Device, new Index3D(cols, rows, 3), image.Cast<byte>(), y.View, image.Shape[1], top, left, rows, cols);
        }, "one thread per output element")
        .WithHost(a => ImagingHost.NormalizeRgb(a.Image, a.Top, a.Left, a.Y));

    /// <summary>
    /// avg (K, h, w) = per-pixel mean of the window scores (n, K, S, S) placed at <paramref name="starts"/> (n, i32)
    /// along the height (<paramref name="alongHeight"/>) or the width; the other side must equal S.
    /// </summary>
    public static void StitchWindows(Tensor scores, Tensor starts, bool alongHeight, Tensor avg, OpVersion? version = null)
    {
        if (scores.Shape.Rank != 4 || scores.Shape[2] != scores.Shape[3])
            throw new ArgumentException($"stitch windows: scores must be (n, K, S, S), got {scores.Shape}");
        int n = scores.Shape[0], k = scores.Shape[1], s = scores.Shape[2];
        if (starts.DType != DType.Int32 || starts.Length != n)
            throw new ArgumentException($"stitch windows: starts must be ({n}) i32, got {starts.Shape} {starts.DType.Name()}");
        if (avg.Shape.Rank != 3 || avg.Shape[0] != k || (alongHeight ? avg.Shape[2] : avg.Shape[1]) != s)
            throw new ArgumentException($"stitch windows: avg must be ({k}, h, w) with the short side {s}, got {avg.Shape}");
        int h = avg.Shape[1], w = avg.Shape[2];
        StitchWindowsOp.Run(avg.Device, (scores, starts, alongHeight, avg, n, k, s, h, w), version);
    }

    /// <summary>The op row: one add per window score; scores read once, avg written once.</summary>
    public static readonly Op<(Tensor Scores, Tensor Starts, bool AlongHeight, Tensor Avg, int N, int K, int S, int H, int W)> StitchWindowsOp = new Op<(Tensor Scores, Tensor Starts, bool AlongHeight, Tensor Avg, int N, int K, int S, int H, int W)>("stitch_windows",
        "avg = per-pixel mean of sliding-window scores (window stitching)", "ImagingRef.StitchWindows",
        call => call.Scores.Length, call => 4.0 * ((double)call.Scores.Length + call.Avg.Length),
        [new("stitch_windows", "thread-per-pixel", VersionKind.Simple,
            "one thread per output pixel, loop over windows", ["Imaging.StitchWindowsV1"], call =>
        {
            var (scores, starts, alongHeight, avg, n, k, s, h, w) = call;
            LaunchStitchWindowsV1(avg.Device, new Index3D(w, h, k), scores.View, starts.Cast<int>(), avg.View, n, k, s, h, w, alongHeight ? 1 : 0);
        })])
        .WithHost(a => ImagingHost.StitchWindows(a.Scores, a.Starts, a.AlongHeight, a.Avg));
}
