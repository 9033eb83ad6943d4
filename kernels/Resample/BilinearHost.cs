// Host version of the PyTorch-exact bilinear resize (align_corners = False, no antialias; math in Bilinear.cs):
//   y[oy, ox] = lerp_y(lerp_x(x[y0, x0], x[y0, x1]), lerp_x(x[y1, x0], x[y1, x1]))  with torch's source coordinates.
// Evaluated vertical-first: t = (1 − λʸ)·x[y0, :] + λʸ·x[y1, :] over the input row (contiguous, vectorised), then
// y[ox] = (1 − λˣ)·t[x0] + λˣ·t[x1] (a gather from an L1-resident row). Same value, ≤ 1 ulp different rounding.
// What bounds it: EoMT-B-640's mask logits 100 × 160² → 100 × 640² is 10 MB read and 164 MB written, ~3 FLOPs per
// output: ~8 ms at ~20 GB/s on the 2-core Zen 5, bandwidth-bound (the writes).
// Loops: the column taps (x0, x1, λˣ) are computed once per call; work item = a band of output rows of one plane;
// per output row one vertical pass over the input row into a scratch row (≤ a few KB: L1), then the horizontal
// pass, 16 outputs per zmm: one load of the scratch row at the block's first tap and two lane permutes (vpermps) with
// per-call index tables — an upscale's 16 outputs read < 16 consecutive inputs (8-lane gathers cost ~4× more).
// Optimisations: the taps are never recomputed per element; the gathers hit L1; the output is one streaming write
// (non-temporal stores past 8 MB: no read for ownership of lines that leave the caches before they are read).
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
        int lanes = HostSimd.Wide ? Simd512.Lanes : Simd256.Lanes, blocks = outW / lanes;
        // Per call: the column taps and weights, and per block of Lanes outputs the first tap (base) and both taps
        // relative to it; base −1 marks a block whose taps span ≥ Lanes inputs (downscaling), done lane by lane.
        using var table = new PooledInts(4 * outW + blocks);
        int* x0 = table.Pointer, x1 = x0 + outW, rel0 = x1 + outW, rel1 = rel0 + outW, bases = rel1 + outW;
        using var weights = new PooledFloats(outW);
        float* lambdas = weights.Pointer;
        for (int ox = 0; ox < outW; ox++) Tap(scaleW, ox, inW, out x0[ox], out x1[ox], out lambdas[ox]);
        for (int blk = 0; blk < blocks; blk++)
        {
            int o = blk * lanes, b0 = x0[o];
            bases[blk] = x1[o + lanes - 1] - b0 < lanes ? b0 : -1;
            for (int j = o; j < o + lanes; j++) (rel0[j], rel1[j]) = (x0[j] - b0, x1[j] - b0);
        }
        nint xp = (nint)x, yp = (nint)y, tp = (nint)table.Pointer, lp = (nint)lambdas;
        // Streaming stores when the output is far larger than L2 (it is not read again before it leaves the caches).
        bool stream = (long)planes * outH * outW * 4 > 8L << 20;
        int band = Math.Max(1, Math.Min(outH, (int)Math.Min(int.MaxValue, 65536L / Math.Max(1, outW))));
        int bands = (outH + band - 1) / band;
        HostCpu.For(planes * bands, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (item) =>
        {
            int plane = item / bands, oy0 = (item - plane * bands) * band;
            using var row = new PooledFloats(inW + 16); // + one vector: the last block's load may run past the row
            float* t = row.Pointer, src = (float*)xp + (long)plane * inH * inW;
            for (int oy = oy0; oy < Math.Min(outH, oy0 + band); oy++)
            {
                Tap(scaleH, oy, inH, out int y0, out int y1, out float ly);
                float* yr = (float*)yp + ((long)plane * outH + oy) * outW;
                if (HostSimd.Wide) Row<Simd512, Vector512<float>>(src + (long)y0 * inW, src + (long)y1 * inW, ly, t, inW, (int*)tp, (float*)lp, yr, outW, stream);
                else Row<Simd256, Vector256<float>>(src + (long)y0 * inW, src + (long)y1 * inW, ly, t, inW, (int*)tp, (float*)lp, yr, outW, stream);
            }
        });
    }

    // torch's source coordinate for output index d (clamped at 0), the two taps and the weight of the second.
    internal static void Tap(float scale, int d, int inSize, out int i0, out int i1, out float l1)
    {
        float s = MathF.Max(scale * (d + 0.5f) - 0.5f, 0f);
        i0 = Math.Min((int)s, inSize - 1);
        i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
        l1 = Math.Clamp(s - i0, 0f, 1f);
    }

    // One output row: the vertical lerp into t, then per block of Lanes outputs one load of t at the block's base and
    // two lane permutes (vpermps) for the two taps; no gathers. stream: non-temporal stores once the row is aligned.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<TS, TV>(float* r0, float* r1, float ly, float* t, int inW, int* table, float* lambdas, float* y, int outW, bool stream)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        HostSimd.Lerp<TS, TV>(r0, r1, TS.Splat(1f - ly), TS.Splat(ly), t, inW);
        int* x0 = table, x1 = x0 + outW, rel0 = x1 + outW, rel1 = rel0 + outW, bases = rel1 + outW;
        bool nt = stream && ((nint)y & (TS.Lanes * sizeof(float) - 1)) == 0;
        int ox = 0;
        for (int blk = 0; ox + TS.Lanes <= outW; ox += TS.Lanes, blk++)
        {
            int b0 = bases[blk];
            if (b0 < 0)
            {
                for (int j = ox; j < ox + TS.Lanes; j++) y[j] = (1f - lambdas[j]) * t[x0[j]] + lambdas[j] * t[x1[j]];
                continue;
            }
            TV v = TS.Load(t + b0), l = TS.Load(lambdas + ox);
            TV r = TS.Fma(TS.Sub(TS.One, l), TS.PermuteLanes(v, rel0 + ox), TS.Mul(l, TS.PermuteLanes(v, rel1 + ox)));
            if (nt) TS.StoreStream(y + ox, r);
            else TS.Store(y + ox, r);
        }
        for (; ox < outW; ox++) y[ox] = (1f - lambdas[ox]) * t[x0[ox]] + lambdas[ox] * t[x1[ox]];
    }
}

/// <summary>A pooled, pinned int buffer (see <see cref="PooledFloats"/>).</summary>
internal readonly unsafe struct PooledInts : IDisposable
{
    private readonly int[] array;
    private readonly System.Runtime.InteropServices.GCHandle handle;

    public PooledInts(int length)
    {
        array = ArrayPool<int>.Shared.Rent(Math.Max(1, length));
        handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
        Pointer = (int*)handle.AddrOfPinnedObject();
    }

    /// <summary>The first element.</summary>
    public int* Pointer { get; }

    public void Dispose()
    {
        handle.Free();
        ArrayPool<int>.Shared.Return(array);
    }
}
