// LayerNorm then Linear: y(…, N) = [GELU](LayerNorm(x)(…, K)·Wᵀ + b), LayerNorm over K with γ, β (K) and eps, W (N, K)
// in nn.Linear layout: a pre-norm ViT block's LN1 → qkv and LN2 → fc1 (+ GELU).
// PyTorch: F.linear(F.layer_norm(x, (K,), g, b_ln, eps), W, b)  [then F.gelu].
// Why an op of its own: on the host the LayerNorm costs nothing extra inside the GEMM. The GEMM packs A anyway; the
// fused version normalises each row of x while packing it (mean and variance once per row, LayerNormHost's row: the
// same numbers as the layer_norm op), so the normalised activations are never written to or re-read from memory
// (ViT-B-640: 1705 × 768 floats = 5.2 MB each way, twice per block) and no LayerNorm pass runs between the GEMMs.
// Versions:
//   composed  the layer_norm op into a scratch tensor, then the gemm op (each dispatched as usual, so every device runs
//             its best LayerNorm and GEMM): the version for devices without a fused one, and the reference path.
//   host      GemmHost with the LayerNorm prologue in its A packing (GemmHost.cs: A's row panels are LayerNorm(x)
//             rows; B, the micro-kernel, tiles and the GELU epilogue as for gemm).
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>One LayerNorm → Linear call: x (Rows, K), γ, β (K), W (N, K), bias (N) or null, y (Rows, N); Scratch
/// (x's shape) holds LayerNorm(x) for the composed version; NormVersion and GemmVersion force its inner ops (or null).</summary>
public readonly record struct LayerNormLinearArgs(Tensor X, Tensor NormGamma, Tensor NormBeta, float Eps, Tensor Weight,
    Tensor? Bias, Tensor Y, Tensor Scratch, int Rows, int N, int K, bool Gelu, OpVersion? NormVersion, OpVersion? GemmVersion,
    Precision Precision = Precision.Fp32);

/// <summary>y = [GELU](LayerNorm(x)·Wᵀ + b): LayerNorm fused into the host GEMM's A packing, composed elsewhere.</summary>
public static class LayerNormLinear
{
    /// <summary>The layer_norm op into the scratch tensor, then the gemm op.</summary>
    public static readonly OpVersion<LayerNormLinearArgs> Composed = new("layernorm_linear", "composed", VersionKind.Composite,
        "the layer_norm op into a scratch tensor, then the gemm op", [],
        a =>
        {
            LayerNorm.Forward(a.X, a.NormGamma, a.NormBeta, a.Scratch, a.Eps, a.NormVersion);
            Gemm.Linear(a.Scratch, a.Weight, a.Bias, a.Y, a.Gelu ? GemmEpilogue.Gelu : GemmEpilogue.None, a.GemmVersion, a.Precision);
        });

    /// <summary>The op row: the GEMM's 2·Rows·N·K FLOPs plus LayerNorm's 8 per element of x; x, W and y once each.</summary>
    public static readonly Op<LayerNormLinearArgs> Op = new Op<LayerNormLinearArgs>("layernorm_linear",
        "y = [GELU](LayerNorm(x)·Wᵀ + b) (F.linear(F.layer_norm(x, (K,), g, b_ln, eps), W, b))",
        "LayerNormLinearRef.Forward",
        a => 2.0 * a.Rows * a.N * a.K + 8.0 * a.Rows * a.K,
        a => 4.0 * ((double)a.Rows * a.K + a.Weight.DType.SizeOf() / 4.0 * a.N * a.K + (double)a.Rows * a.N + 2.0 * a.K + (a.Bias is null ? 0 : a.N)),
        Composed,
        new OpVersion<LayerNormLinearArgs>("layernorm_linear", "host", VersionKind.Host,
            "LayerNorm in the host GEMM's A packing (statistics once per row), then gemm's micro-kernel and epilogue; tf32/bf16/fp16 rounded as packed",
            [], a => GemmHost.RunLayerNormLinear(a.X, a.NormGamma, a.NormBeta, a.Eps, a.Weight, a.Bias, a.Y, a.Rows, a.N, a.K, a.Gelu, a.Precision)));

    /// <summary>
    /// y(…, N) = epilogue(LayerNorm(x)(…, K)·Wᵀ + bias): LayerNorm over the last dimension with <paramref name="normGamma"/>,
    /// <paramref name="normBeta"/> (K) and <paramref name="eps"/>, as <see cref="LayerNorm.Forward"/>; W (N, K) and
    /// bias (N) or null as <see cref="Gemm.Linear(Tensor, Tensor, Tensor?, Tensor, GemmEpilogue, OpVersion?, Precision)"/>;
    /// epilogue None or Gelu. <paramref name="scratch"/> has x's shape and receives LayerNorm(x) when the composed
    /// version runs (its contents are undefined afterwards either way). y must not alias x or scratch.
    /// <paramref name="normVersion"/> and <paramref name="gemmVersion"/> force the composed version's inner ops.
    /// <paramref name="precision"/> as <see cref="Gemm.Linear(Tensor, Tensor, Tensor?, Tensor, GemmEpilogue, OpVersion?, Precision)"/>:
    /// LayerNorm(x) is float32 and rounded where the GEMM reads it.
    /// </summary>
    public static void Forward(Tensor x, Tensor normGamma, Tensor normBeta, float eps, Tensor weight, Tensor? bias, Tensor y,
        Tensor scratch, GemmEpilogue epilogue = GemmEpilogue.None, OpVersion? version = null, OpVersion? normVersion = null,
        OpVersion? gemmVersion = null, Precision precision = Precision.Fp32)
    {
        if (weight.DType != precision.WeightType())
            throw new ArgumentException($"layernorm_linear: {precision.Name()} wants a {precision.WeightType().Name()} weight, got {weight.DType.Name()}", nameof(weight));
        if (epilogue == GemmEpilogue.LayerScaleResidual)
            throw new ArgumentException("layernorm_linear: the epilogue must be None or Gelu (LayerScale + residual is Gemm.LinearLayerScale's)", nameof(epilogue));
        if (x.Shape.Rank == 0 || weight.Shape.Rank != 2)
            throw new ArgumentException($"layernorm_linear: x must be (…, K) and weight (N, K), got x {x.Shape}, weight {weight.Shape}");
        int k = x.Shape[-1], n = weight.Shape[0];
        if (weight.Shape[1] != k)
            throw new ArgumentException($"layernorm_linear: weight must be (N, {k}) to match x {x.Shape}, got {weight.Shape}", nameof(weight));
        normGamma.Expect("layernorm_linear norm gamma", k);
        normBeta.Expect("layernorm_linear norm beta", k);
        bias?.Expect("layernorm_linear bias", n);
        if (!scratch.Shape.Equals(x.Shape))
            throw new ArgumentException($"layernorm_linear: scratch has shape {scratch.Shape}, expected {x.Shape} (the shape of x)", nameof(scratch));
        var yShape = x.Shape.ToArray();
        yShape[^1] = n;
        y.Expect("layernorm_linear y", yShape);
        if (k == 0)
            throw new ArgumentException($"layernorm_linear: x {x.Shape} has no channels to normalise (K = 0)", nameof(x));
        int rows = (int)(x.Length / k);
        if ((long)rows * k > int.MaxValue || (long)k * n > int.MaxValue || (long)rows * n > int.MaxValue)
            throw new ArgumentException($"layernorm_linear: one matrix of {rows}×{k}·{k}×{n} exceeds 2³¹ elements");
        Op.Run(x.Device, new LayerNormLinearArgs(x, normGamma, normBeta, eps, weight, bias, y, scratch, rows, n, k,
            epilogue == GemmEpilogue.Gelu, normVersion, gemmVersion, precision), version);
    }
}
