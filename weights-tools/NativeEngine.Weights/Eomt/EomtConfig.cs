using System.Text.Json;
using System.Text.Json.Nodes;

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

    /// <summary>Input channels of the patch embedding (3, RGB).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>fc1 output rows: MlpHidden for GELU, 2·MlpHidden for SwiGLU (packed gate and value).</summary>
    public int MlpIn => SwiGlu ? 2 * MlpHidden : MlpHidden;

    /// <summary>A short human label, e.g. "EoMT-L 1024 (C 1024, 24 layers, 16 heads, Q 100, K 19, L2 4, GELU)".</summary>
    public string Describe() =>
        $"EoMT-{SizeName} {ImageSize} (C {HiddenSize}, {Layers} layers, {Heads} heads, patch {PatchSize}, {RegisterTokens} registers, " +
        $"Q {Queries}, K {Classes}, L2 {QueryBlocks}, {UpscaleBlocks} upscale blocks, {(SwiGlu ? "SwiGLU" : "GELU")} MLP {MlpHidden})";

    /// <summary>S, B, L or g by hidden size (the DINOv2 family), else "C&lt;n&gt;".</summary>
    public string SizeName => HiddenSize switch { 384 => "S", 768 => "B", 1024 => "L", 1536 => "g", _ => $"C{HiddenSize}" };

    /// <summary>
    /// Reads a config.json file (the one parser of EoMT configs: checkpoints, <c>--config</c>, fixtures). A file that is
    /// not a usable config is a <see cref="CheckpointException"/> naming the file and the key.
    /// </summary>
    public static EomtConfig Read(string path) => Parse(File.ReadAllText(path), path, "config.json");

    // FromConfigJson with its refusals as a CheckpointException naming the file and where the JSON came from.
    internal static EomtConfig Parse(string json, string path, string source)
    {
        try
        {
            return FromConfigJson(json);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or OverflowException)
        {
            throw new CheckpointException(path, $"{source} is not a usable EoMT config: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses a Hugging Face config.json (eomt.md §5.3). Missing (or null) keys take the HF defaults; K comes from
    /// id2label (or num_labels). SwiGLU's per-branch width follows HF: ((int)(C·mlp_ratio·2/3) + 7) / 8 · 8. Duplicate
    /// keys, values of the wrong type, fractions where an integer belongs and sizes the model divides or counts by
    /// that are not positive are a <see cref="FormatException"/> naming the key (or a <see cref="JsonException"/>).
    /// </summary>
    public static EomtConfig FromConfigJson(string json)
    {
        // Duplicate keys are a JsonException here, not an ArgumentException on first access (found by tests/fuzz).
        var o = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false }) as JsonObject
            ?? throw new FormatException("config.json is not a JSON object");
        // A present, non-null value must have the key's type: a string "1024" for hidden_size is refused, not defaulted.
        JsonValue? Value(string k, string what, params JsonValueKind[] kinds) => o[k] switch
        {
            null => null,
            JsonValue v when kinds.Contains(v.GetValueKind()) => v,
            var n => throw new FormatException($"config.json {k} is {n.ToJsonString()}, not {what}"),
        };
        double D(string k, double def) => Value(k, "a number", JsonValueKind.Number)?.GetValue<double>() ?? def;
        int I(string k, int def, int min = 1, int max = int.MaxValue)
        {
            double d = D(k, def);
            if (d != Math.Floor(d)) throw new FormatException($"config.json {k} is {d}, not an integer");
            if (d < min || d > max) throw new FormatException($"config.json {k} is {d}; it must be {(max == int.MaxValue ? $"at least {min}" : $"in {min}..{max}")}");
            return (int)d;
        }
        bool B(string k, bool def) => Value(k, "true or false", JsonValueKind.True, JsonValueKind.False)?.GetValue<bool>() ?? def;

        // Sizes the architecture divides or counts by must be positive (0 heads or patch 0 divided by zero: tests/fuzz).
        int c = I("hidden_size", 1024);
        double ratio = D("mlp_ratio", 4);
        bool swiglu = B("use_swiglu_ffn", false);
        int classes = o["id2label"] is not null
            ? (o["id2label"] as JsonObject ?? throw new FormatException("config.json id2label is not an object")).Count
            : o["num_labels"] is not null ? I("num_labels", 0, min: 0)
            : throw new FormatException("config.json has neither id2label nor num_labels (K is unknown)");
        var act = Value("hidden_act", "a string", JsonValueKind.String)?.GetValue<string>() ?? "gelu";
        if (!swiglu && act != "gelu") throw new FormatException($"config.json hidden_act '{act}' is not supported (EoMT uses exact 'gelu')");
        double mlp = swiglu ? Math.Floor((Math.Floor(c * ratio * 2 / 3) + 7) / 8) * 8 : Math.Floor(c * ratio);
        if (!(mlp >= 1 && mlp <= int.MaxValue)) throw new FormatException($"config.json mlp_ratio {ratio} gives an MLP width of {mlp}; it must be at least 1");
        double eps = D("layer_norm_eps", 1e-6);
        if (!(eps > 0 && double.IsFinite(eps))) throw new FormatException($"config.json layer_norm_eps is {eps}; it must be positive");
        return new EomtConfig(
            HiddenSize: c,
            Layers: I("num_hidden_layers", 24),
            Heads: I("num_attention_heads", 16),
            PatchSize: I("patch_size", 16),
            RegisterTokens: I("num_register_tokens", 4, min: 0, max: 1 << 16),
            Queries: I("num_queries", 200),
            Classes: classes,
            ImageSize: I("image_size", 640),
            QueryBlocks: I("num_blocks", 4, min: 0, max: 1 << 16),
            UpscaleBlocks: I("num_upscale_blocks", 2, min: 0, max: 1 << 16),
            SwiGlu: swiglu,
            MlpHidden: (int)mlp,
            LayerNormEps: (float)eps)
        { Channels = I("num_channels", 3) };
    }

    /// <summary>A Hugging Face style config.json for this architecture (labels named class_0…).</summary>
    public string ToConfigJson()
    {
        var labels = new JsonObject();
        for (int k = 0; k < Classes; k++) labels[k.ToString(System.Globalization.CultureInfo.InvariantCulture)] = $"class_{k}";
        var o = new JsonObject
        {
            ["model_type"] = "eomt",
            ["architectures"] = new JsonArray("EomtForUniversalSegmentation"),
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["mlp_ratio"] = SwiGlu ? 4 : (double)MlpHidden / HiddenSize,
            ["hidden_act"] = "gelu",
            ["layer_norm_eps"] = LayerNormEps,
            ["image_size"] = ImageSize,
            ["patch_size"] = PatchSize,
            ["num_channels"] = Channels,
            ["num_upscale_blocks"] = UpscaleBlocks,
            ["use_swiglu_ffn"] = SwiGlu,
            ["num_blocks"] = QueryBlocks,
            ["num_queries"] = Queries,
            ["num_register_tokens"] = RegisterTokens,
            ["id2label"] = labels,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
