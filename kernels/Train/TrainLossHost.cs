// Host version of the masked, pos-weighted BCE with logits (math in TrainLoss.cs): per pixel
//   l = (1 − t)·x + c·(ln(1 + e^(−|x|)) + max(−x, 0)),  ∂/∂x = ((1 − t) + c·(σ(x) − 1))/Σvalid,  void pixels 0,
// and loss = Σ l / Σ valid with the kernels' chunking (TrainLinear.ChunkRows), chunks added in order.
// What bounds it: 5 bytes in (logit + label) and 4 out per pixel, one exp and one log: EoMT-B-640's 0.41 M pixels
// are 3.7 MB, ~0.2 ms at ~20 GB/s on the 2-core Zen 5; the exps and logs (~1 ns per 16 lanes) cost about as much:
// a balanced stream, so the per-pixel loss is summed in registers and never written (the kernel writes it).
// Loops: one work item per chunk; 16 pixels per zmm, the 16 labels widened to floats through a stack slot.
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
        {
            float* t16 = stackalloc float[HostVector.Lanes], v16 = stackalloc float[HostVector.Lanes];
            var sum = Vector512<float>.Zero;
            var one = Vector512<float>.One;
            for (int i = start; i < end; i += HostVector.Lanes)
            {
                int lanes = Math.Min(HostVector.Lanes, end - i);
                byte* lab = (byte*)lp + i;
                for (int j = 0; j < HostVector.Lanes; j++)
                {
                    int l = j < lanes ? lab[j] : TrainLoss.Void;
                    t16[j] = l == 1 ? 1f : 0f;
                    v16[j] = l == TrainLoss.Void ? 0f : 1f;
                }
                var t = Vector512.Load(t16);
                var valid = Vector512.GreaterThan(Vector512.Load(v16), Vector512<float>.Zero);
                var x = HostVector.Load((float*)xp + i, lanes);
                var c = one + Vector512.Create(posWeight - 1f) * t;
                var e = Vector512.Exp(-Vector512.Abs(x));
                var l1 = (one - t) * x + c * (Vector512.Log(one + e) + Vector512.Max(-x, Vector512<float>.Zero));
                var sigma = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), one, e) / (one + e);
                var g = ((one - t) + c * (sigma - one)) * Vector512.Create(inv);
                sum += Vector512.ConditionalSelect(valid, l1, Vector512<float>.Zero);
                HostVector.Store(Vector512.ConditionalSelect(valid, g, Vector512<float>.Zero), (float*)gp + i, lanes);
            }
            partial[0] = Vector512.Sum(sum);
        }, loss.HostPointer<float>(), inv, false);
    }
}
