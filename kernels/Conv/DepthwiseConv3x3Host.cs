// Host version of the depthwise 3×3 convolution, padding 1, no bias (math in DepthwiseConv3x3.cs):
//   y[b, c, h, w] = Σ_{i,j ∈ 0..2} weight[c, i, j] · x[b, c, h + i − 1, w + j − 1]   (zero outside the plane).
// What bounds it: 9 FMAs per 8 bytes moved. EoMT-B-640's second upscale output (768 × 160² floats) is 79 MB in and
// 79 MB out, 0.35 GFLOP: ~8 ms at ~20 GB/s against ~1 ms of FMAs on the 2-core Zen 5: bandwidth-bound.
// Loops: work item = one (b, c) plane (100 KB at 160²: L2), so the three input rows an output row needs are L1/L2
// hits after their first read. Per output row, 16 outputs per zmm: 9 unaligned loads (rows h−1, h, h+1 at column
// offsets −1, 0, +1) and 9 FMAs with the 9 weights held in registers (9 of 32 zmm). Columns 0 and W − 1 and the
// ragged tail, which would read outside the row, take a scalar path with the bounds checks.
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
            {
                var acc = TS.Fma(k3, TS.Load(mid + col - 1), TS.Fma(k4, TS.Load(mid + col), TS.Mul(k5, TS.Load(mid + col + 1))));
                if (up != null)
                    acc = TS.Fma(k0, TS.Load(up + col - 1), TS.Fma(k1, TS.Load(up + col), TS.Fma(k2, TS.Load(up + col + 1), acc)));
                if (down != null)
                    acc = TS.Fma(k6, TS.Load(down + col - 1), TS.Fma(k7, TS.Load(down + col), TS.Fma(k8, TS.Load(down + col + 1), acc)));
                TS.Store(yr + col, acc);
            }
            for (; col < w; col++) Scalar(x, k, y, h, w, r, col);
        }
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
