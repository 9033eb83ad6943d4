namespace NativeEngine.Weights.Eomt;

/// <summary>
/// The canonical (Hugging Face, eomt.md §5.2) tensor list of an EoMT architecture: every name with its shape, in
/// model order. This is what a checkpoint is checked against, and what the parameter count is computed from.
/// </summary>
public static class EomtLayout
{
    /// <summary>The buffer holding the per-block mask annealing probabilities (L2); not a parameter.</summary>
    public const string AttnMaskProbs = "attn_mask_probs";

    /// <summary>Every canonical parameter tensor (no buffers) of <paramref name="c"/>, in model order.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Parameters(EomtConfig c)
    {
        long C = c.HiddenSize, G2 = (long)c.Grid * c.Grid, p = c.PatchSize;
        var r = new List<(string, long[])>
        {
            ("embeddings.cls_token", [1, 1, C]),
            ("embeddings.register_tokens", [1, c.RegisterTokens, C]),
            ("embeddings.position_embeddings.weight", [G2, C]),
            ("embeddings.patch_embeddings.projection.weight", [C, c.Channels, p, p]),
            ("embeddings.patch_embeddings.projection.bias", [C]),
        };
        for (int i = 0; i < c.Layers; i++)
        {
            var l = $"layers.{i}.";
            r.Add((l + "norm1.weight", [C]));
            r.Add((l + "norm1.bias", [C]));
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                r.Add((l + $"attention.{proj}.weight", [C, C]));
                r.Add((l + $"attention.{proj}.bias", [C]));
            }
            r.Add((l + "layer_scale1.lambda1", [C]));
            r.Add((l + "norm2.weight", [C]));
            r.Add((l + "norm2.bias", [C]));
            var (fc1, fc2) = c.SwiGlu ? ("weights_in", "weights_out") : ("fc1", "fc2");
            r.Add((l + $"mlp.{fc1}.weight", [c.MlpIn, C]));
            r.Add((l + $"mlp.{fc1}.bias", [c.MlpIn]));
            r.Add((l + $"mlp.{fc2}.weight", [C, c.MlpHidden]));
            r.Add((l + $"mlp.{fc2}.bias", [C]));
            r.Add((l + "layer_scale2.lambda1", [C]));
        }
        r.Add(("layernorm.weight", [C]));
        r.Add(("layernorm.bias", [C]));
        r.Add(("query.weight", [c.Queries, C]));
        r.Add(("class_predictor.weight", [c.Classes + 1, C]));
        r.Add(("class_predictor.bias", [c.Classes + 1]));
        for (int k = 1; k <= 3; k++)
        {
            r.Add(($"mask_head.fc{k}.weight", [C, C]));
            r.Add(($"mask_head.fc{k}.bias", [C]));
        }
        for (int j = 0; j < c.UpscaleBlocks; j++)
        {
            var u = $"upscale_block.block.{j}.";
            r.Add((u + "conv1.weight", [C, C, 2, 2]));
            r.Add((u + "conv1.bias", [C]));
            r.Add((u + "conv2.weight", [C, 1, 3, 3]));
            r.Add((u + "layernorm2d.weight", [C]));
            r.Add((u + "layernorm2d.bias", [C]));
        }
        return r;
    }

    /// <summary>Number of parameters (buffers excluded), the figure of eomt.md §5.3.</summary>
    public static long ParameterCount(EomtConfig c) => Parameters(c).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
}
