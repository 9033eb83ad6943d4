using NativeEngine.Weights.Eomt;

namespace NativeEngine.Models.Eomt;

/// <summary>
/// Deterministic pseudo-random EoMT weights of any shape, bit-identical to tests/fixtures/generate_eomt.py
/// (<c>weight()</c>): value = offset + scale·u with u = (splitmix64(fnv1a64(name) ^ seed, i+1) &gt;&gt; 40)/2²³ − 1, one
/// float32 rounding per step. Used by the parity tests (the ViT-S fixture's 30 MB of weights are regenerated, not
/// committed) and by <c>bench forward</c> (published shapes, nothing to download).
/// </summary>
public sealed class EomtRandomWeights : IEomtWeightSource
{
    private readonly Dictionary<string, int[]> shapes;
    private readonly ulong seed;
    private readonly float[] probs;

    /// <summary>Random weights for <paramref name="config"/>; attn_mask_probs are <paramref name="attnMaskProbs"/> (zeros by default).</summary>
    public EomtRandomWeights(EomtConfig config, ulong seed, float[]? attnMaskProbs = null)
    {
        Config = config;
        this.seed = seed;
        probs = attnMaskProbs ?? new float[config.QueryBlocks];
        shapes = Shapes(config);
    }

    /// <inheritdoc/>
    public EomtConfig Config { get; }

    /// <inheritdoc/>
    public string Origin => $"random weights (seed {seed})";

    /// <summary>Every canonical name with its shape.</summary>
    public IReadOnlyDictionary<string, int[]> Names => shapes;

    /// <summary>Parameter count (excluding attn_mask_probs).</summary>
    public long Parameters => shapes.Where(kv => kv.Key != "attn_mask_probs").Sum(kv => kv.Value.Aggregate(1L, (a, b) => a * b));

    /// <inheritdoc/>
    public bool Contains(string name) => shapes.ContainsKey(name);

    /// <inheritdoc/>
    public int[] Shape(string name) => shapes.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"{Origin}: no tensor '{name}'");

    /// <inheritdoc/>
    public float[] ReadFloat32(string name)
    {
        var shape = Shape(name);
        if (name == "attn_mask_probs") return (float[])probs.Clone();
        var (offset, scale) = Rule(name, shape);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new float[n];
        ulong b = Fnv1a64(name) ^ seed;
        for (int i = 0; i < n; i++)
        {
            ulong z = unchecked(b + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            float u = ((long)(z >> 40) - (1 << 23)) * (1f / (1 << 23)); // exact, [-1, 1)
            float t = u * scale; // two separate float32 roundings, as numpy does
            v[i] = t + offset;
        }
        return v;
    }

    /// <inheritdoc/>
    public void Dispose() { }

    /// <summary>(offset, scale) per tensor: the same rules as generate_eomt.py init_rule.</summary>
    private static (float Offset, float Scale) Rule(string name, int[] shape)
    {
        if (name.Contains("norm") && name.EndsWith(".weight")) return (1f, 0.2f);
        if (name.Contains("layer_scale")) return (0.5f, 0.4f);
        if (name.EndsWith(".bias")) return (0f, 0.1f);
        if (name.EndsWith("conv2.weight")) return (0f, (float)(1.0 / 3.0));
        if (name.EndsWith("conv1.weight")) return (0f, (float)(1.0 / Math.Sqrt(shape[0])));
        if (name.EndsWith("projection.weight")) return (0f, (float)(1.0 / Math.Sqrt(shape[1] * shape[2] * shape[3])));
        if (shape.Length == 2 && !name.StartsWith("embeddings.") && name != "query.weight") return (0f, (float)(1.0 / Math.Sqrt(shape[1])));
        return (0f, 1f);
    }

    private static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte c in System.Text.Encoding.UTF8.GetBytes(text)) h = unchecked((h ^ c) * 0x100000001B3UL);
        return h;
    }

    /// <summary>Canonical HF names and shapes of an EoMT checkpoint (eomt.md §5.2), SwiGLU included.</summary>
    public static Dictionary<string, int[]> Shapes(EomtConfig c)
    {
        int C = c.HiddenSize, p = c.PatchSize, G = c.Grid, H = c.MlpHidden;
        var s = new Dictionary<string, int[]>
        {
            ["embeddings.cls_token"] = [1, 1, C],
            ["embeddings.register_tokens"] = [1, c.RegisterTokens, C],
            ["embeddings.position_embeddings.weight"] = [G * G, C],
            ["embeddings.patch_embeddings.projection.weight"] = [C, 3, p, p],
            ["embeddings.patch_embeddings.projection.bias"] = [C],
        };
        for (int i = 0; i < c.Layers; i++)
        {
            string l = $"layers.{i}.";
            foreach (var n in new[] { "norm1", "norm2" }) { s[l + n + ".weight"] = [C]; s[l + n + ".bias"] = [C]; }
            foreach (var n in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                s[l + "attention." + n + ".weight"] = [C, C];
                s[l + "attention." + n + ".bias"] = [C];
            }
            s[l + "layer_scale1.lambda1"] = [C];
            s[l + "layer_scale2.lambda1"] = [C];
            var (fc1, fc2, rows) = c.SwiGlu ? ("weights_in", "weights_out", 2 * H) : ("fc1", "fc2", H);
            s[l + $"mlp.{fc1}.weight"] = [rows, C];
            s[l + $"mlp.{fc1}.bias"] = [rows];
            s[l + $"mlp.{fc2}.weight"] = [C, H];
            s[l + $"mlp.{fc2}.bias"] = [C];
        }
        s["layernorm.weight"] = [C];
        s["layernorm.bias"] = [C];
        s["query.weight"] = [c.Queries, C];
        s["class_predictor.weight"] = [c.Classes + 1, C];
        s["class_predictor.bias"] = [c.Classes + 1];
        foreach (var n in new[] { "fc1", "fc2", "fc3" }) { s[$"mask_head.{n}.weight"] = [C, C]; s[$"mask_head.{n}.bias"] = [C]; }
        for (int j = 0; j < c.UpscaleBlocks; j++)
        {
            string u = $"upscale_block.block.{j}.";
            s[u + "conv1.weight"] = [C, C, 2, 2];
            s[u + "conv1.bias"] = [C];
            s[u + "conv2.weight"] = [C, 1, 3, 3];
            s[u + "layernorm2d.weight"] = [C];
            s[u + "layernorm2d.bias"] = [C];
        }
        s["attn_mask_probs"] = [c.QueryBlocks];
        return s;
    }

    /// <summary>The published architectures for <c>bench forward</c> (eomt.md §1.2, §5.3; semantic heads: 100 queries, 19 classes).</summary>
    public static EomtConfig Published(string name) => name.ToUpperInvariant() switch
    {
        "S-640" => Vit(384, 12, 6, 640, 3, false),
        "B-640" => Vit(768, 12, 12, 640, 3, false),
        "L-640" => Vit(1024, 24, 16, 640, 4, false),
        "L-1024" => Vit(1024, 24, 16, 1024, 4, false),
        "B-1024" => Vit(768, 12, 12, 1024, 3, false),
        "G-640" => Vit(1536, 40, 24, 640, 5, true),
        _ => throw new ArgumentException($"unknown config '{name}': use S-640, B-640, L-640, L-1024, B-1024 or g-640"),
    };

    private static EomtConfig Vit(int c, int layers, int heads, int size, int l2, bool swiglu) =>
        new(c, layers, heads, 16, 4, 100, 19, size, l2, 2, swiglu, swiglu ? ((int)(c * 4.0 * 2 / 3) + 7) / 8 * 8 : 4 * c);
}
