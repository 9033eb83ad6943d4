// Host version of the mask logits (math in MaskLogits.cs): logits[b] (Q, H·W) = queries[b] (Q, C) · features[b] (C, H·W).
// It is a plain batched GEMM, so it is one call of the host GEMM (Gemm.Matmul with KernelChoice.Host: packed panels,
// register-blocked FMA micro-kernel, all cores; until that lands on main the call falls back to the simulator's v1).
// What bounds it: EoMT-B-640 (Q = 100, C = 768, 160² px after the two upscales) is 2·100·768·25600 = 3.9 GFLOP against
// 79 MB of features read once and 10 MB written: 50 FLOP/B, above the 2-core Zen 5's ridge (~380 GFLOP/s over ~20 GB/s
// ≈ 19 FLOP/B): compute-bound, ~10 ms at peak. The GEMM's M = Q = 100 rows fit one panel of A, so each feature column
// is streamed from DRAM once.
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host version of <see cref="MaskLogits"/>: one batched host GEMM.</summary>
public static class MaskLogitsHost
{
    /// <summary>Same contract as <see cref="MaskLogits.Compute"/>, on host memory.</summary>
    public static void Compute(Tensor queryTokens, Tensor pixelFeatures, Tensor logits)
    {
        int b = queryTokens.Shape[0], q = queryTokens.Shape[1], c = queryTokens.Shape[2];
        int hw = pixelFeatures.Shape[2] * pixelFeatures.Shape[3];
        if (c == 0)
        {
            logits.HostSpan<float>().Clear();
            return;
        }
        Gemm.Matmul(queryTokens, pixelFeatures.Reshape(b, c, hw), logits.Reshape(b, q, hw), choice: KernelChoice.Host);
    }
}
