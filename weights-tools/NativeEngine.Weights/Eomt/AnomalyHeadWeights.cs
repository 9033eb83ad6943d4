using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.Eomt;

/// <summary>The three layouts of the seed's PixelAnomalyHead (seed.md §1.3–§1.5).</summary>
public enum AnomalyHeadLayout
{
    /// <summary>Final seed code: mlp = 0 Linear(4→H1), 1 ReLU, 2 Dropout, 3 Linear(H1→H2), 4 ReLU, 5 Dropout, 6 Linear(H2→1).</summary>
    Plain,

    /// <summary>Earlier commits: 0 Linear, 1 ReLU, 2 BatchNorm1d(H1), 3 Dropout, 4 Linear, 5 ReLU, 6 Dropout, 7 Linear.</summary>
    BatchNorm,

    /// <summary>Hybrid branch: feature_proj = 0 Conv2d(Cf→P, 1×1) + ReLU, then the Plain MLP on 4 + P inputs.</summary>
    Hybrid,
}

/// <summary>
/// The seed's EoMT-EXT anomaly-head tensors by their seed names (<c>mlp.0.weight</c>, <c>mlp.2.running_mean</c>,
/// <c>feature_proj.0.weight</c>…), converted to float32, with the layout and sizes read off the shapes.
/// Checkpoint prefixes <c>network.anomaly_head.</c> and <c>anomaly_head.</c> are accepted, as is a bare head state dict.
/// </summary>
public sealed class AnomalyHeadWeights
{
    private readonly Dictionary<string, float[]>? tensors;
    private readonly Dictionary<string, long[]> shapes;
    private readonly Dictionary<string, DType> dtypes;

    private AnomalyHeadWeights(AnomalyHeadLayout layout, int inputFeatures, int[] hidden, int featureChannels, int projectedChannels,
        Dictionary<string, float[]>? tensors, Dictionary<string, long[]> shapes, Dictionary<string, DType> dtypes)
    {
        Layout = layout;
        InputFeatures = inputFeatures;
        HiddenSizes = hidden;
        FeatureChannels = featureChannels;
        ProjectedChannels = projectedChannels;
        this.tensors = tensors;
        this.shapes = shapes;
        this.dtypes = dtypes;
    }

    /// <summary>Plain, BatchNorm or Hybrid.</summary>
    public AnomalyHeadLayout Layout { get; }

    /// <summary>MLP input width: 4 statistics (Plain, BatchNorm) or 4 + ProjectedChannels (Hybrid, 36).</summary>
    public int InputFeatures { get; }

    /// <summary>Hidden widths of the MLP, first layer first (the seed code: 64, 32).</summary>
    public IReadOnlyList<int> HiddenSizes { get; }

    /// <summary>Hybrid only: channels of the backbone feature map feature_proj reads (768 for ViT-B); 0 otherwise.</summary>
    public int FeatureChannels { get; }

    /// <summary>Hybrid only: channels feature_proj produces (32); 0 otherwise.</summary>
    public int ProjectedChannels { get; }

    /// <summary>Tensor names (seed names, relative to the head).</summary>
    public IReadOnlyCollection<string> Names => shapes.Keys;

    /// <summary>False when read from a shape-only manifest (the indexer then throws).</summary>
    public bool HasData => tensors is not null;

    /// <summary>A tensor's values as float32 (num_batches_tracked converted from int64).</summary>
    public float[] this[string name] => tensors is null
        ? throw new InvalidOperationException("anomaly head was read from a shape-only manifest; it has no values")
        : tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"anomaly head has no tensor '{name}' (layout {Layout})");

    /// <summary>A tensor's shape.</summary>
    public long[] Shape(string name) => shapes.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"anomaly head has no tensor '{name}' (layout {Layout})");

    /// <summary>A tensor's dtype in the file.</summary>
    public DType SourceDType(string name) => dtypes.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"anomaly head has no tensor '{name}' (layout {Layout})");

    /// <summary>Whether the head has a tensor of that name.</summary>
    public bool Contains(string name) => shapes.ContainsKey(name);

    /// <summary>Trainable parameters (BatchNorm running statistics and the batch counter excluded): 2 433 plain, 29 089 hybrid.</summary>
    public long ParameterCount => shapes.Where(kv => !IsBuffer(kv.Key)).Sum(kv => kv.Value.Aggregate(1L, (a, b) => a * b));

    /// <summary>The names of the linear layers' Sequential indices for this layout (first, second, output).</summary>
    public IReadOnlyList<string> LinearLayers => Layout == AnomalyHeadLayout.BatchNorm ? ["mlp.0", "mlp.4", "mlp.7"] : ["mlp.0", "mlp.3", "mlp.6"];

    private static bool IsBuffer(string n) => n.EndsWith(".running_mean", StringComparison.Ordinal) || n.EndsWith(".running_var", StringComparison.Ordinal) || n.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    /// <summary>
    /// Loads the head alone from any checkpoint this library reads (safetensors, PyTorch zip, Lightning ckpt). The
    /// head's tensors are found under <c>network.anomaly_head.</c>, <c>anomaly_head.</c>, or at the top level.
    /// </summary>
    public static AnomalyHeadWeights Load(string path)
    {
        using var src = TensorSources.Open(path);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var stored in src.Infos.Keys)
        {
            var n = EomtKeyMap.Normalize(stored);
            if (n.StartsWith(EomtKeyMap.AnomalyHeadPrefix, StringComparison.Ordinal)) names[n[EomtKeyMap.AnomalyHeadPrefix.Length..]] = stored;
        }
        if (names.Count == 0)
            foreach (var stored in src.Infos.Keys)
                if (stored.StartsWith("mlp.", StringComparison.Ordinal) || stored.StartsWith("feature_proj.", StringComparison.Ordinal)) names[stored] = stored;
        if (names.Count == 0)
            throw new CheckpointException(path, "no anomaly-head tensors (looked for network.anomaly_head.*, anomaly_head.* and mlp.*)");
        var problems = new List<string>();
        var head = FromSource(src, names, problems);
        if (head is null) throw new CheckpointException(path, "anomaly head refused: " + string.Join("; ", problems));
        return head;
    }

    /// <summary>Builds the head from stored tensors (head-relative name → stored name); problems are appended, null when any.</summary>
    internal static AnomalyHeadWeights? FromSource(ITensorSource src, IReadOnlyDictionary<string, string> names, List<string> problems)
    {
        var shapesOf = names.ToDictionary(kv => kv.Key, kv => src.Infos[kv.Value].Shape, StringComparer.Ordinal);
        bool hybrid = shapesOf.ContainsKey("feature_proj.0.weight");
        bool bn = shapesOf.ContainsKey("mlp.2.running_mean") || shapesOf.ContainsKey("mlp.2.weight");
        int before = problems.Count;
        if (hybrid && bn) problems.Add("anomaly head has both feature_proj and a BatchNorm at mlp.2: no known seed layout has both");
        var layout = hybrid ? AnomalyHeadLayout.Hybrid : bn ? AnomalyHeadLayout.BatchNorm : AnomalyHeadLayout.Plain;
        var (l1, l2, l3) = layout == AnomalyHeadLayout.BatchNorm ? ("mlp.0", "mlp.4", "mlp.7") : ("mlp.0", "mlp.3", "mlp.6");

        long Dim(string name, int axis) => shapesOf.TryGetValue(name, out var s) && s.Length > axis ? s[axis] : -1;
        int h1 = (int)Dim(l1 + ".weight", 0), inputs = (int)Dim(l1 + ".weight", 1), h2 = (int)Dim(l2 + ".weight", 0);
        int proj = hybrid ? (int)Dim("feature_proj.0.weight", 0) : 0, featC = hybrid ? (int)Dim("feature_proj.0.weight", 1) : 0;

        var expected = new List<(string, long[])>();
        if (hybrid)
        {
            expected.Add(("feature_proj.0.weight", [proj, featC, 1, 1]));
            expected.Add(("feature_proj.0.bias", [proj]));
        }
        expected.Add((l1 + ".weight", [h1, inputs]));
        expected.Add((l1 + ".bias", [h1]));
        if (bn)
        {
            foreach (var s in new[] { "weight", "bias", "running_mean", "running_var" }) expected.Add(($"mlp.2.{s}", [h1]));
            expected.Add(("mlp.2.num_batches_tracked", []));
        }
        expected.Add((l2 + ".weight", [h2, h1]));
        expected.Add((l2 + ".bias", [h2]));
        expected.Add((l3 + ".weight", [1, h2]));
        expected.Add((l3 + ".bias", [1]));

        int wantInputs = hybrid ? 4 + proj : 4;
        if (inputs >= 0 && inputs != wantInputs)
            problems.Add($"anomaly head {l1}.weight takes {inputs} inputs; layout {layout} needs {wantInputs} (4 statistics{(hybrid ? $" + {proj} projected features" : "")})");
        var want = expected.Select(e => e.Item1).ToHashSet(StringComparer.Ordinal);
        var missing = want.Where(n => !shapesOf.ContainsKey(n)).ToList();
        var extra = shapesOf.Keys.Where(n => !want.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var misShaped = expected.Where(e => shapesOf.TryGetValue(e.Item1, out var s) && !s.SequenceEqual(e.Item2) && !e.Item2.Contains(-1))
            .Select(e => $"{e.Item1} {Text(shapesOf[e.Item1])} (expected {Text(e.Item2)})").ToList();
        if (missing.Count > 0) problems.Add($"anomaly head ({layout}) is missing {string.Join(", ", missing)}");
        if (extra.Count > 0) problems.Add($"anomaly head ({layout}) has unexpected {string.Join(", ", extra)}");
        if (misShaped.Count > 0) problems.Add($"anomaly head ({layout}) mis-shaped: {string.Join("; ", misShaped)}");
        foreach (var (n, stored) in names)
            if (!src.Infos[stored].DType.IsFloat() && !n.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                problems.Add($"anomaly head {n} is {src.Infos[stored].DType.SafeTensorsName()}, not a floating type");
        if (problems.Count > before) return null;

        var values = src.HasData ? names.ToDictionary(kv => kv.Key, kv => src.ReadAllFloat32(kv.Value), StringComparer.Ordinal) : null;
        var dtypes = names.ToDictionary(kv => kv.Key, kv => src.Infos[kv.Value].DType, StringComparer.Ordinal);
        return new AnomalyHeadWeights(layout, inputs, [h1, h2], featC, proj, values, shapesOf, dtypes);
    }

    private static string Text(long[] s) => "(" + string.Join(",", s) + ")";
}
