// Small forward/backward ops of the anomaly head's training graph (all row-major, pixel rows × channels):
//   relu        backward only: dx = dy·[y > 0] (the forward is Activation.Relu, NaN kept as torch.relu)
//   dropout     y = x·keep/(1−p), keep = u ≥ p with u from a counter-based hash of (seed, stream, index), so the
//               backward recomputes the same mask instead of storing it, and CPU and GPU draw identical masks
//               (PyTorch: F.dropout; torch's own RNG stream is not reproduced, only its distribution)
//   to_pixels   (B, C, HW) channel planes → (B·HW, C) pixel rows (the statistics enter the MLP this way)
//   concat      [a (N, Ca) | b (N, Cb)] → (N, Ca+Cb); backward = slice_cols                PyTorch: torch.cat(-1)
//   upsample    backward of the channels-last bilinear resize (the forward is Bilinear.ResizeChannelsLast):
//               it scatters each output gradient to its 4 taps with float atomics (order-dependent in the
//               last bits on a GPU; exact on the CPU accelerator)
// v1 everywhere: one thread per output element, implicitly grouped (all memory-bound, ~8–16 B per element).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>ReLU backward, dropout, layout changes, concat/slice and the bilinear resize backward.</summary>
public static partial class TrainOps
{
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

    /// <summary>dx = dy where the forward output y &gt; 0, else 0.</summary>
    public static void ReluBackward(Tensor y, Tensor dy, Tensor dx, OpVersion? version = null)
    {
        Same(y, dy, "relu backward");
        Same(y, dx, "relu backward");
        ReluBackwardOp.Run(y.Device, (y, dy, dx), version);
    }

    /// <summary>The op row: one compare per element; y, dy read and dx written.</summary>
    public static readonly Op<(Tensor Y, Tensor Dy, Tensor Dx)> ReluBackwardOp = OpRows.PerElement<(Tensor Y, Tensor Dy, Tensor Dx)>("relu_backward",
        "dx = dy where the forward output y > 0, else 0", "TrainRef.ReluBackward", a => a.Y.Length, 1, 12, "TrainOps.ReluBackwardV1",
        a => LaunchReluBackwardV1(a.Y.Device, (int)a.Y.Length, a.Y.View, a.Dy.View, a.Dx.View))
        .WithHost(a => TrainOpsHost.ReluBackward(a.Y, a.Dy, a.Dx));

    /// <summary>
    /// y = x·mask/(1−p) with mask drawn from (seed, stream); the backward is the same call on dy with the same seed and
    /// stream. p = 0 copies.
    /// </summary>
    public static void Dropout(Tensor x, Tensor y, float p, int seed, int stream, OpVersion? version = null)
    {
        Same(x, y, "dropout");
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"dropout: p must be in [0, 1), got {p}");
        DropoutOp.Run(x.Device, (x, y, p, seed, stream), version);
    }

    /// <summary>The op row: ~12 integer/float ops per element (the hash); x read and y written.</summary>
    public static readonly Op<(Tensor X, Tensor Y, float P, int Seed, int Stream)> DropoutOp = OpRows.PerElement<(Tensor X, Tensor Y, float P, int Seed, int Stream)>("dropout",
        "y = x·mask/(1−p), mask from a hash of (seed, stream, index) (F.dropout in distribution)", "TrainRef.Dropout",
        a => a.X.Length, 12, 8, "TrainOps.DropoutV1", call =>
        {
            var (x, y, p, seed, stream) = call;
            LaunchDropoutV1(x.Device, (int)x.Length, x.View, y.View, p, 1f / (1f - p), seed, stream);
        }, "one thread per element, counter-based hash mask")
        .WithHost(a => TrainOpsHost.Dropout(a.X, a.Y, a.P, a.Seed, a.Stream));

    /// <summary>(B,C,H,W) → (B·H·W, C) pixel rows.</summary>
    public static void ToPixels(Tensor x, Tensor y, OpVersion? version = null)
    {
        if (x.Shape.Rank != 4) throw new ArgumentException($"to_pixels: x expected shape [B,C,H,W], got {x.Shape}");
        int b = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        y.Expect("to_pixels y", b * hw, c);
        ToPixelsOp.Run(x.Device, (x, y, b, c, hw), version);
    }

    /// <summary>The op row: a transposing copy.</summary>
    public static readonly Op<(Tensor X, Tensor Y, int B, int C, int Hw)> ToPixelsOp = OpRows.PerElement<(Tensor X, Tensor Y, int B, int C, int Hw)>("to_pixels",
        "(B, C, H, W) planes → (B·H·W, C) pixel rows", "AnomalyRef.ToPixelMajor",
        a => a.X.Length, 0, 8, "TrainOps.ToPixelsV1", call =>
        {
            var (x, y, b, c, hw) = call;
            LaunchToPixelsV1(x.Device, new Index2D(c, b * hw), x.View, y.View, c, hw);
        })
        .WithHost(a => TrainOpsHost.ToPixels(a.X, a.Y));

    /// <summary>y (N, Ca+Cb) = [a (N,Ca) | b (N,Cb)].</summary>
    public static void ConcatColumns(Tensor a, Tensor b, Tensor y, OpVersion? version = null)
    {
        int ca = a.Shape[-1], cb = b.Shape[-1];
        long n = a.Length / Math.Max(ca, 1);
        if (b.Length != n * cb) throw new ArgumentException($"concat: b expected shape [{n},{cb}], got {b.Shape}");
        y.Expect("concat y", (int)n, ca + cb);
        ConcatColumnsOp.Run(a.Device, (a, b, y, ca, cb, n), version);
    }

    /// <summary>The op row: a copy.</summary>
    public static readonly Op<(Tensor A, Tensor B, Tensor Y, int Ca, int Cb, long N)> ConcatColumnsOp = OpRows.PerElement<(Tensor A, Tensor B, Tensor Y, int Ca, int Cb, long N)>("concat_cols",
        "y (N, Ca+Cb) = [a | b] (torch.cat(dim=-1))", "TrainRef.Concat",
        a => a.Y.Length, 0, 8, "TrainOps.ConcatColsV1", call =>
        {
            var (a, b, y, ca, cb, n) = call;
            LaunchConcatColsV1(a.Device, new Index2D(ca + cb, (int)n), a.View, b.View, y.View, ca, cb);
        }, "one thread per output element")
        .WithHost(a => TrainOpsHost.ConcatColumns(a.A, a.B, a.Y));

    /// <summary>o (N, width) = y[:, offset:offset+width] of y (N, total).</summary>
    public static void SliceColumns(Tensor y, Tensor o, int offset, OpVersion? version = null)
    {
        int total = y.Shape[-1], width = o.Shape[-1];
        long n = y.Length / Math.Max(total, 1);
        if (offset < 0 || offset + width > total || o.Length != n * width)
            throw new ArgumentException($"slice: o {o.Shape} at column {offset} does not fit y {y.Shape}");
        SliceColumnsOp.Run(y.Device, (y, o, offset, total, width, n), version);
    }

    /// <summary>The op row: a copy.</summary>
    public static readonly Op<(Tensor Y, Tensor O, int Offset, int Total, int Width, long N)> SliceColumnsOp = OpRows.PerElement<(Tensor Y, Tensor O, int Offset, int Total, int Width, long N)>("slice_cols",
        "o (N, width) = y[:, offset : offset + width]", "TrainRef.Slice",
        a => a.O.Length, 0, 8, "TrainOps.SliceColsV1", call =>
        {
            var (y, o, offset, total, width, n) = call;
            LaunchSliceColsV1(y.Device, new Index2D(width, (int)n), y.View, o.View, offset, total, width);
        }, "one thread per output element")
        .WithHost(a => TrainOpsHost.SliceColumns(a.Y, a.O, a.Offset));

    /// <summary>dx (B,h,w,C) = the adjoint of <see cref="Bilinear.ResizeChannelsLast"/> applied to dy (B,H,W,C); dx is overwritten.</summary>
    public static void UpsampleBackward(Tensor dy, Tensor dx, OpVersion? version = null)
    {
        var (b, h, w, c, oh, ow) = UpsampleDims(dx, dy);
        UpsampleBackwardOp.Run(dy.Device, (dy, dx, b, h, w, c, oh, ow), version);
    }

    /// <summary>The op row: 8 FLOPs and 4 atomic adds per output gradient; dy read, dx zeroed and accumulated.</summary>
    public static readonly Op<(Tensor Dy, Tensor Dx, int B, int H, int W, int C, int Oh, int Ow)> UpsampleBackwardOp = new Op<(Tensor Dy, Tensor Dx, int B, int H, int W, int C, int Oh, int Ow)>("upsample_bilinear_cl_backward",
        "dx = the adjoint of the channels-last bilinear resize applied to dy (F.interpolate backward)", "TrainRef.UpsampleBackward",
        call => 8.0 * call.Dy.Length, call => 4.0 * ((double)call.Dy.Length + 2.0 * call.Dx.Length),
        [new("upsample_bilinear_cl_backward", "thread-per-element", VersionKind.Simple,
            "one thread per output gradient, 4 atomic adds", ["TrainOps.UpsampleBackwardV1"], call =>
        {
            var (dy, dx, b, h, w, c, oh, ow) = call;
            dx.View.MemSetToZero();
            LaunchUpsampleBackwardV1(dy.Device, new Index2D(c, b * oh * ow), dy.View, dx.View, c, h, w, oh, ow);
        })])
        .WithHost(a => TrainOpsHost.UpsampleBackward(a.Dy, a.Dx));

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
