// Host versions of the head's small training ops (math in TrainOps.cs): ReLU and its backward, dropout with the
// kernels' counter-based mask, the (B,C,HW) → (B·HW,C) layout change, column concat/slice, and the channels-last
// bilinear upsample with its adjoint.
// What bounds them: all are streams of 8–16 bytes per element with ≤ 10 integer/float ops: bandwidth-bound. At
// EoMT-B-640 training shapes (0.41 M pixel rows × 32–64 channels, 52–105 MB per tensor) each is ~5–10 ms at the
// 2-core Zen 5's ~20 GB/s copy bandwidth; the goal is one read and one write per element.
// Loops and optimisations:
//   relu, relu backward: TensorPrimitives / one select per zmm, over blocks of the flat tensor on all cores.
//   dropout: the lowbias32 hash of (seed, stream, index) computed 16 indices per zmm in integer lanes (vpmulld), so
//            the host draws bit-for-bit the mask the GPU and simulator kernels draw: the backward can run on either.
//   to_pixels: per batch item a blocked transpose (64 pixels × C channels per step: reads 64-float runs, writes
//            whole pixel rows), concat/slice: row copies (Span.CopyTo) in blocks of rows.
//   upsample: per output pixel the 4 source pixels' C-long rows are mixed 16 channels per zmm (channels-last makes
//            every tap a contiguous row). Backward: the adjoint as a deterministic gather, no atomics: work item =
//            (batch item, band of input rows); each item walks the output rows whose taps touch its band and adds
//            only into its own rows, in output order (so the result is the same on any core count).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NativeEngine.Kernels;

/// <summary>Host versions of <see cref="TrainOps"/>.</summary>
public static unsafe class TrainOpsHost
{
    /// <summary>Same contract as <see cref="TrainOps.Relu"/> (y may alias x), on host memory.</summary>
    public static void Relu(Tensor x, Tensor y) =>
        Blocks(x.Length, x.HostPointer<float>(), y.HostPointer<float>(), null, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (a, _, o, n) =>
            TensorPrimitives.Max(new ReadOnlySpan<float>(a, n), 0f, new Span<float>(o, n)));

    /// <summary>Same contract as <see cref="TrainOps.ReluBackward"/>, on host memory.</summary>
    public static void ReluBackward(Tensor y, Tensor dy, Tensor dx) =>
        Blocks(y.Length, y.HostPointer<float>(), dx.HostPointer<float>(), dy.HostPointer<float>(), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (yv, o, g, n) =>
        {
            for (int i = 0; i < n; i += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, n - i);
                var keep = Vector512.GreaterThan(HostVector.Load(yv + i, lanes), Vector512<float>.Zero);
                HostVector.Store(Vector512.ConditionalSelect(keep, HostVector.Load(g + i, lanes), Vector512<float>.Zero), o + i, lanes);
            }
        }, secondIsOutput: false);

    /// <summary>Same contract as <see cref="TrainOps.Dropout"/> (same mask as the kernel), on host memory.</summary>
    public static void Dropout(Tensor x, Tensor y, float p, int seed, int stream)
    {
        uint key = TrainOps.Mix((uint)seed ^ TrainOps.Mix((uint)stream + 0x9e3779b9U));
        float scale = 1f / (1f - p);
        float* x0 = x.HostPointer<float>();
        Blocks(x.Length, x0, y.HostPointer<float>(), null, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (a, _, o, n) =>
        {
            uint first = (uint)(a - x0);
            var lane = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            var vp = Vector512.Create(p);
            var vs = Vector512.Create(scale);
            for (int i = 0; i < n; i += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, n - i);
                var h = Mix(Vector512.Create(key) + Vector512.Create(first + (uint)i) + lane);
                var u = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(h, 8)) * Vector512.Create(1f / 16777216f);
                var v = HostVector.Load(a + i, lanes) * vs;
                HostVector.Store(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, vp), v, Vector512<float>.Zero), o + i, lanes);
            }
        });
    }

    // TrainOps.Mix on 16 lanes.
    private static Vector512<uint> Mix(Vector512<uint> x)
    {
        x ^= Vector512.ShiftRightLogical(x, 16);
        x *= Vector512.Create(0x7feb352dU);
        x ^= Vector512.ShiftRightLogical(x, 15);
        x *= Vector512.Create(0x846ca68bU);
        x ^= Vector512.ShiftRightLogical(x, 16);
        return x;
    }

    private delegate void BlockBody(float* a, float* b, float* o, int n);

    // body over [start, start+n) blocks of a flat tensor on all cores; b is a second input (or null).
    private static void Blocks(long length, float* a, float* o, float* b, BlockBody body, bool secondIsOutput = true)
    {
        int n = (int)length;
        nint ap = (nint)a, op = (nint)o, bp = (nint)b;
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 16384), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            float* bs = bp == 0 ? null : (float*)bp + start;
            if (secondIsOutput) body((float*)ap + start, bs, (float*)op + start, end - start);
            else body((float*)ap + start, (float*)op + start, bs, end - start);
        });
    }

    /// <summary>Same contract as <see cref="TrainOps.ToPixels"/>, on host memory.</summary>
    public static void ToPixels(Tensor x, Tensor y)
    {
        int b = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        nint xp = (nint)x.HostPointer<float>(), yp = (nint)y.HostPointer<float>();
        HostVector.ForBlocks(b, hw, HostVector.BlockFor((long)b * hw, 4096), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            float* src = (float*)xp + (long)n * c * hw, dst = (float*)yp + (long)n * hw * c;
            for (int p0 = start; p0 < end; p0 += 64)
            {
                int p1 = Math.Min(end, p0 + 64);
                for (int ch = 0; ch < c; ch++)
                {
                    float* s = src + (long)ch * hw;
                    for (int p = p0; p < p1; p++) dst[(long)p * c + ch] = s[p];
                }
            }
        });
    }

    /// <summary>Same contract as <see cref="TrainOps.ConcatColumns"/>, on host memory.</summary>
    public static void ConcatColumns(Tensor a, Tensor b, Tensor y)
    {
        int ca = a.Shape[-1], cb = b.Shape[-1], n = (int)(y.Length / Math.Max(1, ca + cb));
        nint ap = (nint)a.HostPointer<float>(), bp = (nint)b.HostPointer<float>(), yp = (nint)y.HostPointer<float>();
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 4096), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                float* row = (float*)yp + r * (ca + cb);
                new ReadOnlySpan<float>((float*)ap + r * ca, ca).CopyTo(new Span<float>(row, ca));
                new ReadOnlySpan<float>((float*)bp + r * cb, cb).CopyTo(new Span<float>(row + ca, cb));
            }
        });
    }

    /// <summary>Same contract as <see cref="TrainOps.SliceColumns"/>, on host memory.</summary>
    public static void SliceColumns(Tensor y, Tensor o, int offset)
    {
        int total = y.Shape[-1], width = o.Shape[-1], n = (int)(o.Length / Math.Max(1, width));
        nint yp = (nint)y.HostPointer<float>(), op = (nint)o.HostPointer<float>();
        HostVector.ForBlocks(1, n, HostVector.BlockFor(n, 4096), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            for (long r = start; r < end; r++)
                new ReadOnlySpan<float>((float*)yp + r * total + offset, width).CopyTo(new Span<float>((float*)op + r * width, width));
        });
    }

    /// <summary>Same contract as <see cref="TrainOps.Upsample"/> (channels-last), on host memory.</summary>
    public static void Upsample(Tensor x, Tensor y)
    {
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3], oh = y.Shape[1], ow = y.Shape[2];
        nint xp = (nint)x.HostPointer<float>(), yp = (nint)y.HostPointer<float>();
        HostCpu.For(b * oh, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (row) =>
        {
            int n = row / oh, py = row - n * oh;
            TrainOps.Taps(py, h, oh, out int y0, out int y1, out float ly);
            float* src = (float*)xp + (long)n * h * w * c;
            for (int px = 0; px < ow; px++)
            {
                TrainOps.Taps(px, w, ow, out int x0, out int x1, out float lx);
                float* v00 = src + ((long)y0 * w + x0) * c, v01 = src + ((long)y0 * w + x1) * c;
                float* v10 = src + ((long)y1 * w + x0) * c, v11 = src + ((long)y1 * w + x1) * c;
                float* dst = (float*)yp + ((long)row * ow + px) * c;
                var a = Vector512.Create(1f - lx);
                var bl = Vector512.Create(lx);
                var top = Vector512.Create(1f - ly);
                var bottom = Vector512.Create(ly);
                for (int ch = 0; ch < c; ch += HostVector.Lanes)
                {
                    int lanes = Math.Min(HostVector.Lanes, c - ch);
                    var t = a * HostVector.Load(v00 + ch, lanes) + bl * HostVector.Load(v01 + ch, lanes);
                    var u = a * HostVector.Load(v10 + ch, lanes) + bl * HostVector.Load(v11 + ch, lanes);
                    HostVector.Store(top * t + bottom * u, dst + ch, lanes);
                }
            }
        });
    }

    /// <summary>Same contract as <see cref="TrainOps.UpsampleBackward"/> (dx overwritten), on host memory.</summary>
    public static void UpsampleBackward(Tensor dy, Tensor dx)
    {
        int b = dx.Shape[0], h = dx.Shape[1], w = dx.Shape[2], c = dx.Shape[3], oh = dy.Shape[1], ow = dy.Shape[2];
        dx.HostSpan<float>().Clear();
        nint gp = (nint)dy.HostPointer<float>(), xp = (nint)dx.HostPointer<float>();
        int band = Math.Max(1, h / Math.Max(1, 4 * HostCpu.Cores / Math.Max(1, b)));
        int bands = (h + band - 1) / band;
        HostCpu.For(b * bands, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (item) =>
        {
            int n = item / bands, r0 = (item - n * bands) * band, r1 = Math.Min(h, r0 + band);
            float* g = (float*)gp + (long)n * oh * ow * c, d = (float*)xp + (long)n * h * w * c;
            for (int py = 0; py < oh; py++)
            {
                TrainOps.Taps(py, h, oh, out int y0, out int y1, out float ly);
                bool first = y0 >= r0 && y0 < r1, second = y1 >= r0 && y1 < r1;
                if (!first && !second) continue;
                for (int px = 0; px < ow; px++)
                {
                    TrainOps.Taps(px, w, ow, out int x0, out int x1, out float lx);
                    float* gr = g + ((long)py * ow + px) * c;
                    if (first)
                    {
                        AddScaled(gr, (1f - ly) * (1f - lx), d + ((long)y0 * w + x0) * c, c);
                        AddScaled(gr, (1f - ly) * lx, d + ((long)y0 * w + x1) * c, c);
                    }
                    if (second)
                    {
                        AddScaled(gr, ly * (1f - lx), d + ((long)y1 * w + x0) * c, c);
                        AddScaled(gr, ly * lx, d + ((long)y1 * w + x1) * c, c);
                    }
                }
            }
        });
    }

    // d[0..c) += s·g[0..c), as the kernel's atomic adds of (weight·g) (product first, then one add).
    private static void AddScaled(float* g, float s, float* d, int c)
    {
        var vs = Vector512.Create(s);
        for (int ch = 0; ch < c; ch += HostVector.Lanes)
        {
            int lanes = Math.Min(HostVector.Lanes, c - ch);
            HostVector.Store(HostVector.Load(d + ch, lanes) + vs * HostVector.Load(g + ch, lanes), d + ch, lanes);
        }
    }
}
