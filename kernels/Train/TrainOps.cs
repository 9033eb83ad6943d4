// Small forward/backward ops of the anomaly head's training graph (all row-major, pixel rows × channels):
//   relu        y = max(x, 0)                 dx = dy·[y > 0]                         PyTorch: F.relu
//   dropout     y = x·keep/(1−p), keep = u ≥ p with u from a counter-based hash of (seed, stream, index), so the
//               backward recomputes the same mask instead of storing it, and CPU and GPU draw identical masks
//               (PyTorch: F.dropout; torch's own RNG stream is not reproduced, only its distribution)
//   to_pixels   (B, C, HW) channel planes → (B·HW, C) pixel rows (the statistics enter the MLP this way)
//   concat      [a (N, Ca) | b (N, Cb)] → (N, Ca+Cb); backward = slice_cols                PyTorch: torch.cat(-1)
//   upsample    bilinear, align_corners=False, channels-last (B, h, w, C) → (B, H, W, C)   PyTorch: F.interpolate
//               backward scatters each output gradient to its 4 taps with float atomics (order-dependent in the
//               last bits on a GPU; exact on the CPU accelerator)
// v1 everywhere: one thread per output element, implicitly grouped (all memory-bound, ~8–16 B per element).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>ReLU, dropout, layout changes, concat and bilinear upsampling with their backward kernels.</summary>
public static partial class TrainOps
{
    [Kernel("relu_forward")]
    internal static void ReluV1(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = XMath.Max(x[i], 0f);

    [Kernel("relu_backward")]
    internal static void ReluBackwardV1(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) =>
        dx[i] = y[i] > 0f ? dy[i] : 0f;

    /// <summary>A 32-bit integer hash (lowbias32 finaliser): good avalanche, two multiplies.</summary>
    public static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb352dU;
        x ^= x >> 15;
        x *= 0x846ca68bU;
        x ^= x >> 16;
        return x;
    }

    /// <summary>Uniform in [0, 1) from (seed, stream, index): the dropout draw for one element.</summary>
    public static float Uniform(uint seed, uint stream, uint index) =>
        (Mix(Mix(seed ^ Mix(stream + 0x9e3779b9U)) + index) >> 8) * (1f / 16777216f);

    // Applies the same mask to x (forward) or to dy (backward).
    [Kernel("dropout")]
    internal static void DropoutV1(Index1D i, ArrayView<float> x, ArrayView<float> y, float p, float scale, int seed, int stream)
    {
        float u = Uniform((uint)seed, (uint)stream, (uint)i.X);
        y[i] = u >= p ? x[i] * scale : 0f;
    }

    // i.X = channel, i.Y = pixel p = b·HW + r.
    [Kernel("to_pixels")]
    internal static void ToPixelsV1(Index2D i, ArrayView<float> x, ArrayView<float> y, int c, int hw)
    {
        int b = i.Y / hw, r = i.Y - b * hw;
        y[(long)i.Y * c + i.X] = x[((long)b * c + i.X) * hw + r];
    }

    // i.X = output column, i.Y = row.
    [Kernel("concat_cols")]
    internal static void ConcatColsV1(Index2D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int ca, int cb)
    {
        long n = i.Y;
        y[n * (ca + cb) + i.X] = i.X < ca ? a[n * ca + i.X] : b[n * cb + i.X - ca];
    }

    // out (N, width) = y[:, offset : offset+width] of y (N, total).
    [Kernel("slice_cols")]
    internal static void SliceColsV1(Index2D i, ArrayView<float> y, ArrayView<float> o, int offset, int total, int width) =>
        o[(long)i.Y * width + i.X] = y[(long)i.Y * total + offset + i.X];

    // torch's align_corners=False source coordinate: (dst + 0.5)·in/out − 0.5, clamped at 0.
    internal static void Taps(int dst, int inSize, int outSize, out int i0, out int i1, out float l1)
    {
        float src = XMath.Max((dst + 0.5f) * ((float)inSize / outSize) - 0.5f, 0f);
        i0 = (int)src;
        if (i0 > inSize - 1) i0 = inSize - 1;
        i1 = i0 < inSize - 1 ? i0 + 1 : i0;
        l1 = src - i0;
    }

    // i.X = channel, i.Y = output pixel (b·H + y)·W + x.
    [Kernel("upsample_bilinear_cl")]
    internal static void UpsampleV1(Index2D i, ArrayView<float> x, ArrayView<float> y, int c, int h, int w, int oh, int ow)
    {
        int px = i.Y % ow, t = i.Y / ow, py = t % oh, b = t / oh;
        Taps(py, h, oh, out int y0, out int y1, out float ly);
        Taps(px, w, ow, out int x0, out int x1, out float lx);
        long bb = (long)b * h;
        float v00 = x[((bb + y0) * w + x0) * c + i.X], v01 = x[((bb + y0) * w + x1) * c + i.X];
        float v10 = x[((bb + y1) * w + x0) * c + i.X], v11 = x[((bb + y1) * w + x1) * c + i.X];
        y[(long)i.Y * c + i.X] = (1f - ly) * ((1f - lx) * v00 + lx * v01) + ly * ((1f - lx) * v10 + lx * v11);
    }

    [Kernel("upsample_bilinear_cl_backward")]
    internal static void UpsampleBackwardV1(Index2D i, ArrayView<float> dy, ArrayView<float> dx, int c, int h, int w, int oh, int ow)
    {
        int px = i.Y % ow, t = i.Y / ow, py = t % oh, b = t / oh;
        Taps(py, h, oh, out int y0, out int y1, out float ly);
        Taps(px, w, ow, out int x0, out int x1, out float lx);
        long bb = (long)b * h;
        float g = dy[(long)i.Y * c + i.X];
        Atomic.Add(ref dx[((bb + y0) * w + x0) * c + i.X], (1f - ly) * (1f - lx) * g);
        Atomic.Add(ref dx[((bb + y0) * w + x1) * c + i.X], (1f - ly) * lx * g);
        Atomic.Add(ref dx[((bb + y1) * w + x0) * c + i.X], ly * (1f - lx) * g);
        Atomic.Add(ref dx[((bb + y1) * w + x1) * c + i.X], ly * lx * g);
    }

    /// <summary>y = max(x, 0); y may alias x.</summary>
    public static void Relu(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        Same(x, y, "relu");
        if (choice.UseHost(x.Device)) { TrainOpsHost.Relu(x, y); return; }
        LaunchReluV1(x.Device, (int)x.Length, x.View, y.View);
    }

    /// <summary>dx = dy where the forward output y &gt; 0, else 0.</summary>
    public static void ReluBackward(Tensor y, Tensor dy, Tensor dx, KernelChoice choice = KernelChoice.Auto)
    {
        Same(y, dy, "relu backward");
        Same(y, dx, "relu backward");
        if (choice.UseHost(y.Device)) { TrainOpsHost.ReluBackward(y, dy, dx); return; }
        LaunchReluBackwardV1(y.Device, (int)y.Length, y.View, dy.View, dx.View);
    }

    /// <summary>
    /// y = x·mask/(1−p) with mask drawn from (seed, stream); the backward is the same call on dy with the same seed and
    /// stream. p = 0 copies.
    /// </summary>
    public static void Dropout(Tensor x, Tensor y, float p, int seed, int stream, KernelChoice choice = KernelChoice.Auto)
    {
        Same(x, y, "dropout");
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"dropout: p must be in [0, 1), got {p}");
        if (choice.UseHost(x.Device)) { TrainOpsHost.Dropout(x, y, p, seed, stream); return; }
        LaunchDropoutV1(x.Device, (int)x.Length, x.View, y.View, p, 1f / (1f - p), seed, stream);
    }

    /// <summary>(B,C,H,W) → (B·H·W, C) pixel rows.</summary>
    public static void ToPixels(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank != 4) throw new ArgumentException($"to_pixels: x expected shape [B,C,H,W], got {x.Shape}");
        int b = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        y.Expect("to_pixels y", b * hw, c);
        if (choice.UseHost(x.Device)) { TrainOpsHost.ToPixels(x, y); return; }
        LaunchToPixelsV1(x.Device, new Index2D(c, b * hw), x.View, y.View, c, hw);
    }

    /// <summary>y (N, Ca+Cb) = [a (N,Ca) | b (N,Cb)].</summary>
    public static void ConcatColumns(Tensor a, Tensor b, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        int ca = a.Shape[-1], cb = b.Shape[-1];
        long n = a.Length / Math.Max(ca, 1);
        if (b.Length != n * cb) throw new ArgumentException($"concat: b expected shape [{n},{cb}], got {b.Shape}");
        y.Expect("concat y", (int)n, ca + cb);
        if (choice.UseHost(a.Device)) { TrainOpsHost.ConcatColumns(a, b, y); return; }
        LaunchConcatColsV1(a.Device, new Index2D(ca + cb, (int)n), a.View, b.View, y.View, ca, cb);
    }

    /// <summary>o (N, width) = y[:, offset:offset+width] of y (N, total).</summary>
    public static void SliceColumns(Tensor y, Tensor o, int offset, KernelChoice choice = KernelChoice.Auto)
    {
        int total = y.Shape[-1], width = o.Shape[-1];
        long n = y.Length / Math.Max(total, 1);
        if (offset < 0 || offset + width > total || o.Length != n * width)
            throw new ArgumentException($"slice: o {o.Shape} at column {offset} does not fit y {y.Shape}");
        if (choice.UseHost(y.Device)) { TrainOpsHost.SliceColumns(y, o, offset); return; }
        LaunchSliceColsV1(y.Device, new Index2D(width, (int)n), y.View, o.View, offset, total, width);
    }

    /// <summary>Bilinear (align_corners=False) resize of channels-last x (B,h,w,C) to y (B,H,W,C).</summary>
    public static void Upsample(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        var (b, h, w, c, oh, ow) = UpsampleDims(x, y);
        if (choice.UseHost(x.Device)) { TrainOpsHost.Upsample(x, y); return; }
        LaunchUpsampleV1(x.Device, new Index2D(c, b * oh * ow), x.View, y.View, c, h, w, oh, ow);
    }

    /// <summary>dx (B,h,w,C) = the adjoint of <see cref="Upsample"/> applied to dy (B,H,W,C); dx is overwritten.</summary>
    public static void UpsampleBackward(Tensor dy, Tensor dx, KernelChoice choice = KernelChoice.Auto)
    {
        var (b, h, w, c, oh, ow) = UpsampleDims(dx, dy);
        if (choice.UseHost(dy.Device)) { TrainOpsHost.UpsampleBackward(dy, dx); return; }
        dx.View.MemSetToZero();
        LaunchUpsampleBackwardV1(dy.Device, new Index2D(c, b * oh * ow), dy.View, dx.View, c, h, w, oh, ow);
    }

    private static (int B, int H, int W, int C, int OH, int OW) UpsampleDims(Tensor x, Tensor y)
    {
        if (x.Shape.Rank != 4 || y.Shape.Rank != 4 || x.Shape[0] != y.Shape[0] || x.Shape[3] != y.Shape[3])
            throw new ArgumentException($"upsample: expected x [B,h,w,C] and y [B,H,W,C], got x {x.Shape}, y {y.Shape}");
        return (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], y.Shape[1], y.Shape[2]);
    }

    private static void Same(Tensor a, Tensor b, string op)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} differ");
    }
}
