using System.Text.Json;
using System.Text.Json.Nodes;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Weights;

/// <summary>
/// A shape-only checkpoint description (weights-tools/manifests/*.json): the names, dtypes and shapes of a real
/// checkpoint without its data, plus optionally its config.json. Lets the key maps, architecture inference and
/// parameter counts be tested at real scale without gigabytes of weights. Reading data throws.
/// Format: {"model": "...", "config": {config.json keys}, "tensors": {"name": {"dtype": "F32", "shape": [..]}}, ...}.
/// </summary>
public sealed class ManifestSource : ITensorSource
{
    private readonly Dictionary<string, TensorInfo> infos;

    private ManifestSource(string path, string model, string? configJson, Dictionary<string, TensorInfo> infos, JsonObject root)
    {
        Path = path;
        Model = model;
        ConfigJson = configJson;
        this.infos = infos;
        Root = root;
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>The model the manifest describes (e.g. a hub id).</summary>
    public string Model { get; }

    /// <summary>The embedded config.json text, or null.</summary>
    public string? ConfigJson { get; }

    /// <summary>The whole manifest document (for expected values kept beside the tensors).</summary>
    public JsonObject Root { get; }

    /// <inheritdoc/>
    public string Format => "manifest (shapes only)";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, TensorInfo> Infos => infos;

    /// <inheritdoc/>
    public bool HasData => false;

    /// <summary>Whether a .json file is a tensor manifest (has a "tensors" object).</summary>
    public static bool IsManifest(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("tensors", out var t) && t.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads a manifest.</summary>
    public static ManifestSource Open(string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointException(path, "manifest is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"manifest is not valid JSON: {e.Message}");
        }
        if (root["tensors"] is not JsonObject tensors) throw new CheckpointException(path, "manifest has no 'tensors' object");
        var infos = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var (name, node) in tensors)
        {
            var dtype = node?["dtype"]?.GetValue<string>() ?? throw new CheckpointException(path, $"manifest tensor '{name}' has no dtype");
            var shape = (node["shape"] as JsonArray)?.Select(x => x!.GetValue<long>()).ToArray()
                ?? throw new CheckpointException(path, $"manifest tensor '{name}' has no shape");
            infos[name] = new TensorInfo(name, DTypeConvert.FromSafeTensorsName(dtype, path, name), shape);
        }
        return new ManifestSource(path, root["model"]?.GetValue<string>() ?? System.IO.Path.GetFileNameWithoutExtension(path),
            root["config"]?.ToJsonString(), infos, root);
    }

    /// <inheritdoc/>
    public void ReadBytes(string name, long byteOffset, Span<byte> destination) =>
        throw new InvalidOperationException($"{Path}: a manifest holds shapes only; tensor '{name}' has no data");

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
