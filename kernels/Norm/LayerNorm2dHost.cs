// Host version of LayerNorm2d (math in LayerNorm2d.cs): per pixel of (B, C, H, W), over the C channel planes,
//   μ = mean_c x,  σ² = mean_c (x − μ)²,  y = (x − μ)·rsqrt(σ² + eps)·gamma[c] + beta[c].
// What bounds it: EoMT-B-640's upscale output (768 × 160² floats) is 79 MB read and 79 MB written for ~8 FLOPs per
// element: ~8 ms at ~20 GB/s on the 2-core Zen 5, bandwidth-bound, so the three passes must cost one DRAM read.
// Loops: work item = a block of 128 pixels of one batch item (8 zmm of pixels). The block's C × 128 floats (393 KB at
// C = 768) stay in L2 across the three passes (sum, squared deviations, write), so DRAM sees one read and one write;
// every channel row of the block is 512 contiguous bytes (8 cache lines per page touched: TLB-friendly). The 8
// per-pixel sums live in a stack array of 8 zmm (L1), the channel loop is the outer one; a whole block keeps them
// (and the means and rstds) in registers instead, 8 vectors at a time.
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
        if (count == Block)
        {
            for (int off = 0; off < Block; off += 8 * l) EightVectors<TS, TV>(x + off, gamma, beta, y + off, c, stride, eps);
            return;
        }
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

    // 8 vectors of pixels of a whole block with their sums, means and rstds in registers (the stack arrays above cost a
    // load and a store per element and pass); the same operations in the same order, so the same results.
    private static void EightVectors<TS, TV>(float* x, float* gamma, float* beta, float* y, int c, long stride, float eps)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes;
        TV m0 = TS.Zero, m1 = TS.Zero, m2 = TS.Zero, m3 = TS.Zero, m4 = TS.Zero, m5 = TS.Zero, m6 = TS.Zero, m7 = TS.Zero;
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            m0 = TS.Add(m0, TS.Load(row)); m1 = TS.Add(m1, TS.Load(row + l)); m2 = TS.Add(m2, TS.Load(row + 2 * l)); m3 = TS.Add(m3, TS.Load(row + 3 * l));
            m4 = TS.Add(m4, TS.Load(row + 4 * l)); m5 = TS.Add(m5, TS.Load(row + 5 * l)); m6 = TS.Add(m6, TS.Load(row + 6 * l)); m7 = TS.Add(m7, TS.Load(row + 7 * l));
        }
        TV cv = TS.Splat(c);
        m0 = TS.Div(m0, cv); m1 = TS.Div(m1, cv); m2 = TS.Div(m2, cv); m3 = TS.Div(m3, cv);
        m4 = TS.Div(m4, cv); m5 = TS.Div(m5, cv); m6 = TS.Div(m6, cv); m7 = TS.Div(m7, cv);
        TV r0 = TS.Zero, r1 = TS.Zero, r2 = TS.Zero, r3 = TS.Zero, r4 = TS.Zero, r5 = TS.Zero, r6 = TS.Zero, r7 = TS.Zero;
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            TV d = TS.Sub(TS.Load(row), m0); r0 = TS.Fma(d, d, r0);
            d = TS.Sub(TS.Load(row + l), m1); r1 = TS.Fma(d, d, r1);
            d = TS.Sub(TS.Load(row + 2 * l), m2); r2 = TS.Fma(d, d, r2);
            d = TS.Sub(TS.Load(row + 3 * l), m3); r3 = TS.Fma(d, d, r3);
            d = TS.Sub(TS.Load(row + 4 * l), m4); r4 = TS.Fma(d, d, r4);
            d = TS.Sub(TS.Load(row + 5 * l), m5); r5 = TS.Fma(d, d, r5);
            d = TS.Sub(TS.Load(row + 6 * l), m6); r6 = TS.Fma(d, d, r6);
            d = TS.Sub(TS.Load(row + 7 * l), m7); r7 = TS.Fma(d, d, r7);
        }
        TV ev = TS.Splat(eps);
        r0 = Rstd<TS, TV>(r0, cv, ev); r1 = Rstd<TS, TV>(r1, cv, ev); r2 = Rstd<TS, TV>(r2, cv, ev); r3 = Rstd<TS, TV>(r3, cv, ev);
        r4 = Rstd<TS, TV>(r4, cv, ev); r5 = Rstd<TS, TV>(r5, cv, ev); r6 = Rstd<TS, TV>(r6, cv, ev); r7 = Rstd<TS, TV>(r7, cv, ev);
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride, o = y + ch * stride;
            TV g = TS.Splat(gamma[ch]), be = TS.Splat(beta[ch]);
            TS.Store(o, TS.Fma(TS.Mul(TS.Sub(TS.Load(row), m0), r0), g, be));
            TS.Store(o + l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + l), m1), r1), g, be));
            TS.Store(o + 2 * l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + 2 * l), m2), r2), g, be));
            TS.Store(o + 3 * l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + 3 * l), m3), r3), g, be));
            TS.Store(o + 4 * l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + 4 * l), m4), r4), g, be));
            TS.Store(o + 5 * l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + 5 * l), m5), r5), g, be));
            TS.Store(o + 6 * l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + 6 * l), m6), r6), g, be));
            TS.Store(o + 7 * l, TS.Fma(TS.Mul(TS.Sub(TS.Load(row + 7 * l), m7), r7), g, be));
        }
    }

    // 1 / √(Σ(x − μ)² / C + eps), as the block loop computes it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Rstd<TS, TV>(TV squares, TV c, TV eps) where TS : struct, ISimd<TV> where TV : unmanaged =>
        TS.Div(TS.One, TS.Sqrt(TS.Add(TS.Div(squares, c), eps)));
}
