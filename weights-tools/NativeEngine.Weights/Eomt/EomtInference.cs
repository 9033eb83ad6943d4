using System.Text.RegularExpressions;

namespace NativeEngine.Weights.Eomt;

/// <summary>Reads the architecture off canonical tensor shapes and checks it against a declared config.</summary>
internal static class EomtInference
{
    private static readonly Regex LayerIndex = new(@"^layers\.(\d+)\.", RegexOptions.CultureInvariant);
    private static readonly Regex UpscaleIndex = new(@"^upscale_block\.block\.(\d+)\.", RegexOptions.CultureInvariant);

    /// <summary>L2 of every published DINOv2 EoMT by hidden size (eomt.md §1.2), used when neither config nor attn_mask_probs says.</summary>
    private static readonly Dictionary<int, int> PublishedQueryBlocks = new() { [384] = 3, [768] = 3, [1024] = 4, [1536] = 5 };

    /// <summary>Heads of every published DINOv2 backbone by hidden size (head dim 64), the only widths where shapes settle the head count.</summary>
    private static readonly Dictionary<int, int> PublishedHeads = new() { [384] = 6, [768] = 12, [1024] = 16, [1536] = 24 };

    /// <summary>
    /// The architecture implied by the shapes (fields the shapes cannot give come from <paramref name="declared"/>,
    /// else from the published models, with a note). Disagreements with <paramref name="declared"/> go to
    /// <paramref name="problems"/>; config keys that had to be guessed without certainty go to <paramref name="unknown"/>.
    /// Null when the key tensors are absent.
    /// </summary>
    public static EomtConfig? FromShapes(IReadOnlyDictionary<string, CanonicalRef> t, EomtConfig? declared, List<string> notes, List<string> problems,
        List<string> unknown)
    {
        long[]? S(string n) => t.TryGetValue(n, out var r) ? r.Shape : null;
        var cls = S("embeddings.cls_token");
        var reg = S("embeddings.register_tokens");
        var pos = S("embeddings.position_embeddings.weight");
        var patch = S("embeddings.patch_embeddings.projection.weight");
        var query = S("query.weight");
        var classes = S("class_predictor.weight");
        var lost = new List<string>();
        if (cls is not { Length: 3 }) lost.Add("embeddings.cls_token (1,1,C)");
        if (pos is not { Length: 2 }) lost.Add("embeddings.position_embeddings.weight (G²,C)");
        if (patch is not { Length: 4 }) lost.Add("embeddings.patch_embeddings.projection.weight (C,3,p,p)");
        if (query is not { Length: 2 }) lost.Add("query.weight (Q,C)");
        if (classes is not { Length: 2 }) lost.Add("class_predictor.weight (K+1,C)");
        if (lost.Count > 0 && declared is null)
        {
            problems.Add("cannot infer the architecture without " + string.Join(", ", lost));
            return null;
        }

        var layers = t.Keys.Select(n => LayerIndex.Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        var ups = t.Keys.Select(n => UpscaleIndex.Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        int c = cls is { Length: 3 } ? (int)cls[2] : declared!.HiddenSize;
        int nLayers = layers.Count == 0 ? declared?.Layers ?? 0 : layers.Max() + 1;
        int patchSize = patch is { Length: 4 } ? (int)patch[2] : declared!.PatchSize;
        int channels = patch is { Length: 4 } ? (int)patch[1] : declared!.Channels;
        int regs = reg is { Length: 3 } ? (int)reg[1] : declared?.RegisterTokens ?? 4;
        int q = query is { Length: 2 } ? (int)query[0] : declared!.Queries;
        int k = classes is { Length: 2 } ? (int)classes[0] - 1 : declared!.Classes;
        int image = declared?.ImageSize ?? 0;
        if (pos is { Length: 2 })
        {
            long g = (long)Math.Round(Math.Sqrt(pos[0]));
            if (g * g != pos[0]) problems.Add($"embeddings.position_embeddings.weight has {pos[0]} rows, not a square grid G²");
            image = (int)(g * patchSize);
        }
        int nUp = ups.Count == 0 ? declared?.UpscaleBlocks ?? 0 : ups.Max() + 1;
        bool swiglu = t.ContainsKey("layers.0.mlp.weights_in.weight");
        var fc2 = S(swiglu ? "layers.0.mlp.weights_out.weight" : "layers.0.mlp.fc2.weight");
        int mlp = fc2 is { Length: 2 } ? (int)fc2[1] : declared?.MlpHidden ?? 4 * c;

        int heads;
        if (declared is not null) heads = declared.Heads;
        else if (PublishedHeads.TryGetValue(c, out var published))
        {
            // Shapes cannot tell heads apart; every published DINOv2 EoMT (these widths) uses head dim 64.
            heads = published;
            notes.Add($"heads = C/64 = {heads} (no config.json; every published EoMT has head dim 64)");
        }
        else
        {
            // Not a published width: any head count fits the shapes, so the guess is only for display (inspect).
            heads = Math.Max(1, c / 64);
            notes.Add($"heads = C/64 = {heads} (no config.json; C={c} is no published width, so this is a guess: give the config to run it)");
            unknown.Add($"num_attention_heads (the head count: C={c} is no published DINOv2 width, and shapes fit any head count)");
        }
        if (c % heads != 0) problems.Add($"hidden size {c} is not divisible by {heads} heads");

        int l2;
        var probs = S(EomtLayout.AttnMaskProbs);
        if (probs is { Length: 1 }) l2 = (int)probs[0];
        else if (declared is not null) l2 = declared.QueryBlocks;
        else if (PublishedQueryBlocks.TryGetValue(c, out var pub))
        {
            l2 = pub;
            notes.Add($"L2 = {pub} query blocks (no config.json or attn_mask_probs; the published EoMT with C={c} uses {pub})");
        }
        else
        {
            problems.Add($"cannot infer L2 (num_blocks): no config.json, no attn_mask_probs, and no published EoMT has C={c}");
            l2 = 1;
        }
        if (l2 < 1 || l2 > nLayers) problems.Add($"L2 = {l2} query blocks does not fit {nLayers} layers");

        var inferred = new EomtConfig(c, nLayers, heads, patchSize, regs, q, k, image, l2, nUp, swiglu, mlp,
            declared?.LayerNormEps ?? 1e-6f) { Channels = channels };

        if (declared is not null)
        {
            void Check<T>(string what, T d, T s)
            {
                if (!EqualityComparer<T>.Default.Equals(d, s)) problems.Add($"config says {what} = {d} but the tensors say {s}");
            }
            Check("hidden_size", declared.HiddenSize, inferred.HiddenSize);
            Check("num_hidden_layers", declared.Layers, inferred.Layers);
            Check("patch_size", declared.PatchSize, inferred.PatchSize);
            Check("num_channels", declared.Channels, inferred.Channels);
            Check("num_register_tokens", declared.RegisterTokens, inferred.RegisterTokens);
            Check("num_queries", declared.Queries, inferred.Queries);
            Check("number of labels K", declared.Classes, inferred.Classes);
            Check("image_size", declared.ImageSize, inferred.ImageSize);
            Check("num_blocks (L2)", declared.QueryBlocks, inferred.QueryBlocks);
            Check("num_upscale_blocks", declared.UpscaleBlocks, inferred.UpscaleBlocks);
            Check("use_swiglu_ffn", declared.SwiGlu, inferred.SwiGlu);
            Check("MLP hidden width", declared.MlpHidden, inferred.MlpHidden);
        }
        return inferred;
    }
}
