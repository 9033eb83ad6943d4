namespace NativeEngine.Weights.Eomt;

/// <summary>
/// The architecture of an EoMT checkpoint (../shared/specs/eomt.md §1.2, §5.3), read from config.json or inferred
/// from tensor shapes. Canonical tensor names inside the engine are the Hugging Face names (§5.2).
/// </summary>
/// <param name="HiddenSize">C.</param>
/// <param name="Layers">Number of ViT blocks.</param>
/// <param name="Heads">Attention heads (head dim = C / Heads).</param>
/// <param name="PatchSize">Patch size (16 in every published model).</param>
/// <param name="RegisterTokens">Register tokens (4).</param>
/// <param name="Queries">Q.</param>
/// <param name="Classes">K (the class head outputs K+1).</param>
/// <param name="ImageSize">Crop size S.</param>
/// <param name="QueryBlocks">L2: how many final blocks carry the queries (config num_blocks).</param>
/// <param name="UpscaleBlocks">Upscale blocks (2).</param>
/// <param name="SwiGlu">SwiGLU MLP (giant) instead of GELU.</param>
/// <param name="MlpHidden">Hidden width of the MLP (fc1 rows; for SwiGLU the per-branch width).</param>
/// <param name="LayerNormEps">LayerNorm epsilon (1e-6).</param>
public sealed record EomtConfig(
    int HiddenSize,
    int Layers,
    int Heads,
    int PatchSize,
    int RegisterTokens,
    int Queries,
    int Classes,
    int ImageSize,
    int QueryBlocks,
    int UpscaleBlocks,
    bool SwiGlu,
    int MlpHidden,
    float LayerNormEps = 1e-6f)
{
    /// <summary>Patch grid side G = ImageSize / PatchSize.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Head dimension D.</summary>
    public int HeadDim => HiddenSize / Heads;

    /// <summary>Mask-logit side M = G · 2^UpscaleBlocks.</summary>
    public int MaskSize => Grid << UpscaleBlocks;
}
