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
//   upsample: separable, per output row: the vertical lerp of the two input rows into a scratch row (W·C floats,
//            L1/L2), then each output pixel's C-long run is the lerp of two runs of it (channels-last makes every tap
//            a contiguous run); 2 FLOPs and one (streaming, when C is whole vectors) store per output float.
//            Napkin math at the bench shape (1×160²×64 → 640²×64): 6.6 MB read, 105 MB written: bound by the writes.
//            Backward: the adjoint, separably and deterministically (no atomics): work item = (batch item, band of
//            input rows); each item walks the output rows whose taps touch its band; per such row the horizontal
//            adjoint into a scratch row (2 FMAs per dy float, dy read once), then two scaled row adds into its own dx
//            rows, in output order (the same result on any core count). 105 MB of dy read, 6.6 MB of dx written.
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluBackwardBlock<TS, TV>(float* yv, float* g, float* o, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int i = 0;
        for (; i + TS.Lanes <= n; i += TS.Lanes) TS.Store(o + i, TS.Select(TS.GreaterThan(TS.Load(yv + i), TS.Zero), TS.Load(g + i), TS.Zero));
        if (i < n)
            HostSimd.StoreTail<TS, TV>(o + i, TS.Select(TS.GreaterThan(HostSimd.LoadTail<TS, TV>(yv + i, n - i), TS.Zero), HostSimd.LoadTail<TS, TV>(g + i, n - i), TS.Zero), n - i);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        // Streaming stores when the output is far larger than L2 and every pixel row starts on a vector boundary.
        bool stream = y.Length * 4L > 8L << 20 && c % 16 == 0 && (yp & 63) == 0;
        HostCpu.For(b * oh, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (row) =>
        {
            int n = row / oh, py = row - n * oh;
            TrainOps.Taps(py, h, oh, out int y0, out int y1, out float ly);
            float* src = (float*)xp + (long)n * h * w * c, dst = (float*)yp + (long)row * ow * c;
            using var t = new PooledFloats(w * c);
            if (HostSimd.Wide) UpsampleRow<Simd512, Vector512<float>>(src + (long)y0 * w * c, src + (long)y1 * w * c, ly, t.Pointer, dst, w, c, ow, stream);
            else UpsampleRow<Simd256, Vector256<float>>(src + (long)y0 * w * c, src + (long)y1 * w * c, ly, t.Pointer, dst, w, c, ow, stream);
        });
    }

    // One output row: the vertical lerp of the two input rows into t (W·C floats, L1/L2), then per output pixel the
    // horizontal lerp of two C-long runs of t. Vertical first (as BilinearHost): same value, ≤ 1 ulp other rounding.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpsampleRow<TS, TV>(float* r0, float* r1, float ly, float* t, float* dst, int w, int c, int ow, bool stream)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int n = w * c;
        TV top = TS.Splat(1f - ly), bottom = TS.Splat(ly);
        HostSimd.Lerp<TS, TV>(r0, r1, top, bottom, t, n);
        for (int px = 0; px < ow; px++, dst += c)
        {
            TrainOps.Taps(px, w, ow, out int x0, out int x1, out float lx);
            float* v0 = t + (long)x0 * c, v1 = t + (long)x1 * c;
            TV a = TS.Splat(1f - lx), bl = TS.Splat(lx);
            if (stream)
                for (int ch = 0; ch < c; ch += TS.Lanes)
                    TS.StoreStream(dst + ch, TS.Fma(a, TS.Load(v0 + ch), TS.Mul(bl, TS.Load(v1 + ch))));
            else HostSimd.Lerp<TS, TV>(v0, v1, a, bl, dst, c);
        }
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
            using var t = new PooledFloats(w * c);
            for (int py = 0; py < oh; py++)
            {
                TrainOps.Taps(py, h, oh, out int y0, out int y1, out float ly);
                bool first = y0 >= r0 && y0 < r1, second = y1 >= r0 && y1 < r1;
                if (!first && !second) continue;
                if (HostSimd.Wide) UpsampleBackwardRow<Simd512, Vector512<float>>(g + (long)py * ow * c, t.Pointer, d, y0, y1, ly, first, second, w, c, ow);
                else UpsampleBackwardRow<Simd256, Vector256<float>>(g + (long)py * ow * c, t.Pointer, d, y0, y1, ly, first, second, w, c, ow);
            }
        });
    }

    // The adjoint of one output row, separably: t (W·C) = the row's horizontal adjoint (each output pixel's C-run added
    // into its two taps, weights 1 − λx and λx), then dx[y0] += (1 − λy)·t and dx[y1] += λy·t for the rows of this
    // work item. dy is read once; t stays in L1/L2. Each dx row is updated by the output rows in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpsampleBackwardRow<TS, TV>(float* gr, float* t, float* d, int y0, int y1, float ly, bool first, bool second, int w, int c, int ow)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        new Span<float>(t, w * c).Clear();
        for (int px = 0; px < ow; px++, gr += c)
        {
            TrainOps.Taps(px, w, ow, out int x0, out int x1, out float lx);
            float* t0 = t + (long)x0 * c, t1 = t + (long)x1 * c;
            TV a = TS.Splat(1f - lx), bl = TS.Splat(lx);
            int ch = 0;
            for (; ch + TS.Lanes <= c; ch += TS.Lanes)
            {
                var g = TS.Load(gr + ch);
                TS.Store(t0 + ch, TS.Fma(a, g, TS.Load(t0 + ch)));
                TS.Store(t1 + ch, TS.Fma(bl, g, TS.Load(t1 + ch)));
            }
            if (ch < c)
            {
                int lanes = c - ch;
                var g = HostSimd.LoadTail<TS, TV>(gr + ch, lanes);
                HostSimd.StoreTail<TS, TV>(t0 + ch, TS.Fma(a, g, HostSimd.LoadTail<TS, TV>(t0 + ch, lanes)), lanes);
                HostSimd.StoreTail<TS, TV>(t1 + ch, TS.Fma(bl, g, HostSimd.LoadTail<TS, TV>(t1 + ch, lanes)), lanes);
            }
        }
        if (first) AddScaled<TS, TV>(t, 1f - ly, d + (long)y0 * w * c, w * c);
        if (second) AddScaled<TS, TV>(t, ly, d + (long)y1 * w * c, w * c);
    }

    // d[0..n) += s·g[0..n).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled<TS, TV>(float* g, float s, float* d, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var vs = TS.Splat(s);
        int i = 0;
        for (; i + TS.Lanes <= n; i += TS.Lanes) TS.Store(d + i, TS.Fma(vs, TS.Load(g + i), TS.Load(d + i)));
        if (i < n) HostSimd.StoreTail<TS, TV>(d + i, TS.Fma(vs, HostSimd.LoadTail<TS, TV>(g + i, n - i), HostSimd.LoadTail<TS, TV>(d + i, n - i)), n - i);
    }
}
