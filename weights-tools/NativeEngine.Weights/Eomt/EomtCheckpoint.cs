using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.Eomt;

/// <summary>
/// An EoMT checkpoint opened for the engine: every tensor under its canonical Hugging Face name (eomt.md §5.2)
/// whatever the file used (HF safetensors, original tue-mps/eomt .bin/.pth, Lightning .ckpt with the seed's anomaly
/// head), the architecture (from config.json where present, else from the shapes, always checked against them),
/// and lazy float32 reads. The fused qkv is split and the pos-embed squeezed without copying the file.
/// </summary>
public sealed class EomtCheckpoint : IDisposable
{
    private readonly Dictionary<string, CanonicalRef> refs;
    private readonly List<string> names;

    private EomtCheckpoint(string path, ITensorSource source, EomtConfig config, string configSource, string naming,
        Dictionary<string, CanonicalRef> refs, List<string> names, float[] attnMaskProbs, AnomalyHeadWeights? head,
        List<string> notes, List<string> dropped)
    {
        Path = path;
        Source = source;
        Config = config;
        ConfigSource = configSource;
        Naming = naming;
        this.refs = refs;
        this.names = names;
        AttnMaskProbs = attnMaskProbs;
        AnomalyHead = head;
        Notes = notes;
        Dropped = dropped;
    }

    /// <summary>The file or folder loaded.</summary>
    public string Path { get; }

    /// <summary>The underlying tensor store (stored names).</summary>
    public ITensorSource Source { get; }

    /// <summary>The architecture.</summary>
    public EomtConfig Config { get; }

    /// <summary>Where <see cref="Config"/> came from: "config.json" (folder), "safetensors metadata" (written by convert),
    /// "config.json beside the file", "manifest config" or "tensor shapes".</summary>
    public string ConfigSource { get; }

    /// <summary>The naming scheme found in the file: "hugging face" or "original (tue-mps/eomt)".</summary>
    public string Naming { get; }

    /// <summary>Canonical names of every EoMT tensor present (attn_mask_probs included when stored), in model order.</summary>
    public IReadOnlyCollection<string> Names => names;

    /// <summary>
    /// The per-block mask annealing probabilities (length L2; zeros when the file has none). All zero: the unmasked
    /// inference path. Anything else is for the model to decide (1 = masked path; strictly between 0 and 1 = refused).
    /// </summary>
    public float[] AttnMaskProbs { get; }

    /// <summary>The seed's anomaly head when the file carries one (<c>network.anomaly_head.*</c> / <c>anomaly_head.*</c>).</summary>
    public AnomalyHeadWeights? AnomalyHead { get; }

    /// <summary>The anomaly head's tensors by head-relative seed name → stored name (empty when there is no head).</summary>
    public IReadOnlyDictionary<string, string> AnomalyHeadSourceNames { get; private init; } = new Dictionary<string, string>();

    /// <summary>How the architecture was inferred (e.g. heads assumed from head dim 64), for display.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>
    /// Config keys the checkpoint does not carry and its shapes cannot settle (the value in <see cref="Config"/> is a
    /// guess, noted in <see cref="Notes"/>). Empty when the architecture is certain; see <see cref="RequireKnownConfig"/>.
    /// </summary>
    public IReadOnlyList<string> Unknown { get; private init; } = [];

    /// <summary>
    /// Refuses to run a checkpoint whose architecture was partly guessed (<see cref="Unknown"/>), saying which value is
    /// missing and the ways to give it. inspect shows the guess; forward, eval, infer and convert call this.
    /// </summary>
    public void RequireKnownConfig()
    {
        if (Unknown.Count == 0) return;
        throw new CheckpointException(Path, $"{string.Join("; ", Unknown)} is not known: there is no config.json. Put the model's config.json beside the " +
            "weights, give it with --config config.json (forward), or write it into the file once with `weights-tools convert <in> <out.safetensors> --config config.json`");
    }

    /// <summary>Stored names dropped on purpose (pixel_mean/std, criterion.empty_weight…).</summary>
    public IReadOnlyList<string> Dropped { get; }

    /// <summary>EoMT parameters (buffers excluded; the anomaly head not included).</summary>
    public long ParameterCount => EomtLayout.ParameterCount(Config);

    /// <summary>Whether the checkpoint has a tensor of that canonical name.</summary>
    public bool Contains(string name) => refs.ContainsKey(name);

    /// <summary>The canonical shape of a tensor.</summary>
    public long[] Shape(string name) => Ref(name).Shape.ToArray();

    /// <summary>The dtype the tensor is stored in (F32, F16, BF16…).</summary>
    public DType SourceDType(string name) => Source.Infos[Ref(name).SourceName].DType;

    /// <summary>The stored name a canonical tensor comes from (e.g. <c>network.encoder.backbone.blocks.3.attn.qkv.weight</c>).</summary>
    public string SourceName(string name) => Ref(name).SourceName;

    /// <summary>The tensor as float32 (F16 and BF16 widened exactly), dense row-major in its canonical shape.</summary>
    public float[] ReadFloat32(string name)
    {
        if (Source is ISpanTensorSource mapped)
        {
            // Memory-mapped: convert straight from the mapping, no intermediate byte copy.
            var r = Ref(name);
            var dtype = Source.Infos[r.SourceName].DType;
            int size = dtype.SizeOf();
            return DTypeConvert.ToFloat32(dtype, mapped.GetSpan(r.SourceName).Slice(checked((int)(r.ElementOffset * size)), checked((int)(r.Elements * size))));
        }
        var (dt, bytes) = ReadRaw(name);
        return DTypeConvert.ToFloat32(dt, bytes);
    }

    /// <summary>The tensor's stored dtype and dense little-endian bytes (for uploading half types as they are).</summary>
    public (DType DType, byte[] Data) ReadRaw(string name)
    {
        var r = Ref(name);
        var dtype = Source.Infos[r.SourceName].DType;
        int size = dtype.SizeOf();
        var data = new byte[checked((int)(r.Elements * size))];
        Source.ReadBytes(r.SourceName, r.ElementOffset * size, data);
        return (dtype, data);
    }

    private CanonicalRef Ref(string name) => refs.TryGetValue(name, out var r)
        ? r
        : throw new KeyNotFoundException($"{Path}: no EoMT tensor named '{name}' (canonical Hugging Face names, e.g. layers.0.attention.q_proj.weight)");

    /// <inheritdoc/>
    public void Dispose() => Source.Dispose();

    /// <summary>
    /// Loads a checkpoint file (.safetensors, .bin, .pth, .pt, .ckpt, a shape manifest .json) or a Hugging Face folder
    /// (config.json + model.safetensors, sharded index, or pytorch_model.bin). The architecture comes from, in order:
    /// the folder's config.json, the safetensors metadata <c>convert</c> writes, a config.json beside the file, else the
    /// shapes alone; a declared architecture is always checked against the shapes. Throws <see cref="CheckpointException"/>
    /// with every missing, unexpected and mis-shaped tensor in one message.
    /// </summary>
    /// <param name="path">The checkpoint file or folder.</param>
    /// <param name="configPath">A config.json that declares the architecture (wins over every other source), or null.</param>
    public static EomtCheckpoint Load(string path, string? configPath = null)
    {
        if (configPath is not null && !File.Exists(configPath))
            throw new FileNotFoundException($"--config {configPath}: no such file (give the model's Hugging Face config.json)", configPath);
        var source = TensorSources.Open(path);
        try
        {
            return Build(path, source, configPath);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static EomtCheckpoint Build(string path, ITensorSource source, string? configPath)
    {
        var map = EomtKeyMap.Map(source.Infos);
        var problems = new List<string>(map.Problems);
        var notes = new List<string>();

        // 1. The declared architecture, if any.
        string? configJson = null, configSource = null;
        if (configPath is not null)
            (configJson, configSource) = (File.ReadAllText(configPath), $"--config {configPath}");
        else if (Directory.Exists(path) && File.Exists(System.IO.Path.Combine(path, "config.json")))
            (configJson, configSource) = (File.ReadAllText(System.IO.Path.Combine(path, "config.json")), "config.json");
        else if (source is ManifestSource { ConfigJson: not null } m)
            (configJson, configSource) = (m.ConfigJson, "manifest config");
        else if (source is SafeTensorsFile st && st.Metadata.TryGetValue(MetadataConfigKey, out var cj))
            (configJson, configSource) = (cj, "safetensors metadata");
        else if (File.Exists(path) && source is not ManifestSource
                 && File.Exists(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, "config.json")))
            (configJson, configSource) = (File.ReadAllText(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, "config.json")),
                "config.json beside the file");
        var declared = configJson is null ? null : EomtConfig.Parse(configJson, path, configSource!);

        // 2. The architecture the shapes imply, checked against the declared one.
        var unknown = new List<string>();
        var inferred = EomtInference.FromShapes(map.Canonical, declared, notes, problems, unknown);
        if (inferred is null)
            throw new CheckpointException(path, $"not an EoMT checkpoint (naming {map.Naming}, {source.Infos.Count} tensors): " + string.Join("; ", problems)
                + (map.Unexpected.Count > 0 ? $"; unrecognised names such as {string.Join(", ", map.Unexpected.Take(5))}" : ""));
        var config = declared ?? inferred;

        // 3. Every expected tensor present with its shape; nothing else.
        var expected = EomtLayout.Parameters(config).ToList();
        expected.Add((EomtLayout.AttnMaskProbs, [config.QueryBlocks]));
        var want = expected.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
        var missing = expected.Where(e => e.Name != EomtLayout.AttnMaskProbs && !map.Canonical.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        var unexpected = map.Canonical.Keys.Where(n => !want.ContainsKey(n)).Select(n => map.Canonical[n].SourceName).Concat(map.Unexpected).Distinct().ToList();
        var misShaped = map.Canonical.Values.Where(r => want.TryGetValue(r.Name, out var s) && !s.SequenceEqual(r.Shape))
            .Select(r => $"{r.Name} {Text(r.Shape)} (expected {Text(want[r.Name])}{(r.SourceName != r.Name ? $"; stored as {r.SourceName}" : "")})").ToList();
        var badType = map.Canonical.Values.Where(r => !source.Infos[r.SourceName].DType.IsFloat())
            .Select(r => $"{r.SourceName} is {source.Infos[r.SourceName].DType.SafeTensorsName()}").Distinct().ToList();
        Report(problems, "missing", missing);
        Report(problems, "unexpected", unexpected);
        Report(problems, "mis-shaped", misShaped);
        Report(problems, "not floating point", badType);

        // 4. The seed's anomaly head.
        AnomalyHeadWeights? head = null;
        if (map.AnomalyHead.Count > 0) head = AnomalyHeadWeights.FromSource(source, map.AnomalyHead, problems);

        if (problems.Count > 0)
            throw new CheckpointException(path, $"EoMT checkpoint does not match {config.Describe()} (architecture from {configSource ?? "tensor shapes"}, naming {map.Naming}): "
                + string.Join("; ", problems));

        var order = expected.Select(e => e.Name).Where(map.Canonical.ContainsKey).ToList();
        var ck = new EomtCheckpoint(path, source, config, configSource ?? "tensor shapes", map.Naming, map.Canonical, order,
            new float[config.QueryBlocks], head, notes, map.Dropped) { AnomalyHeadSourceNames = map.AnomalyHead, Unknown = unknown };
        if (map.Canonical.ContainsKey(EomtLayout.AttnMaskProbs) && source.HasData)
            ck.ReadFloat32(EomtLayout.AttnMaskProbs).CopyTo(ck.AttnMaskProbs, 0);
        if (ck.AttnMaskProbs.Any(p => p != 0))
            notes.Add($"attn_mask_probs = [{string.Join(", ", ck.AttnMaskProbs)}]: not all zero (the unmasked inference path needs zeros)");
        return ck;
    }

    /// <summary>The safetensors __metadata__ key under which <c>convert</c> stores the config.json text.</summary>
    public const string MetadataConfigKey = "eomt.config";

    private static void Report(List<string> problems, string what, List<string> items)
    {
        if (items.Count == 0) return;
        problems.Add($"{items.Count} {what}: {string.Join(", ", items.Take(24))}{(items.Count > 24 ? $", … ({items.Count - 24} more)" : "")}");
    }

    internal static string Text(long[] s) => "(" + string.Join(",", s) + ")";
}
