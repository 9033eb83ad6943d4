// Host version of the PyTorch-exact bilinear resize (align_corners = False, no antialias; math in Bilinear.cs):
//   y[oy, ox] = lerp_y(lerp_x(x[y0, x0], x[y0, x1]), lerp_x(x[y1, x0], x[y1, x1]))  with torch's source coordinates.
// Evaluated vertical-first: t = (1 − λʸ)·x[y0, :] + λʸ·x[y1, :] over the input row (contiguous, vectorised), then
// y[ox] = (1 − λˣ)·t[x0] + λˣ·t[x1] (a gather from an L1-resident row). Same value, ≤ 1 ulp different rounding.
// What bounds it: EoMT-B-640's mask logits 100 × 160² → 100 × 640² is 10 MB read and 164 MB written, ~3 FLOPs per
// output: ~8 ms at ~20 GB/s on the 2-core Zen 5, bandwidth-bound (the writes).
// Loops: the column taps (x0, x1, λˣ) are computed once per call; work item = a band of output rows of one plane;
// per output row one vertical pass over the input row into a scratch row (≤ a few KB: L1), then the horizontal
// pass, 8 outputs per ymm with two 8-lane gathers (vgatherdps) from the scratch row.
// Optimisations: the taps are never recomputed per element; the gathers hit L1; the output is one streaming write.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="Bilinear"/>: vertical lerp per row, then gathered horizontal lerp.</summary>
public static unsafe class BilinearHost
{
    /// <summary>Same contract as <see cref="Bilinear.Resize"/>, on host memory.</summary>
    public static void Resize(Tensor x, Tensor y) =>
        Resize(x.HostPointer<float>(), y.HostPointer<float>(), y.Shape[0] * y.Shape[1], x.Shape[2], x.Shape[3], y.Shape[2], y.Shape[3]);

    /// <summary>y (planes, outH, outW) = bilinear resize of x (planes, inH, inW).</summary>
    public static void Resize(float* x, float* y, int planes, int inH, int inW, int outH, int outW)
    {
        if (planes == 0 || outH == 0 || outW == 0) return;
        float scaleH = (float)inH / outH, scaleW = (float)inW / outW;
        var ints = ArrayPool<int>.Shared.Rent(2 * outW);
        var floats = ArrayPool<float>.Shared.Rent(outW);
        try
        {
            for (int ox = 0; ox < outW; ox++)
            {
                Tap(scaleW, ox, inW, out ints[ox], out ints[outW + ox], out floats[ox]);
            }
            fixed (int* taps = ints)
            fixed (float* lambdas = floats)
            {
                nint xp = (nint)x, yp = (nint)y, tp = (nint)taps, lp = (nint)lambdas;
                int band = Math.Max(1, Math.Min(outH, (int)Math.Min(int.MaxValue, 65536L / Math.Max(1, outW))));
                int bands = (outH + band - 1) / band;
                HostCpu.For(planes * bands, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (item) =>
                {
                    int plane = item / bands, oy0 = (item - plane * bands) * band;
                    var row = ArrayPool<float>.Shared.Rent(inW + 16);
                    try
                    {
                        fixed (float* t = row)
                            for (int oy = oy0; oy < Math.Min(outH, oy0 + band); oy++)
                            {
                                Tap(scaleH, oy, inH, out int y0, out int y1, out float ly);
                                float* src = (float*)xp + (long)plane * inH * inW;
                                Vertical(src + (long)y0 * inW, src + (long)y1 * inW, ly, t, inW);
                                Horizontal(t, (int*)tp, (float*)lp, (float*)yp + ((long)plane * outH + oy) * outW, outW);
                            }
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(row);
                    }
                });
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ints);
            ArrayPool<float>.Shared.Return(floats);
        }
    }

    // torch's source coordinate for output index d (clamped at 0), the two taps and the weight of the second.
    internal static void Tap(float scale, int d, int inSize, out int i0, out int i1, out float l1)
    {
        float s = MathF.Max(scale * (d + 0.5f) - 0.5f, 0f);
        i0 = Math.Min((int)s, inSize - 1);
        i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
        l1 = Math.Clamp(s - i0, 0f, 1f);
    }

    private static void Vertical(float* r0, float* r1, float ly, float* t, int n)
    {
        if (HostSimd.Wide) Vertical<Simd512, Vector512<float>>(r0, r1, ly, t, n);
        else Vertical<Simd256, Vector256<float>>(r0, r1, ly, t, n);
    }

    private static void Vertical<TS, TV>(float* r0, float* r1, float ly, float* t, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV a = TS.Splat(1f - ly), b = TS.Splat(ly);
        for (int i = 0; i < n; i += TS.Lanes)
        {
            int lanes = Math.Min(TS.Lanes, n - i);
            HostSimd.StoreTail<TS, TV>(t + i, TS.Fma(a, HostSimd.LoadTail<TS, TV>(r0 + i, lanes), TS.Mul(b, HostSimd.LoadTail<TS, TV>(r1 + i, lanes))), lanes);
        }
    }

    private static void Horizontal(float* t, int* taps, float* lambdas, float* y, int outW)
    {
        int* x1 = taps + outW;
        int ox = 0;
        if (Avx2.IsSupported) // .NET exposes 8-lane gathers only (vgatherdps ymm)
            for (; ox + 8 <= outW; ox += 8)
            {
                var l = Vector256.Load(lambdas + ox);
                var v0 = Avx2.GatherVector256(t, Vector256.Load(taps + ox), 4);
                var v1 = Avx2.GatherVector256(t, Vector256.Load(x1 + ox), 4);
                Vector256.FusedMultiplyAdd(Vector256<float>.One - l, v0, l * v1).Store(y + ox);
            }
        for (; ox < outW; ox++)
        {
            float l = lambdas[ox];
            y[ox] = (1f - l) * t[taps[ox]] + l * t[x1[ox]];
        }
    }
}
