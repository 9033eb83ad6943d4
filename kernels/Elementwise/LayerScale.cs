// LayerScale + residual (eomt.md §1.5): y[..., c] = x[..., c] + gamma[c] · h[..., c]  (x: residual, h: branch output).
// PyTorch (timm Block): x + self.ls1(self.attn(self.norm1(x))), LayerScale.forward = x * gamma.
// v1: one thread per element; 12 B/element read+write (L-1024: 4201×1024 → 51.6 MB, ~15 µs); y may alias x (in place).
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Residual add of a per-channel scaled branch (timm LayerScale, HF EomtLayerScale).</summary>
public static partial class LayerScale
{
    [Kernel("layer_scale_add", Version = "v1 one thread per element")]
    internal static void AddScaledV1(Index1D i, ArrayView<float> x, ArrayView<float> h, ArrayView<float> gamma, ArrayView<float> y, int channels) =>
        y[i] = x[i] + gamma[i % channels] * h[i];

    /// <summary>y = x + gamma ⊙ h, gamma (C) broadcast over the last dim; x, h, y the same shape; y may alias x.</summary>
    public static void AddScaled(Tensor x, Tensor h, Tensor gamma, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank == 0) throw new ArgumentException($"layer scale: x must have a channel dim, got {x.Shape}");
        int c = x.Shape[-1];
        if (!h.Shape.Equals(x.Shape)) throw new ArgumentException($"layer scale: h must match x {x.Shape}, got {h.Shape}");
        if (!y.Shape.Equals(x.Shape)) throw new ArgumentException($"layer scale: y must match x {x.Shape}, got {y.Shape}");
        if (gamma.Length != c) throw new ArgumentException($"layer scale: gamma must hold C = {c} values, got {gamma.Shape}");
        if (x.Length == 0) return;
        if (choice.UseHost(x.Device)) { LayerScaleHost.AddScaled(x, h, gamma, y); return; }
        LaunchAddScaledV1(x.Device, (int)x.Length, x.View, h.View, gamma.View, y.View, c);
    }
}
