// Host version of the 2×2 stride-2 transposed convolution (math in ConvTranspose2x2.cs):
//   Y'[b] (4·Cout, H·W) = Aᵀ · X[b],  A = weight viewed (Cin, 4·Cout) (row m = o·4 + i·2 + j), then
//   y[b, o, 2·y0 + i, 2·x0 + j] = Y'[b, o·4 + i·2 + j, y0·W + x0] + bias[o]   (a pixel shuffle).
// The four taps are four independent GEMMs sharing X; they run as one (4·Cout × Cin × HW) host GEMM
// (Gemm.Matmul with Gemm.HostOrDefault, its host version: the packed, register-blocked host GEMM; until it lands on main the call falls
// back to the simulator's v1, so this file keeps working unchanged when it does).
// What bounds it: EoMT-B-640's second upscale (Cin = Cout = 768, 80² → 160²) is 2·3072·768·6400 = 30 GFLOP against
// 20 MB in, 79 MB out: compute-bound, ~80 ms at the 2-core Zen 5's ~380 GFLOP/s FMA peak. The shuffle pass re-reads
// and writes 79 MB (~8 ms at ~20 GB/s, ~10 %): the price of calling a plain GEMM rather than fusing the scatter into
// its store.
// Shuffle loop: per output row (o, 2·y0 + i) the two tap rows j = 0, 1 are interleaved 16 + 16 → 32 floats with one
// two-source permute each half (vpermt2ps), + bias, one streaming write; rows spread over the cores.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="ConvTranspose2x2"/>: one host GEMM per batch item plus a vectorised pixel shuffle.</summary>
public static unsafe class ConvTranspose2x2Host
{
    private static readonly Vector512<int> LowHalf = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> HighHalf = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Same contract as <see cref="ConvTranspose2x2.Forward"/>, on host memory.</summary>
    public static void Forward(Tensor x, Tensor weight, Tensor bias, Tensor y)
    {
        int b = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], w = x.Shape[3], cout = weight.Shape[1], hw = h * w;
        var taps = x.Device.Scratch.Get("conv_transpose_2x2.taps", new Shape(4 * cout, hw)); // kept: no allocation per call
        var a = weight.Reshape(cin, 4 * cout);
        for (int n = 0; n < b; n++)
        {
            if (cin == 0) taps.HostSpan<float>().Clear();
            else Gemm.Matmul(a, x.Slice(n, 1).Reshape(cin, hw), taps, transA: true, version: Gemm.HostOrDefault);
            Shuffle(taps.HostPointer<float>(), bias.HostPointer<float>(), y.HostPointer<float>() + (long)n * cout * 4 * hw, cout, h, w);
        }
    }

    /// <summary>y (Cout, 2H, 2W) = pixel shuffle of taps (4·Cout, H·W) + bias.</summary>
    public static void Shuffle(float* taps, float* bias, float* y, int cout, int h, int w)
    {
        nint tp = (nint)taps, bp = (nint)bias, yp = (nint)y;
        HostCpu.For(cout, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o) =>
        {
            float* t = (float*)tp, outp = (float*)yp;
            var bo = Vector512.Create(((float*)bp)[o]);
            for (int oy = 0; oy < 2 * h; oy++)
            {
                int i = oy & 1, y0 = oy >> 1;
                float* even = t + ((long)o * 4 + i * 2) * h * w + (long)y0 * w, odd = even + (long)h * w;
                float* row = outp + ((long)o * 2 * h + oy) * 2 * w;
                int x0 = 0;
                if (Avx512F.IsSupported)
                    for (; x0 + 16 <= w; x0 += 16)
                    {
                        var e = Vector512.Load(even + x0) + bo;
                        var d = Vector512.Load(odd + x0) + bo;
                        Avx512F.PermuteVar16x32x2(e, LowHalf, d).Store(row + 2 * x0);
                        Avx512F.PermuteVar16x32x2(e, HighHalf, d).Store(row + 2 * x0 + 16);
                    }
                float bs = bo.ToScalar();
                for (; x0 < w; x0++)
                {
                    row[2 * x0] = even[x0] + bs;
                    row[2 * x0 + 1] = odd[x0] + bs;
                }
            }
        });
    }
}
