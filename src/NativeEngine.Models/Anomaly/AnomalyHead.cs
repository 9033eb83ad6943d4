using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Models.Anomaly;

/// <summary>The three head layouts the seed shipped (seed.md §1.3–§1.5).</summary>
public enum AnomalyHeadLayout
{
    /// <summary>Linear(Cin→H1)–ReLU–Dropout–Linear(H1→H2)–ReLU–Dropout–Linear(H2→1): mlp.0, mlp.3, mlp.6.</summary>
    Plain,
    /// <summary>BatchNorm1d(H1) after the first ReLU: mlp.0, mlp.2 (BN), mlp.4, mlp.7.</summary>
    BatchNorm,
    /// <summary>Plain MLP on 4 statistics + 32 projected patch features (feature_proj.0: 1×1 conv C→32 + ReLU).</summary>
    Hybrid,
}

/// <summary>Sizes and regularisation of a head to create.</summary>
/// <param name="Layout">Which layout.</param>
/// <param name="Hidden1">First hidden width (seed: 64).</param>
/// <param name="Hidden2">Second hidden width (seed: 32).</param>
/// <param name="Dropout">Dropout probability in training (seed: 0.1).</param>
/// <param name="FeatureDim">Hybrid only: token width C (768 for ViT-B).</param>
/// <param name="ProjDim">Hybrid only: projected feature channels (seed: 32).</param>
public sealed record AnomalyHeadOptions(AnomalyHeadLayout Layout = AnomalyHeadLayout.Plain, int Hidden1 = 64, int Hidden2 = 32,
    float Dropout = 0.1f, int FeatureDim = 768, int ProjDim = 32);

/// <summary>One named parameter or buffer of the head, host-side, in its checkpoint shape.</summary>
/// <param name="Name">The seed's name without prefix, e.g. "mlp.0.weight".</param>
/// <param name="Shape">Checkpoint shape.</param>
/// <param name="Data">Row-major values.</param>
/// <param name="Trainable">False for BatchNorm running statistics.</param>
public sealed record HeadTensor(string Name, int[] Shape, float[] Data, bool Trainable);

/// <summary>
/// The EoMT-EXT pixel-wise anomaly head (seed.md §1.3–§1.6): host-side parameters under the seed's tensor names,
/// load/save, PyTorch-default initialisation, and packing for the per-pixel inference kernel.
/// </summary>
public sealed class AnomalyHead
{
    /// <summary>Prefix of the head inside a full EoMT-EXT checkpoint; stripped on input.</summary>
    public const string CheckpointPrefix = "network.anomaly_head.";

    /// <summary>torch.nn.BatchNorm1d defaults.</summary>
    public const float BatchNormEps = 1e-5f, BatchNormMomentum = 0.1f;

    private readonly Dictionary<string, HeadTensor> byName;

    private AnomalyHead(AnomalyHeadOptions options, IEnumerable<HeadTensor> tensors, string source = "anomaly head")
    {
        Options = options;
        Source = source;
        Tensors = tensors.ToList();
        byName = Tensors.ToDictionary(t => t.Name);
    }

    /// <summary>Layout and sizes.</summary>
    public AnomalyHeadOptions Options { get; }

    /// <summary>Where the head came from (its file when loaded), for error messages.</summary>
    public string Source { get; }

    /// <summary>The layout.</summary>
    public AnomalyHeadLayout Layout => Options.Layout;

    /// <summary>Cin of the MLP: 4, or 4 + ProjDim for the hybrid.</summary>
    public int InputDim => UncertaintyStats.Count + (Layout == AnomalyHeadLayout.Hybrid ? Options.ProjDim : 0);

    /// <summary>Every tensor in checkpoint order.</summary>
    public IReadOnlyList<HeadTensor> Tensors { get; }

    /// <summary>The tensor with this (unprefixed) name.</summary>
    public HeadTensor this[string name] => byName.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"anomaly head ({Layout}) has no tensor '{name}'");

    /// <summary>Names of the three Linear layers and the BatchNorm for a layout.</summary>
    public static (string L1, string L2, string L3, string? Bn, string? Proj) LayerNames(AnomalyHeadLayout layout) => layout switch
    {
        AnomalyHeadLayout.BatchNorm => ("mlp.0", "mlp.4", "mlp.7", "mlp.2", null),
        AnomalyHeadLayout.Hybrid => ("mlp.0", "mlp.3", "mlp.6", null, "feature_proj.0"),
        _ => ("mlp.0", "mlp.3", "mlp.6", null, null),
    };

    /// <summary>A freshly initialised head: torch defaults (Linear/Conv weights and biases U(±1/√fan_in), BN γ=1, β=0, μ=0, σ²=1).</summary>
    public static AnomalyHead Create(AnomalyHeadOptions options, int seed = 0)
    {
        var rng = new Random(seed);
        var (l1, l2, l3, bn, proj) = LayerNames(options.Layout);
        int cin = UncertaintyStats.Count + (options.Layout == AnomalyHeadLayout.Hybrid ? options.ProjDim : 0);
        var list = new List<HeadTensor>();
        void Linear(string name, int outDim, int inDim, bool conv = false)
        {
            float bound = 1f / MathF.Sqrt(inDim);
            float[] U(int n) => Enumerable.Range(0, n).Select(_ => (rng.NextSingle() * 2 - 1) * bound).ToArray();
            list.Add(new(name + ".weight", conv ? [outDim, inDim, 1, 1] : [outDim, inDim], U(outDim * inDim), true));
            list.Add(new(name + ".bias", [outDim], U(outDim), true));
        }
        Linear(l1, options.Hidden1, cin);
        if (bn is not null)
        {
            int h = options.Hidden1;
            list.Add(new(bn + ".weight", [h], Enumerable.Repeat(1f, h).ToArray(), true));
            list.Add(new(bn + ".bias", [h], new float[h], true));
            list.Add(new(bn + ".running_mean", [h], new float[h], false));
            list.Add(new(bn + ".running_var", [h], Enumerable.Repeat(1f, h).ToArray(), false));
        }
        Linear(l2, options.Hidden2, options.Hidden1);
        Linear(l3, 1, options.Hidden2);
        if (proj is not null) Linear(proj, options.ProjDim, options.FeatureDim, conv: true);
        return new AnomalyHead(options, list);
    }

    /// <summary>
    /// Loads a head from safetensors: the seed's names, optionally under "network.anomaly_head." (a full EoMT-EXT
    /// checkpoint converted to safetensors works). The layout is detected (feature_proj.0.weight → hybrid,
    /// mlp.2.running_mean → BatchNorm) and every shape is checked. Other formats (.pth, Lightning .ckpt) go through
    /// <see cref="Weights.Eomt.AnomalyHeadWeights"/>.
    /// </summary>
    public static AnomalyHead Load(string path, float? dropout = null)
    {
        if (!IsSafeTensors(path))
        {
            // PyTorch zip / Lightning ckpt: the weights library finds and validates the head's tensors.
            var w = Weights.Eomt.AnomalyHeadWeights.Load(path);
            return FromTensors(w.Names.ToDictionary(n => n, n => (w.Shape(n).Select(d => (int)d).ToArray(), w[n])), dropout ?? 0.1f, path);
        }
        using var f = SafeTensorsFile.Open(path);
        var found = new Dictionary<string, (int[] Shape, float[] Data)>();
        foreach (var (name, entry) in f.Tensors)
        {
            string n = name.StartsWith(CheckpointPrefix, StringComparison.Ordinal) ? name[CheckpointPrefix.Length..]
                : name.StartsWith("anomaly_head.", StringComparison.Ordinal) ? name["anomaly_head.".Length..] : name;
            if (!n.StartsWith("mlp.", StringComparison.Ordinal) && !n.StartsWith("feature_proj.", StringComparison.Ordinal)) continue;
            if (n.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            found[n] = (entry.Shape.Select(d => (int)d).ToArray(), f.ReadFloat32(name));
        }
        float p = dropout ?? (f.Metadata.TryGetValue("dropout", out var ds) && float.TryParse(ds, System.Globalization.CultureInfo.InvariantCulture, out var dv) ? dv : 0.1f);
        return FromTensors(found, p, path);
    }

    // Sniffed by content, not extension (train-head checkpoints are safetensors named .ckpt): a u64 header length,
    // then the JSON header's '{'.
    private static bool IsSafeTensors(string path)
    {
        using var fs = File.OpenRead(path);
        var head = new byte[9];
        return fs.Read(head, 0, 9) == 9 && head[8] == (byte)'{';
    }

    /// <summary>Builds a head from unprefixed named tensors (shape, data), detecting the layout; <paramref name="source"/> names them in errors.</summary>
    public static AnomalyHead FromTensors(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> t, float dropout = 0.1f, string source = "head")
    {
        var layout = t.ContainsKey("feature_proj.0.weight") ? AnomalyHeadLayout.Hybrid
            : t.ContainsKey("mlp.2.running_mean") ? AnomalyHeadLayout.BatchNorm : AnomalyHeadLayout.Plain;
        var (l1, l2, l3, bn, proj) = LayerNames(layout);
        (int[] Shape, float[] Data) Get(string name) => t.TryGetValue(name, out var v) ? v
            : throw new ArgumentException($"{source}: missing tensor '{name}' for a {layout} anomaly head (found: {string.Join(", ", t.Keys.Order())})");
        var w1 = Get(l1 + ".weight");
        if (w1.Shape.Length != 2) throw new ArgumentException($"{source}: {l1}.weight expected shape [H1,Cin], got [{string.Join(",", w1.Shape)}]");
        int h1 = w1.Shape[0], cin = w1.Shape[1];
        // Rows of a weight that must have at least one axis (a scalar was an IndexOutOfRangeException: found by tests/fuzz).
        int Rows(string name) => Get(name).Shape is [var rows, ..] ? rows
            : throw new ArgumentException($"{source}: {name} expected a weight matrix, got a scalar (shape [])");
        int h2 = Rows(l2 + ".weight");
        int projDim = 32, featureDim = 768;
        if (proj is not null)
        {
            var pw = Get(proj + ".weight").Shape;
            projDim = Rows(proj + ".weight");
            featureDim = pw.Length > 1 ? pw[1] : 0;
        }
        var options = new AnomalyHeadOptions(layout, h1, h2, dropout, featureDim, projDim);
        var expected = Create(options with { }, 0);
        if (expected.InputDim != cin)
            throw new ArgumentException($"{source}: {l1}.weight expected shape [{h1},{expected.InputDim}] for a {layout} head, got [{h1},{cin}]");
        var list = new List<HeadTensor>();
        foreach (var e in expected.Tensors)
        {
            var (shape, data) = Get(e.Name);
            if (!shape.SequenceEqual(e.Shape))
                throw new ArgumentException($"{source}: {e.Name} expected shape [{string.Join(",", e.Shape)}], got [{string.Join(",", shape)}]");
            list.Add(e with { Data = (float[])data.Clone() });
        }
        return new AnomalyHead(options, list, source);
    }

    /// <summary>Writes the head under the seed's names (no prefix), with layout and dropout in the metadata.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null, IEnumerable<SafeTensorsWriter.Item>? extra = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["format"] = "nativeengine anomaly head",
            ["layout"] = Layout.ToString(),
            ["dropout"] = Options.Dropout.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        };
        var items = Tensors.Select(t => SafeTensorsWriter.F32(t.Name, t.Data, t.Shape.Select(d => (long)d).ToArray())).Concat(extra ?? []);
        SafeTensorsWriter.Write(path, items, meta);
    }

    /// <summary>A copy with other values for some tensors (same names and shapes).</summary>
    public AnomalyHead With(IReadOnlyDictionary<string, float[]> values) =>
        new(Options, Tensors.Select(t => values.TryGetValue(t.Name, out var v)
            ? (v.Length == t.Data.Length ? t with { Data = (float[])v.Clone() } : throw new ArgumentException($"{t.Name}: expected {t.Data.Length} values, got {v.Length}"))
            : t), Source);

    /// <summary>A copy with another dropout probability.</summary>
    public AnomalyHead WithDropout(float p) => new(Options with { Dropout = p }, Tensors, Source);

    /// <summary>
    /// Refuses a hybrid head whose feature_proj reads another token width than the model's hidden size C, naming
    /// the head file and both widths (a stats-only head fits every model).
    /// </summary>
    public void CheckFeatureWidth(int hiddenSize, string model)
    {
        if (Layout == AnomalyHeadLayout.Hybrid && Options.FeatureDim != hiddenSize)
            throw new ArgumentException($"{Source}: this hybrid anomaly head's feature_proj.0.weight reads {Options.FeatureDim}-channel patch features, " +
                $"but {model} has hidden size C = {hiddenSize}; use a hybrid head trained on this backbone (or a stats-only head)");
    }

    /// <summary>
    /// The eval-mode MLP packed for the per-pixel kernel (W1|b1|W2|b2|w3|b3). An eval BatchNorm after the first ReLU is
    /// folded into the second layer: W2·(γ⊙(h−μ)/√(σ²+ε) + β) = (W2·diag(s))·h + W2·(β − s⊙μ), s = γ/√(σ²+ε).
    /// </summary>
    public float[] PackedParameters()
    {
        var (l1, l2, l3, bn, _) = LayerNames(Layout);
        int h1 = Options.Hidden1, h2 = Options.Hidden2;
        var w2 = (float[])this[l2 + ".weight"].Data.Clone();
        var b2 = (float[])this[l2 + ".bias"].Data.Clone();
        if (bn is not null)
        {
            float[] g = this[bn + ".weight"].Data, be = this[bn + ".bias"].Data, mu = this[bn + ".running_mean"].Data, var = this[bn + ".running_var"].Data;
            var s = new double[h1];
            for (int i = 0; i < h1; i++) s[i] = g[i] / Math.Sqrt(var[i] + (double)BatchNormEps);
            for (int j = 0; j < h2; j++)
            {
                double shift = 0;
                for (int i = 0; i < h1; i++)
                {
                    double w = this[l2 + ".weight"].Data[j * h1 + i];
                    shift += w * (be[i] - s[i] * mu[i]);
                    w2[j * h1 + i] = (float)(w * s[i]);
                }
                b2[j] = (float)(b2[j] + shift);
            }
        }
        return [.. this[l1 + ".weight"].Data, .. this[l1 + ".bias"].Data, .. w2, .. b2, .. this[l3 + ".weight"].Data, .. this[l3 + ".bias"].Data];
    }

    /// <summary>Uploads the packed eval-mode MLP (and the hybrid projection) to <paramref name="device"/>.</summary>
    public AnomalyHeadRunner ToDevice(ComputeDevice device) => new(this, device);
}
