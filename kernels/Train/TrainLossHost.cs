// Host version of the masked, pos-weighted BCE with logits (math in TrainLoss.cs): per pixel
//   l = (1 − t)·x + c·(ln(1 + e^(−|x|)) + max(−x, 0)),  ∂/∂x = ((1 − t) + c·(σ(x) − 1))/Σvalid,  void pixels 0,
// and loss = Σ l / Σ valid with the kernels' chunking (TrainLinear.ChunkRows), chunks added in order.
// What bounds it: 5 bytes in (logit + label) and 4 out per pixel, one exp and one log: EoMT-B-640's 0.41 M pixels
// are 3.7 MB, ~0.2 ms at ~20 GB/s on the 2-core Zen 5; the exps and logs (~1 ns per 16 lanes) cost about as much:
// a balanced stream, so the per-pixel loss is summed in registers and never written (the kernel writes it).
// Loops: one work item per chunk; 16 pixels per zmm, the 16 labels widened to floats (vpmovzxbd).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="TrainLoss"/>.</summary>
public static unsafe class TrainLossHost
{
    /// <summary>Same contract as <see cref="TrainLoss.BceWithLogits"/>, on host memory.</summary>
    public static void BceWithLogits(Tensor logits, Tensor labels, float posWeight, long validCount, Tensor loss, Tensor grad)
    {
        int n = (int)logits.Length;
        float inv = validCount > 0 ? 1f / validCount : 0f;
        nint xp = (nint)logits.HostPointer<float>(), lp = (nint)labels.HostPointer<byte>(), gp = (nint)grad.HostPointer<float>();
        TrainLinearHost.ChunkedSums(n, 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, partial) =>
            partial[0] = HostSimd.Wide
                ? Chunk<Simd512, Vector512<float>>((float*)xp, (byte*)lp, (float*)gp, start, end, posWeight, inv)
                : Chunk<Simd256, Vector256<float>>((float*)xp, (byte*)lp, (float*)gp, start, end, posWeight, inv),
            loss.HostPointer<float>(), inv, false);
    }

    // Σ l over [start, end) (valid pixels), gradients written: full vectors with plain loads and stores, then at most
    // one ragged tail whose missing labels read as void.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Chunk<TS, TV>(float* xp, byte* lp, float* gp, int start, int end, float posWeight, float inv)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV sum = TS.Zero, pw = TS.Splat(posWeight - 1f), vinv = TS.Splat(inv);
        int i = start;
        for (; i + TS.Lanes <= end; i += TS.Lanes)
        {
            var g = Bce<TS, TV>(TS.Load(xp + i), TS.LoadBytes(lp + i), pw, vinv, ref sum);
            TS.Store(gp + i, g);
        }
        if (i < end)
        {
            byte* lab16 = stackalloc byte[16];
            int lanes = end - i;
            for (int j = 0; j < TS.Lanes; j++) lab16[j] = j < lanes ? lp[i + j] : TrainLoss.Void;
            var g = Bce<TS, TV>(HostSimd.LoadTail<TS, TV>(xp + i, lanes), TS.LoadBytes(lab16), pw, vinv, ref sum);
            HostSimd.StoreTail<TS, TV>(gp + i, g, lanes);
        }
        return TS.Sum(sum);
    }

    // One vector of pixels: adds the valid pixels' losses to sum, returns the gradients (0 on void pixels).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Bce<TS, TV>(TV x, TV label, TV pwMinus1, TV inv, ref TV sum) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        var one = TS.One;
        var t = TS.Select(TS.EqualsMask(label, one), one, TS.Zero);
        var valid = TS.LessThan(label, TS.Splat(TrainLoss.Void));
        var c = TS.Fma(pwMinus1, t, one);
        var e = TS.Exp(TS.Neg(TS.Abs(x)));
        var l1 = TS.Add(TS.Mul(TS.Sub(one, t), x), TS.Mul(c, TS.Add(TS.Log(TS.Add(one, e)), TS.Max(TS.Neg(x), TS.Zero))));
        var sigma = TS.Div(TS.Select(TS.GreaterThanOrEqual(x, TS.Zero), one, e), TS.Add(one, e));
        var g = TS.Mul(TS.Add(TS.Sub(one, t), TS.Mul(c, TS.Sub(sigma, one))), inv);
        sum = TS.Add(sum, TS.Select(valid, l1, TS.Zero));
        return TS.Select(valid, g, TS.Zero);
    }
}
