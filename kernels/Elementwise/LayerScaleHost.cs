// Host version of layer_scale_add: y[..., c] = x[..., c] + γ[c]·h[..., c] (the LayerScale residual of every ViT block).
// Bound: memory, 12 B per element (read x and h, write y; γ stays in L1). ViT-B-640: 1705 × 768 floats → 15.7 MB per
// call, two calls per block: ~0.6 ms per call at ~25 GB/s for two cores. The GEMM epilogue can absorb it later.
// Versions (host):
//   host  rows over the cores (~64 K floats per item), one FMA per element (γ·h + x) with full-width vectors.
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (SIMD, multi-core) LayerScale residual.</summary>
public static unsafe class LayerScaleHost
{
    /// <summary>Tensor form of <see cref="LayerScale.AddScaled"/>; y may alias x.</summary>
    public static void AddScaled(Tensor x, Tensor h, Tensor gamma, Tensor y)
    {
        int c = x.Shape[-1];
        if (x.Length == 0 || c == 0) return;
        ElementwiseHost.RowBroadcast(x.HostPointer<float>(), h.HostPointer<float>(), gamma.HostPointer<float>(), y.HostPointer<float>(),
            (int)(x.Length / c), c);
    }
}
