using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NativeEngine.Weights.Eomt;
using NativeEngine.Tensors;

namespace NativeEngine.Weights;

/// <summary>
/// What <c>weights-tools inspect</c> prints: the format, every stored tensor, and — when the file is an EoMT
/// checkpoint — its architecture, parameter count and anomaly head. A file that opens but is not a valid EoMT
/// checkpoint is still described (with the reason); a file that cannot be opened safely throws.
/// </summary>
public sealed class CheckpointReport
{
    private CheckpointReport(string path, string format, IReadOnlyList<TensorInfo> tensors, EomtCheckpoint? eomt, string? eomtError)
    {
        Path = path;
        Format = format;
        Tensors = tensors;
        Eomt = eomt;
        EomtError = eomtError;
    }

    /// <summary>The file or folder.</summary>
    public string Path { get; }

    /// <summary>Format description.</summary>
    public string Format { get; }

    /// <summary>Stored tensors, sorted by name.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The EoMT view (disposed; metadata only), or null.</summary>
    public EomtCheckpoint? Eomt { get; }

    /// <summary>Why the file is not a valid EoMT checkpoint, or null.</summary>
    public string? EomtError { get; }

    /// <summary>Inspects a file or folder. Throws <see cref="CheckpointException"/> when it cannot be opened safely.</summary>
    public static CheckpointReport Inspect(string path)
    {
        using var src = TensorSources.Open(path);
        var tensors = src.Infos.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        EomtCheckpoint? ck = null;
        string? error = null;
        try
        {
            ck = EomtCheckpoint.Load(path);
            ck.Dispose();
        }
        catch (CheckpointException e)
        {
            error = e.Reason;
        }
        return new CheckpointReport(path, src.Format, tensors, ck, error);
    }

    /// <summary>Millions with two decimals, as eomt.md §5.3 quotes them.</summary>
    public static string Millions(long n) => (n / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M";

    /// <summary>The report as JSON.</summary>
    public JsonObject ToJson()
    {
        var dtypes = new JsonObject();
        foreach (var g in DTypeCounts()) dtypes[g.Name] = g.Count;
        var o = new JsonObject
        {
            ["path"] = Path,
            ["format"] = Format,
            ["tensor_count"] = Tensors.Count,
            ["stored_elements"] = Tensors.Sum(t => t.Elements),
            ["dtypes"] = dtypes,
        };
        if (Eomt is { } ck)
        {
            var c = ck.Config;
            o["naming"] = ck.Naming;
            o["architecture"] = new JsonObject
            {
                ["description"] = c.Describe(),
                ["source"] = ck.ConfigSource,
                ["hidden_size"] = c.HiddenSize,
                ["num_hidden_layers"] = c.Layers,
                ["num_attention_heads"] = c.Heads,
                ["patch_size"] = c.PatchSize,
                ["num_register_tokens"] = c.RegisterTokens,
                ["num_queries"] = c.Queries,
                ["num_labels"] = c.Classes,
                ["image_size"] = c.ImageSize,
                ["num_blocks"] = c.QueryBlocks,
                ["num_upscale_blocks"] = c.UpscaleBlocks,
                ["mlp"] = c.SwiGlu ? "swiglu" : "gelu",
                ["mlp_hidden"] = c.MlpHidden,
                ["layer_norm_eps"] = c.LayerNormEps,
            };
            o["parameters"] = ck.ParameterCount;
            o["parameters_text"] = Millions(ck.ParameterCount);
            o["attn_mask_probs"] = new JsonArray(ck.AttnMaskProbs.Select(p => (JsonNode)p).ToArray());
            o["anomaly_head"] = ck.AnomalyHead is { } h
                ? new JsonObject
                {
                    ["layout"] = h.Layout.ToString(),
                    ["input_features"] = h.InputFeatures,
                    ["hidden_sizes"] = new JsonArray(h.HiddenSizes.Select(x => (JsonNode)x).ToArray()),
                    ["parameters"] = h.ParameterCount,
                }
                : null;
            o["notes"] = new JsonArray(ck.Notes.Select(n => (JsonNode)n).ToArray());
            o["dropped"] = new JsonArray(ck.Dropped.Select(n => (JsonNode)n).ToArray());
        }
        else
        {
            o["architecture"] = null;
            o["eomt_error"] = EomtError;
        }
        o["tensors"] = new JsonArray(Tensors.Select(t => (JsonNode)new JsonObject
        {
            ["name"] = t.Name,
            ["dtype"] = t.DType.SafeTensorsName(),
            ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
        }).ToArray());
        return o;
    }

    // Tensors per dtype, by safetensors name in ordinal order (the spelling inspect has always printed).
    private IEnumerable<(string Name, int Count)> DTypeCounts() =>
        Tensors.GroupBy(t => t.DType.SafeTensorsName()).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()));

    /// <summary>The report as text: a summary, then a table of tensors.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"file:         {Path}");
        sb.AppendLine($"format:       {Format}");
        sb.AppendLine($"tensors:      {Tensors.Count} ({string.Join(", ", DTypeCounts().Select(g => $"{g.Count} {g.Name}"))}), {Tensors.Sum(t => t.Elements):N0} stored elements");
        if (Eomt is { } ck)
        {
            sb.AppendLine($"naming:       {ck.Naming}");
            sb.AppendLine($"architecture: {ck.Config.Describe()} (from {ck.ConfigSource})");
            sb.AppendLine($"parameters:   {ck.ParameterCount:N0} ({Millions(ck.ParameterCount)})");
            sb.AppendLine($"attn masks:   [{string.Join(", ", ck.AttnMaskProbs)}]");
            if (ck.AnomalyHead is { } h)
                sb.AppendLine($"anomaly head: {h.Layout}, {h.InputFeatures} inputs, hidden {string.Join("/", h.HiddenSizes)}, {h.ParameterCount:N0} parameters");
            foreach (var n in ck.Notes) sb.AppendLine($"note:         {n}");
        }
        else sb.AppendLine($"eomt:         not a valid EoMT checkpoint: {EomtError}");
        sb.AppendLine();
        int w = Math.Max(4, Tensors.Count == 0 ? 4 : Tensors.Max(t => t.Name.Length));
        sb.AppendLine($"{"name".PadRight(w)}  dtype  shape");
        foreach (var t in Tensors) sb.AppendLine($"{t.Name.PadRight(w)}  {t.DType.SafeTensorsName(),-5}  {t.ShapeText}");
        return sb.ToString();
    }
}
