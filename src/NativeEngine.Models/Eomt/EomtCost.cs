using NativeEngine.Weights.Eomt;

namespace NativeEngine.Models.Eomt;

/// <summary>
/// FLOPs of one EoMT forward + semantic map (the conventions of benchmarks/roofline.py: 2 × MACs for GEMM-like work,
/// napkin counts for elementwise ops), for achieved-TFLOP/s numbers.
/// </summary>
public static class EomtCost
{
    /// <summary>Total FLOPs for <paramref name="batch"/> windows.</summary>
    public static double Flops(EomtConfig c, int batch = 1)
    {
        double cc = c.HiddenSize, g2 = c.Grid * c.Grid, n0 = 1 + c.RegisterTokens + g2, n1 = c.Queries + n0;
        double hid = c.MlpHidden, q = c.Queries, k = c.Classes, s2 = (double)c.ImageSize * c.ImageSize, m2 = (double)c.MaskSize * c.MaskSize;
        double f = 2 * g2 * 3 * c.PatchSize * c.PatchSize * cc;
        for (int i = 0; i < c.Layers; i++)
        {
            double n = i >= c.Layers - c.QueryBlocks ? n1 : n0;
            f += 2 * n * cc * 3 * cc + 2 * n * cc * cc;                           // qkv, out proj
            f += 4 * n * n * cc + 10.0 * c.Heads * n * n;                          // attention (QKᵀ, PV, softmax)
            f += (c.SwiGlu ? 3 : 2) * 2 * n * cc * hid + 20 * n * hid;            // MLP + activation
            f += 2 * 8 * n * cc + 4 * n * cc;                                      // 2 LayerNorms, 2 LayerScales
        }
        f += 8 * n1 * cc + 2 * q * cc * (k + 1) + 3 * 2 * q * cc * cc;            // final norm, class head, mask MLP
        for (int j = 0, g = c.Grid; j < c.UpscaleBlocks; j++, g *= 2)
            f += 8.0 * g * g * cc * cc + 46.0 * 4 * g * g * cc;                  // conv-transpose, GELU + depthwise + LN2d
        f += 2 * q * cc * m2 + q * s2 * 18 + 2 * q * k * s2;                     // mask logits, upsample + sigmoid, map
        return f * batch;
    }
}
