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
            if (HostSimd.Wide) ReluBackwardBlock<Simd512, Vector512<float>>(yv, g, o, n);
            else ReluBackwardBlock<Simd256, Vector256<float>>(yv, g, o, n);
        }, secondIsOutput: false);

    private static void ReluBackwardBlock<TS, TV>(float* yv, float* g, float* o, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        for (int i = 0; i < n; i += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, n - i);
            var keep = TS.GreaterThan(HostSimd.LoadTail<TS, TV>(yv + i, lanes), TS.Zero);
            HostSimd.StoreTail<TS, TV>(o + i, TS.Select(keep, HostSimd.LoadTail<TS, TV>(g + i, lanes), TS.Zero), lanes);
        }
    }

    /// <summary>Same contract as <see cref="TrainOps.Dropout"/> (same mask as the kernel), on host memory.</summary>
    public static void Dropout(Tensor x, Tensor y, float p, int seed, int stream)
    {
        uint key = TrainOps.Mix((uint)seed ^ TrainOps.Mix((uint)stream + 0x9e3779b9U));
        float scale = 1f / (1f - p);
        float* x0 = x.HostPointer<float>();
        Blocks(x.Length, x0, y.HostPointer<float>(), null, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (a, _, o, n) =>
        {
            uint first = (uint)(a - x0);
            if (HostSimd.Wide) DropoutBlock<Simd512, Vector512<float>>(a, o, n, key, first, p, scale);
            else DropoutBlock<Simd256, Vector256<float>>(a, o, n, key, first, p, scale);
        });
    }

    // The lowbias32 hash of (key + index) drawn per lane in integer lanes (ISimd.CounterUniform), as the kernel draws it.
    private static void DropoutBlock<TS, TV>(float* a, float* o, int n, uint key, uint first, float p, float scale)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV vp = TS.Splat(p), vs = TS.Splat(scale);
        for (int i = 0; i < n; i += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, n - i);
            var u = TS.CounterUniform(key, first + (uint)i);
            var v = TS.Mul(HostSimd.LoadTail<TS, TV>(a + i, lanes), vs);
            HostSimd.StoreTail<TS, TV>(o + i, TS.Select(TS.GreaterThanOrEqual(u, vp), v, TS.Zero), lanes);
        }
    }

    private delegate void BlockBody(float* a, float* b, float* o, int n);

    // body over [start, start+n) blocks of a flat tensor on all cores; b is a second input (or null).
    private static void Blocks(long length, float* a, float* o, float* b, BlockBody body, bool secondIsOutput = true)
    {
        int n = (int)length;
        nint ap = (nint)a, op = (nint)o, bp = (nint)b;
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 16384), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
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
        HostSplit.ForBlocks(b, hw, HostSplit.BlockFor((long)b * hw, 4096), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
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
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 4096), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
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
        HostSplit.ForBlocks(1, n, HostSplit.BlockFor(n, 4096), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
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
                if (HostSimd.Wide) Mix4<Simd512, Vector512<float>>(v00, v01, v10, v11, lx, ly, dst, c);
                else Mix4<Simd256, Vector256<float>>(v00, v01, v10, v11, lx, ly, dst, c);
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

    // dst[0..c) = (1 − ly)·((1 − lx)·v00 + lx·v01) + ly·((1 − lx)·v10 + lx·v11), the kernel's operation order.
    private static void Mix4<TS, TV>(float* v00, float* v01, float* v10, float* v11, float lx, float ly, float* dst, int c)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV a = TS.Splat(1f - lx), bl = TS.Splat(lx), top = TS.Splat(1f - ly), bottom = TS.Splat(ly);
        for (int ch = 0; ch < c; ch += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, c - ch);
            var t = TS.Add(TS.Mul(a, HostSimd.LoadTail<TS, TV>(v00 + ch, lanes)), TS.Mul(bl, HostSimd.LoadTail<TS, TV>(v01 + ch, lanes)));
            var u = TS.Add(TS.Mul(a, HostSimd.LoadTail<TS, TV>(v10 + ch, lanes)), TS.Mul(bl, HostSimd.LoadTail<TS, TV>(v11 + ch, lanes)));
            HostSimd.StoreTail<TS, TV>(dst + ch, TS.Add(TS.Mul(top, t), TS.Mul(bottom, u)), lanes);
        }
    }

    // d[0..c) += s·g[0..c), as the kernel's atomic adds of (weight·g) (product first, then one add).
    private static void AddScaled(float* g, float s, float* d, int c)
    {
        if (HostSimd.Wide) AddScaled<Simd512, Vector512<float>>(g, s, d, c);
        else AddScaled<Simd256, Vector256<float>>(g, s, d, c);
    }

    private static void AddScaled<TS, TV>(float* g, float s, float* d, int c) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var vs = TS.Splat(s);
        for (int ch = 0; ch < c; ch += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, c - ch);
            HostSimd.StoreTail<TS, TV>(d + ch, TS.Add(HostSimd.LoadTail<TS, TV>(d + ch, lanes), TS.Mul(vs, HostSimd.LoadTail<TS, TV>(g + ch, lanes))), lanes);
        }
    }
}
