// Depthwise 3×3 convolution, padding 1, stride 1, no bias (eomt.md §3.6, the upscale block's conv2):
//   y[b, c, h, w] = Σ_{i,j ∈ 0..2} weight[c, 0, i, j] · x[b, c, h + i − 1, w + j − 1]   (zero outside the image).
// PyTorch: F.conv2d(x, weight, None, padding=1, groups=C)  (cross-correlation, weight (C, 1, 3, 3)).
// v1: one thread per output element, 9 FMAs reading a 3×3 neighbourhood that neighbouring threads share through the
//     cache, so it is already bandwidth-shaped: L-1024 second block 1024 × 256² floats → 268 MB in + 268 MB out ≈ 0.16 ms
//     at 3.35 TB/s (9 reads per output hit L1/L2). Fusing GELU before and LayerNorm2d after is the next step.
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Depthwise 3×3 convolution with zero padding 1 and no bias.</summary>
public static partial class DepthwiseConv3x3
{
    [Kernel("depthwise_conv3x3", Version = "v1 one thread per output element")]
    internal static void ForwardV1(Index1D i, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y,
        int channels, int height, int width)
    {
        int w = i % width, h = (i / width) % height, c = (i / (width * height)) % channels;
        int plane = i - (h * width + w);
        float acc = 0f;
        for (int di = 0; di < 3; di++)
        {
            int hh = h + di - 1;
            if (hh < 0 || hh >= height) continue;
            for (int dj = 0; dj < 3; dj++)
            {
                int ww = w + dj - 1;
                if (ww < 0 || ww >= width) continue;
                acc += weight[c * 9 + di * 3 + dj] * x[plane + hh * width + ww];
            }
        }
        y[i] = acc;
    }

    /// <summary>y (B, C, H, W) = depthwise 3×3 conv of x (B, C, H, W) with weight (C, 1, 3, 3), padding 1, no bias.</summary>
    public static void Forward(Tensor x, Tensor weight, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank != 4) throw new ArgumentException($"depthwise conv: x must be (B, C, H, W), got {x.Shape}");
        int c = x.Shape[1];
        weight.Expect("depthwise conv weight (C, 1, 3, 3)", c, 1, 3, 3);
        y.Expect("depthwise conv y", x.Shape.ToArray());
        Int32Extent.Check(x, "depthwise conv x");
        if (x.Length == 0) return;
        if (choice.UseHost(x.Device)) { DepthwiseConv3x3Host.Forward(x, weight, y); return; }
        LaunchForwardV1(x.Device, (int)x.Length, x.View, weight.View, y.View, c, x.Shape[2], x.Shape[3]);
    }
}
