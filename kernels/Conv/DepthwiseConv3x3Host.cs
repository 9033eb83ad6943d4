// Host version of the depthwise 3×3 convolution, padding 1, no bias (math in DepthwiseConv3x3.cs):
//   y[b, c, h, w] = Σ_{i,j ∈ 0..2} weight[c, i, j] · x[b, c, h + i − 1, w + j − 1]   (zero outside the plane).
// What bounds it: 9 FMAs per 8 bytes moved. EoMT-B-640's second upscale output (768 × 160² floats) is 79 MB in and
// 79 MB out, 0.35 GFLOP: ~8 ms at ~20 GB/s against ~1 ms of FMAs on the 2-core Zen 5: bandwidth-bound.
// Loops: work item = one (b, c) plane (100 KB at 160²: L2), so the three input rows an output row needs are L1/L2
// hits after their first read. Per output row, 16 outputs per zmm: 9 unaligned loads (rows h−1, h, h+1 at column
// offsets −1, 0, +1) and 9 FMAs with the 9 weights held in registers (9 of 32 zmm). Columns 0 and W − 1, which would read
// outside the row, take a scalar path with the bounds checks; the ragged tail is one more vector ending at W − 2 (it
// overlaps the last full one and rewrites the same values), so a 160-wide row has 2 scalar outputs, not up to 17.
// Optimisations: weights broadcast once per plane; no padded copy of the input (the border is the scalar path).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="DepthwiseConv3x3"/>: one plane per work item, 16 outputs per vector.</summary>
public static unsafe class DepthwiseConv3x3Host
{
    /// <summary>Same contract as <see cref="DepthwiseConv3x3.Forward"/>, on host memory.</summary>
    public static void Forward(Tensor x, Tensor weight, Tensor y) =>
        Forward(x.HostPointer<float>(), weight.HostPointer<float>(), y.HostPointer<float>(), x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);

    /// <summary>y (B,C,H,W) = depthwise 3×3 of x with weight (C, 9).</summary>
    public static void Forward(float* x, float* weight, float* y, int b, int c, int h, int w)
    {
        nint xp = (nint)x, wp = (nint)weight, yp = (nint)y;
        HostCpu.For(b * c, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (plane) =>
        {
            long o = (long)plane * h * w;
            Plane((float*)xp + o, (float*)wp + (long)(plane % c) * 9, (float*)yp + o, h, w);
        });
    }

    private static void Plane(float* x, float* k, float* y, int h, int w)
    {
        if (HostSimd.Wide) Plane<Simd512, Vector512<float>>(x, k, y, h, w);
        else Plane<Simd256, Vector256<float>>(x, k, y, h, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane<TS, TV>(float* x, float* k, float* y, int h, int w) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV k0 = TS.Splat(k[0]), k1 = TS.Splat(k[1]), k2 = TS.Splat(k[2]);
        TV k3 = TS.Splat(k[3]), k4 = TS.Splat(k[4]), k5 = TS.Splat(k[5]);
        TV k6 = TS.Splat(k[6]), k7 = TS.Splat(k[7]), k8 = TS.Splat(k[8]);
        int l = TS.Lanes;
        for (int r = 0; r < h; r++)
        {
            float* yr = y + (long)r * w, mid = x + (long)r * w;
            float* up = r > 0 ? mid - w : null, down = r < h - 1 ? mid + w : null;
            Scalar(x, k, y, h, w, r, 0);
            int col = 1;
            for (; col + l + 1 <= w; col += l) // reads columns col − 1 … col + Lanes, all inside the row
                Vector<TS, TV>(mid + col, up == null ? null : up + col, down == null ? null : down + col, yr + col, k0, k1, k2, k3, k4, k5, k6, k7, k8);
            if (col < w - 1 && w >= l + 2) // the ragged tail as one vector ending at column w − 2 (overlaps, same values)
            {
                col = w - 1 - l;
                Vector<TS, TV>(mid + col, up == null ? null : up + col, down == null ? null : down + col, yr + col, k0, k1, k2, k3, k4, k5, k6, k7, k8);
                col = w - 1;
            }
            for (; col < w; col++) Scalar(x, k, y, h, w, r, col);
        }
    }

    // Lanes outputs at mid (columns −1 … +Lanes read); up/down null at the plane's first/last row (zero padding).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Vector<TS, TV>(float* mid, float* up, float* down, float* yr, TV k0, TV k1, TV k2, TV k3, TV k4, TV k5, TV k6, TV k7, TV k8)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var acc = TS.Fma(k3, TS.Load(mid - 1), TS.Fma(k4, TS.Load(mid), TS.Mul(k5, TS.Load(mid + 1))));
        if (up != null)
            acc = TS.Fma(k0, TS.Load(up - 1), TS.Fma(k1, TS.Load(up), TS.Fma(k2, TS.Load(up + 1), acc)));
        if (down != null)
            acc = TS.Fma(k6, TS.Load(down - 1), TS.Fma(k7, TS.Load(down), TS.Fma(k8, TS.Load(down + 1), acc)));
        TS.Store(yr, acc);
    }

    // One output with the bounds checks (borders and the tail), in the kernel's tap order.
    private static void Scalar(float* x, float* k, float* y, int h, int w, int r, int col)
    {
        if (col >= w) return;
        float acc = 0f;
        for (int di = 0; di < 3; di++)
        {
            int rr = r + di - 1;
            if (rr < 0 || rr >= h) continue;
            for (int dj = 0; dj < 3; dj++)
            {
                int cc = col + dj - 1;
                if (cc < 0 || cc >= w) continue;
                acc += k[di * 3 + dj] * x[(long)rr * w + cc];
            }
        }
        y[(long)r * w + col] = acc;
    }
}
