using System.Text.RegularExpressions;

namespace NativeEngine.Weights.Eomt;

/// <summary>One canonical tensor as a slice of a stored one: elements [ElementOffset, ElementOffset + Π Shape) of
/// the stored tensor's dense data (the qkv split takes row blocks; the pos-embed squeeze keeps everything).</summary>
/// <param name="Name">Canonical (Hugging Face) name.</param>
/// <param name="SourceName">Name as stored in the file.</param>
/// <param name="Shape">Canonical shape.</param>
/// <param name="ElementOffset">First element within the stored tensor.</param>
public sealed record CanonicalRef(string Name, string SourceName, long[] Shape, long ElementOffset)
{
    /// <summary>Number of elements.</summary>
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The EoMT key maps, kept as data: the original tue-mps/eomt names (eomt.md §5.1, Lightning prefix
/// <c>network.</c>) and the Hugging Face names (§5.2), plus the seed's anomaly head (seed.md §1.5) and the buffers
/// that are known and dropped. Every transform (the fused qkv split, the pos-embed squeeze, the SwiGLU rename) is
/// listed here explicitly.
/// </summary>
public static class EomtKeyMap
{
    /// <summary>Original name (after the <c>network.</c> prefix is removed) → canonical name. {i} = block, {j} = upscale block.</summary>
    public static readonly IReadOnlyList<(string Original, string Canonical)> Renames =
    [
        ("encoder.backbone.cls_token", "embeddings.cls_token"),
        ("encoder.backbone.reg_token", "embeddings.register_tokens"),
        ("encoder.backbone.pos_embed", "embeddings.position_embeddings.weight"),              // (1,G²,C) → (G²,C)
        ("encoder.backbone.patch_embed.proj.weight", "embeddings.patch_embeddings.projection.weight"),
        ("encoder.backbone.patch_embed.proj.bias", "embeddings.patch_embeddings.projection.bias"),
        ("encoder.backbone.blocks.{i}.norm1.weight", "layers.{i}.norm1.weight"),
        ("encoder.backbone.blocks.{i}.norm1.bias", "layers.{i}.norm1.bias"),
        ("encoder.backbone.blocks.{i}.attn.qkv.weight", "layers.{i}.attention.{q,k,v}_proj.weight"), // (3C,C) → 3 × (C,C), rows [q; k; v]
        ("encoder.backbone.blocks.{i}.attn.qkv.bias", "layers.{i}.attention.{q,k,v}_proj.bias"),     // (3C) → 3 × (C)
        ("encoder.backbone.blocks.{i}.attn.proj.weight", "layers.{i}.attention.out_proj.weight"),
        ("encoder.backbone.blocks.{i}.attn.proj.bias", "layers.{i}.attention.out_proj.bias"),
        ("encoder.backbone.blocks.{i}.ls1.gamma", "layers.{i}.layer_scale1.lambda1"),
        ("encoder.backbone.blocks.{i}.ls2.gamma", "layers.{i}.layer_scale2.lambda1"),
        ("encoder.backbone.blocks.{i}.norm2.weight", "layers.{i}.norm2.weight"),
        ("encoder.backbone.blocks.{i}.norm2.bias", "layers.{i}.norm2.bias"),
        ("encoder.backbone.blocks.{i}.mlp.fc1.weight", "layers.{i}.mlp.fc1.weight"),           // giant: mlp.weights_in
        ("encoder.backbone.blocks.{i}.mlp.fc1.bias", "layers.{i}.mlp.fc1.bias"),
        ("encoder.backbone.blocks.{i}.mlp.fc2.weight", "layers.{i}.mlp.fc2.weight"),           // giant: mlp.weights_out
        ("encoder.backbone.blocks.{i}.mlp.fc2.bias", "layers.{i}.mlp.fc2.bias"),
        ("encoder.backbone.norm.weight", "layernorm.weight"),
        ("encoder.backbone.norm.bias", "layernorm.bias"),
        ("q.weight", "query.weight"),
        ("class_head.weight", "class_predictor.weight"),
        ("class_head.bias", "class_predictor.bias"),
        ("mask_head.0.weight", "mask_head.fc1.weight"),
        ("mask_head.0.bias", "mask_head.fc1.bias"),
        ("mask_head.2.weight", "mask_head.fc2.weight"),
        ("mask_head.2.bias", "mask_head.fc2.bias"),
        ("mask_head.4.weight", "mask_head.fc3.weight"),
        ("mask_head.4.bias", "mask_head.fc3.bias"),
        ("upscale.{j}.conv1.weight", "upscale_block.block.{j}.conv1.weight"),
        ("upscale.{j}.conv1.bias", "upscale_block.block.{j}.conv1.bias"),
        ("upscale.{j}.conv2.weight", "upscale_block.block.{j}.conv2.weight"),
        ("upscale.{j}.norm.weight", "upscale_block.block.{j}.layernorm2d.weight"),
        ("upscale.{j}.norm.bias", "upscale_block.block.{j}.layernorm2d.bias"),
        ("attn_mask_probs", "attn_mask_probs"),
    ];

    /// <summary>Known buffers that carry nothing the engine needs (after prefix stripping); dropped silently.</summary>
    public static readonly IReadOnlyList<string> DroppedBuffers =
    [
        "encoder.pixel_mean", "encoder.pixel_std", "criterion.empty_weight", "pixel_mean", "pixel_std", "embeddings.position_ids",
    ];

    /// <summary>Prefixes under which the seed's anomaly head lives (after <c>network.</c> is stripped: <c>anomaly_head.</c>).</summary>
    public const string AnomalyHeadPrefix = "anomaly_head.";

    private static readonly (Regex From, string To)[] Compiled = Renames
        .Select(r => (new Regex("^" + Regex.Escape(r.Original).Replace(@"\{i}", @"(?<i>\d+)").Replace(@"\{j}", @"(?<j>\d+)") + "$", RegexOptions.CultureInvariant), r.Canonical))
        .ToArray();

    private static readonly Regex OriginalFc = new(@"^layers\.(\d+)\.mlp\.fc([12])\.(weight|bias)$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Removes wrapper prefixes: torch.compile's <c>_orig_mod.</c> (anywhere), DDP's leading <c>module.</c>, the
    /// LightningModule attribute <c>network.</c>, and a leading <c>model.</c> some exporters add.
    /// </summary>
    public static string Normalize(string stored)
    {
        var s = stored.Replace("_orig_mod.", "", StringComparison.Ordinal);
        if (s.StartsWith("module.", StringComparison.Ordinal)) s = s["module.".Length..];
        if (s.StartsWith("network.", StringComparison.Ordinal)) s = s["network.".Length..];
        else if (s.StartsWith("model.", StringComparison.Ordinal)) s = s["model.".Length..];
        return s;
    }

    /// <summary>Which naming scheme a set of stored names uses.</summary>
    public static string DetectNaming(IEnumerable<string> storedNames)
    {
        var normalized = storedNames.Select(Normalize).ToList();
        if (normalized.Any(n => n.StartsWith("encoder.backbone.", StringComparison.Ordinal))) return "original (tue-mps/eomt)";
        if (normalized.Any(n => n.StartsWith("layers.", StringComparison.Ordinal) || n.StartsWith("embeddings.", StringComparison.Ordinal))) return "hugging face";
        return "unknown";
    }

    /// <summary>The outcome of mapping stored names onto canonical ones.</summary>
    public sealed class MapResult
    {
        /// <summary>Canonical name → slice of a stored tensor.</summary>
        public Dictionary<string, CanonicalRef> Canonical { get; } = new(StringComparer.Ordinal);

        /// <summary>Anomaly-head tensors: name relative to the head (e.g. <c>mlp.0.weight</c>) → stored name.</summary>
        public Dictionary<string, string> AnomalyHead { get; } = new(StringComparer.Ordinal);

        /// <summary>Stored names dropped on purpose (known buffers).</summary>
        public List<string> Dropped { get; } = [];

        /// <summary>Stored names nothing maps.</summary>
        public List<string> Unexpected { get; } = [];

        /// <summary>Problems found while mapping (a qkv that is not 3C rows, a name mapped twice…).</summary>
        public List<string> Problems { get; } = [];

        /// <summary>"hugging face", "original (tue-mps/eomt)" or "unknown".</summary>
        public string Naming { get; set; } = "unknown";
    }

    /// <summary>Maps every stored tensor onto canonical names (or the anomaly head, or the dropped/unexpected lists).</summary>
    public static MapResult Map(IReadOnlyDictionary<string, TensorInfo> stored)
    {
        var r = new MapResult { Naming = DetectNaming(stored.Keys) };
        bool original = r.Naming.StartsWith("original", StringComparison.Ordinal);
        void Add(CanonicalRef c)
        {
            if (!r.Canonical.TryAdd(c.Name, c))
                r.Problems.Add($"'{c.Name}' comes from both '{r.Canonical[c.Name].SourceName}' and '{c.SourceName}'");
        }

        foreach (var (name, info) in stored.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var n = Normalize(name);
            if (DroppedBuffers.Contains(n)) { r.Dropped.Add(name); continue; }
            if (n.StartsWith(AnomalyHeadPrefix, StringComparison.Ordinal)) { r.AnomalyHead[n[AnomalyHeadPrefix.Length..]] = name; continue; }
            if (!original)
            {
                if (IsCanonicalName(n)) Add(new CanonicalRef(n, name, info.Shape, 0));
                else r.Unexpected.Add(name);
                continue;
            }
            string? to = null;
            Match m = Match.Empty;
            foreach (var (from, target) in Compiled)
            {
                m = from.Match(n);
                if (m.Success) { to = target; break; }
            }
            if (to is null) { r.Unexpected.Add(name); continue; }
            to = to.Replace("{i}", m.Groups["i"].Value).Replace("{j}", m.Groups["j"].Value);

            if (to.Contains("{q,k,v}", StringComparison.Ordinal))
            {
                // Fused qkv: rows [0:C] = q, [C:2C] = k, [2C:3C] = v (timm Attention; convert_eomt_to_hf split_qkv_tensor).
                if (info.Shape.Length == 0 || info.Shape[0] % 3 != 0)
                {
                    r.Problems.Add($"'{name}' has shape {info.ShapeText}; a fused qkv needs 3C rows");
                    continue;
                }
                long rows = info.Shape[0] / 3;
                long rowElems = info.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                var part = info.Shape.ToArray();
                part[0] = rows;
                int k = 0;
                foreach (var x in new[] { "q", "k", "v" })
                    Add(new CanonicalRef(to.Replace("{q,k,v}", x), name, part, k++ * rows * rowElems));
                continue;
            }
            var shape = info.Shape;
            if (to == "embeddings.position_embeddings.weight" && shape.Length == 3 && shape[0] == 1) shape = shape[1..]; // squeeze(0)
            Add(new CanonicalRef(to, name, shape, 0));
        }

        if (original) RenameSwiGlu(r);
        return r;
    }

    // Original checkpoints call the giant's packed SwiGLU fc1/fc2 too; HF calls them weights_in/weights_out.
    // fc1 holding twice fc2's input width (8192 vs 4096) is the packed gate+value layout of timm SwiGLUPacked.
    private static void RenameSwiGlu(MapResult r)
    {
        if (!r.Canonical.TryGetValue("layers.0.mlp.fc1.weight", out var fc1) || !r.Canonical.TryGetValue("layers.0.mlp.fc2.weight", out var fc2)) return;
        if (fc1.Shape.Length != 2 || fc2.Shape.Length != 2 || fc1.Shape[0] != 2 * fc2.Shape[1]) return;
        foreach (var key in r.Canonical.Keys.ToList())
        {
            var m = OriginalFc.Match(key);
            if (!m.Success) continue;
            var c = r.Canonical[key];
            r.Canonical.Remove(key);
            var to = $"layers.{m.Groups[1].Value}.mlp.{(m.Groups[2].Value == "1" ? "weights_in" : "weights_out")}.{m.Groups[3].Value}";
            r.Canonical[to] = c with { Name = to };
        }
    }

    private static readonly Regex CanonicalPattern = new(
        @"^(embeddings\.(cls_token|register_tokens|position_embeddings\.weight|patch_embeddings\.projection\.(weight|bias))" +
        @"|layers\.\d+\.(norm[12]\.(weight|bias)|attention\.(q|k|v|out)_proj\.(weight|bias)|layer_scale[12]\.lambda1|mlp\.(fc1|fc2|weights_in|weights_out)\.(weight|bias))" +
        @"|layernorm\.(weight|bias)|query\.weight|class_predictor\.(weight|bias)|mask_head\.fc[123]\.(weight|bias)" +
        @"|upscale_block\.block\.\d+\.(conv1\.(weight|bias)|conv2\.weight|layernorm2d\.(weight|bias))|attn_mask_probs)$",
        RegexOptions.CultureInvariant);

    /// <summary>Whether <paramref name="name"/> has the form of a canonical (Hugging Face) EoMT tensor name.</summary>
    public static bool IsCanonicalName(string name) => CanonicalPattern.IsMatch(name);
}
