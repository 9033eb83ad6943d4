// Host version of LayerNorm2d (math in LayerNorm2d.cs): per pixel of (B, C, H, W), over the C channel planes,
//   μ = mean_c x,  σ² = mean_c (x − μ)²,  y = (x − μ)·rsqrt(σ² + eps)·gamma[c] + beta[c].
// What bounds it: EoMT-B-640's upscale output (768 × 160² floats) is 79 MB read and 79 MB written for ~8 FLOPs per
// element: ~8 ms at ~20 GB/s on the 2-core Zen 5, bandwidth-bound, so the three passes must cost one DRAM read.
// Loops: work item = a block of 128 pixels of one batch item (8 zmm of pixels). The block's C × 128 floats (393 KB at
// C = 768) stay in L2 across the three passes (sum, squared deviations, write), so DRAM sees one read and one write;
// every channel row of the block is 512 contiguous bytes (8 cache lines per page touched: TLB-friendly). The 8
// per-pixel sums live in a stack array of 8 zmm (L1), the channel loop is the outer one.
// Optimisations: two-pass variance as the kernel (no E[x²] − μ² cancellation); no transpose to channels-last;
// ragged pixel tails through the same vector code (HostVector partial loads).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="LayerNorm2d"/>: pixel blocks kept in L2 across the three passes.</summary>
public static unsafe class LayerNorm2dHost
{
    private const int BlockVectors = 8, Block = BlockVectors * HostVector.Lanes;

    /// <summary>Same contract as <see cref="LayerNorm2d.Forward"/> (y may alias x), on host memory.</summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor y, float eps) =>
        Forward(x.HostPointer<float>(), gamma.HostPointer<float>(), beta.HostPointer<float>(), y.HostPointer<float>(),
            x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3], eps);

    /// <summary>y (B,C,P) = LayerNorm over C of x (B,C,P).</summary>
    public static void Forward(float* x, float* gamma, float* beta, float* y, int b, int c, int pixels, float eps)
    {
        nint xp = (nint)x, gp = (nint)gamma, bp = (nint)beta, yp = (nint)y;
        HostVector.ForBlocks(b, pixels, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n, start, end) =>
        {
            long o = (long)n * c * pixels + start;
            Normalize((float*)xp + o, (float*)gp, (float*)bp, (float*)yp + o, c, pixels, end - start, eps);
        });
    }

    private static void Normalize(float* x, float* gamma, float* beta, float* y, int c, long stride, int count, float eps)
    {
        if (count == Block)
        {
            FullBlock(x, gamma, beta, y, c, stride, eps);
            return;
        }
        int nv = (count + HostVector.Lanes - 1) / HostVector.Lanes;
        var mean = stackalloc Vector512<float>[BlockVectors];
        var rstd = stackalloc Vector512<float>[BlockVectors];
        for (int v = 0; v < nv; v++) mean[v] = rstd[v] = Vector512<float>.Zero;
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            for (int v = 0; v < nv; v++) mean[v] += HostVector.Load(row + v * HostVector.Lanes, Lanes(count, v));
        }
        for (int v = 0; v < nv; v++) mean[v] = mean[v] / Vector512.Create((float)c);
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            for (int v = 0; v < nv; v++)
            {
                var d = HostVector.Load(row + v * HostVector.Lanes, Lanes(count, v)) - mean[v];
                rstd[v] = HostVector.Fma(d, d, rstd[v]);
            }
        }
        for (int v = 0; v < nv; v++)
            rstd[v] = Vector512<float>.One / Vector512.Sqrt(rstd[v] / Vector512.Create((float)c) + Vector512.Create(eps));
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride, outRow = y + ch * stride;
            var g = Vector512.Create(gamma[ch]);
            var be = Vector512.Create(beta[ch]);
            for (int v = 0; v < nv; v++)
            {
                int lanes = Lanes(count, v);
                var d = (HostVector.Load(row + v * HostVector.Lanes, lanes) - mean[v]) * rstd[v];
                HostVector.Store(HostVector.Fma(d, g, be), outRow + v * HostVector.Lanes, lanes);
            }
        }
    }

    // A whole 128-pixel block with its 8 sums, means and rstds in registers (the stack arrays above cost a load and a
    // store per element and pass); the same operations in the same order, so the same results.
    private static void FullBlock(float* x, float* gamma, float* beta, float* y, int c, long stride, float eps)
    {
        const int L = HostVector.Lanes;
        Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default, m4 = default, m5 = default, m6 = default, m7 = default;
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            m0 += Vector512.Load(row); m1 += Vector512.Load(row + L); m2 += Vector512.Load(row + 2 * L); m3 += Vector512.Load(row + 3 * L);
            m4 += Vector512.Load(row + 4 * L); m5 += Vector512.Load(row + 5 * L); m6 += Vector512.Load(row + 6 * L); m7 += Vector512.Load(row + 7 * L);
        }
        var cv = Vector512.Create((float)c);
        m0 /= cv; m1 /= cv; m2 /= cv; m3 /= cv; m4 /= cv; m5 /= cv; m6 /= cv; m7 /= cv;
        Vector512<float> r0 = default, r1 = default, r2 = default, r3 = default, r4 = default, r5 = default, r6 = default, r7 = default;
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride;
            var d = Vector512.Load(row) - m0; r0 = HostVector.Fma(d, d, r0);
            d = Vector512.Load(row + L) - m1; r1 = HostVector.Fma(d, d, r1);
            d = Vector512.Load(row + 2 * L) - m2; r2 = HostVector.Fma(d, d, r2);
            d = Vector512.Load(row + 3 * L) - m3; r3 = HostVector.Fma(d, d, r3);
            d = Vector512.Load(row + 4 * L) - m4; r4 = HostVector.Fma(d, d, r4);
            d = Vector512.Load(row + 5 * L) - m5; r5 = HostVector.Fma(d, d, r5);
            d = Vector512.Load(row + 6 * L) - m6; r6 = HostVector.Fma(d, d, r6);
            d = Vector512.Load(row + 7 * L) - m7; r7 = HostVector.Fma(d, d, r7);
        }
        var ev = Vector512.Create(eps);
        r0 = Vector512<float>.One / Vector512.Sqrt(r0 / cv + ev); r1 = Vector512<float>.One / Vector512.Sqrt(r1 / cv + ev);
        r2 = Vector512<float>.One / Vector512.Sqrt(r2 / cv + ev); r3 = Vector512<float>.One / Vector512.Sqrt(r3 / cv + ev);
        r4 = Vector512<float>.One / Vector512.Sqrt(r4 / cv + ev); r5 = Vector512<float>.One / Vector512.Sqrt(r5 / cv + ev);
        r6 = Vector512<float>.One / Vector512.Sqrt(r6 / cv + ev); r7 = Vector512<float>.One / Vector512.Sqrt(r7 / cv + ev);
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + ch * stride, o = y + ch * stride;
            var g = Vector512.Create(gamma[ch]);
            var be = Vector512.Create(beta[ch]);
            HostVector.Fma((Vector512.Load(row) - m0) * r0, g, be).Store(o);
            HostVector.Fma((Vector512.Load(row + L) - m1) * r1, g, be).Store(o + L);
            HostVector.Fma((Vector512.Load(row + 2 * L) - m2) * r2, g, be).Store(o + 2 * L);
            HostVector.Fma((Vector512.Load(row + 3 * L) - m3) * r3, g, be).Store(o + 3 * L);
            HostVector.Fma((Vector512.Load(row + 4 * L) - m4) * r4, g, be).Store(o + 4 * L);
            HostVector.Fma((Vector512.Load(row + 5 * L) - m5) * r5, g, be).Store(o + 5 * L);
            HostVector.Fma((Vector512.Load(row + 6 * L) - m6) * r6, g, be).Store(o + 6 * L);
            HostVector.Fma((Vector512.Load(row + 7 * L) - m7) * r7, g, be).Store(o + 7 * L);
        }
    }

    private static int Lanes(int count, int v) => Math.Min(HostVector.Lanes, count - v * HostVector.Lanes);
}
