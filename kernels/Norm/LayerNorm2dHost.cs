// Host version of LayerNorm2d (math in LayerNorm2d.cs): per pixel of (B, C, H, W), over the C channel planes,
//   μ = mean_c x,  σ² = mean_c (x − μ)²,  y = (x − μ)·rsqrt(σ² + eps)·gamma[c] + beta[c].
// What bounds it: EoMT-B-640's upscale output (768 × 160² floats) is 79 MB read and 79 MB written for ~8 FLOPs per
// element: ~8 ms at ~20 GB/s on the 2-core Zen 5, bandwidth-bound, so the three passes must cost one DRAM read.
// Loops: work item = a block of 128 pixels of one batch item (8 zmm of pixels). The block's C × 128 floats (393 KB at
// C = 768) stay in L2 across the three passes (sum, squared deviations, write), so DRAM sees one read and one write;
// every channel row of the block is 512 contiguous bytes (8 cache lines per page touched: TLB-friendly). The 8
// per-pixel sums live in a stack array of 8 zmm (L1), the channel loop is the outer one.
// Optimisations: two-pass variance as the kernel (no E[x²] − μ² cancellation); no transpose to channels-last;
// ragged pixel tails through the same vector code (HostSimd partial loads).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="LayerNorm2d"/>: pixel blocks kept in L2 across the three passes.</summary>
public static unsafe class LayerNorm2dHost
{
    private const int BlockVectors = 8, Block = BlockVectors * 16;

    /// <summary>Same contract as <see cref="LayerNorm2d.Forward"/> (y may alias x), on host memory.</summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor y, float eps) =>
        Forward(x.HostPointer<float>(), gamma.HostPointer<float>(), beta.HostPointer<float>(), y.HostPointer<float>(),
            x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3], eps);

    /// <summary>y (B,C,P) = LayerNorm over C of x (B,C,P).</summary>
    public static void Forward(float* x, float* gamma, float* beta, float* y, int b, int c, int pixels, float eps)
    {
        nint xp = (nint)x, gp = (nint)gamma, bp = (nint)beta, yp = (nint)y;
        HostSplit.ForBlocks(b, pixels, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            long o = (long)n * c * pixels + start;
            if (HostSimd.Wide) Normalize<Simd512, Vector512<float>>((float*)xp + o, (float*)gp, (float*)bp, (float*)yp + o, c, pixels, end - start, eps);
            else Normalize<Simd256, Vector256<float>>((float*)xp + o, (float*)gp, (float*)bp, (float*)yp + o, c, pixels, end - start, eps);
        });
    }

    // A block of ≤ 128 pixels: 8 Vector512 or 16 Vector256 per quantity.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize<TS, TV>(float* x, float* gamma, float* beta, float* y, int c, long stride, int count, float eps)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, nv = (count + l - 1) / l;
        var mean = stackalloc TV[Block / 8];
        var rstd = stackalloc TV[Block / 8];
        for (int v = 0; v < nv; v++) mean[v] = rstd[v] = TS.Zero;
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            for (int v = 0; v < nv; v++) mean[v] = TS.Add(mean[v], HostSimd.LoadTail<TS, TV>(row + v * l, count - v * l));
        }
        for (int v = 0; v < nv; v++) mean[v] = TS.Div(mean[v], TS.Splat(c));
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            for (int v = 0; v < nv; v++)
            {
                var d = TS.Sub(HostSimd.LoadTail<TS, TV>(row + v * l, count - v * l), mean[v]);
                rstd[v] = TS.Fma(d, d, rstd[v]);
            }
        }
        for (int v = 0; v < nv; v++)
            rstd[v] = TS.Div(TS.One, TS.Sqrt(TS.Add(TS.Div(rstd[v], TS.Splat(c)), TS.Splat(eps))));
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride, outRow = y + ch * stride;
            TV g = TS.Splat(gamma[ch]), be = TS.Splat(beta[ch]);
            for (int v = 0; v < nv; v++)
            {
                var d = TS.Mul(TS.Sub(HostSimd.LoadTail<TS, TV>(row + v * l, count - v * l), mean[v]), rstd[v]);
                HostSimd.StoreTail<TS, TV>(outRow + v * l, TS.Fma(d, g, be), count - v * l);
            }
        }
    }
}
