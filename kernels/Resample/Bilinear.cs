// Bilinear resize, PyTorch F.interpolate(x, size=(H2, W2), mode="bilinear", align_corners=False, antialias=False)
// (eomt.md §4.2 steps 4 and 7, §2.2 step 2), up- or downsampling, non-square:
//   per axis, scale = in / out (float32), src = max(scale·(dst + 0.5) − 0.5, 0)   ← PyTorch clamps negatives to 0,
//   i0 = min(⌊src⌋, in − 1), i1 = i0 + (i0 < in − 1 ? 1 : 0), λ1 = src − i0, λ0 = 1 − λ1;
//   y = λ0ʰ·(λ0ʷ·x[i0, j0] + λ1ʷ·x[i0, j1]) + λ1ʰ·(λ0ʷ·x[i1, j0] + λ1ʷ·x[i1, j1]).
// No antialiasing: downsampling reads only the 2 × 2 nearest source pixels, exactly as PyTorch's default does.
// (EoMT needs no antialiased resize: its image pre-processing is PIL-exact and lives with the model.)
// v1: one thread per output element, coordinates recomputed per thread (cheap next to the 4 gathers).
// Napkin math, L-1024 semantic path: 100 × 256² → 100 × 1024² floats: 26 MB in (cached), 419 MB out ≈ 0.13 ms at
// 3.35 TB/s; fusing it into the semantic map (sigmoid after interpolation) would save the 419 MB round trip.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>PyTorch-exact bilinear resize (align_corners = False, no antialias) of NCHW planes.</summary>
public static partial class Bilinear
{
    [Kernel("bilinear_resize", Version = "v1 one thread per output element")]
    internal static void ResizeV1(Index1D i, ArrayView<float> x, ArrayView<float> y, int inH, int inW, int outH, int outW,
        float scaleH, float scaleW)
    {
        int ox = i % outW, oy = (i / outW) % outH, plane = i / (outW * outH);
        float sy = XMath.Max(scaleH * (oy + 0.5f) - 0.5f, 0f);
        float sx = XMath.Max(scaleW * (ox + 0.5f) - 0.5f, 0f);
        int y0 = XMath.Min((int)sy, inH - 1), x0 = XMath.Min((int)sx, inW - 1); // sy, sx ≥ 0: truncation = floor
        int y1 = y0 + (y0 < inH - 1 ? 1 : 0), x1 = x0 + (x0 < inW - 1 ? 1 : 0);
        float ly = XMath.Min(XMath.Max(sy - y0, 0f), 1f), lx = XMath.Min(XMath.Max(sx - x0, 0f), 1f);
        int b = plane * inH * inW;
        float top = (1f - lx) * x[b + y0 * inW + x0] + lx * x[b + y0 * inW + x1];
        float bottom = (1f - lx) * x[b + y1 * inW + x0] + lx * x[b + y1 * inW + x1];
        y[i] = (1f - ly) * top + ly * bottom;
    }

    /// <summary>
    /// y (B, C, H2, W2) = bilinear resize of x (B, C, H, W), identical to F.interpolate(mode="bilinear",
    /// align_corners=False) with an explicit size (scale = in/out per axis).
    /// </summary>
    public static void Resize(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank != 4 || y.Shape.Rank != 4 || x.Shape[0] != y.Shape[0] || x.Shape[1] != y.Shape[1])
            throw new ArgumentException($"bilinear resize: x (B, C, H, W) and y (B, C, H2, W2) must agree on B and C, got x {x.Shape}, y {y.Shape}");
        int inH = x.Shape[2], inW = x.Shape[3], outH = y.Shape[2], outW = y.Shape[3];
        Int32Extent.Check(x, "bilinear resize x");
        Int32Extent.Check(y, "bilinear resize y");
        if (y.Length == 0) return;
        if (inH == 0 || inW == 0) throw new ArgumentException($"bilinear resize: empty input {x.Shape} for output {y.Shape}");
        if (choice.UseHost(x.Device)) { BilinearHost.Resize(x, y); return; }
        LaunchResizeV1(x.Device, (int)y.Length, x.View, y.View, inH, inW, outH, outW, (float)inH / outH, (float)inW / outW);
    }
}

/// <summary>The model kernels index with 32-bit ints (fewer registers, perf.md §3.6): refuse tensors beyond that.</summary>
internal static class Int32Extent
{
    /// <summary>Throws a clear error when <paramref name="t"/> has more than int.MaxValue elements.</summary>
    public static void Check(Tensor t, string what)
    {
        if (t.Length > int.MaxValue)
            throw new ArgumentException($"{what}: {t.Shape} has {t.Length} elements, more than the 2^31 − 1 the kernels index: use a smaller batch");
    }
}
