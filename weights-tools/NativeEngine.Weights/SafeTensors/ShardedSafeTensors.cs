using System.Text.Json;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>
/// A sharded safetensors checkpoint: <c>model.safetensors.index.json</c> ({"metadata": {...}, "weight_map":
/// {tensor: shard file}}) beside its shard files. Shard names must be plain file names in the index's folder;
/// every tensor must live in exactly the shard the map names, and every shard tensor must be in the map.
/// </summary>
public sealed class ShardedSafeTensors : ISpanTensorSource
{
    private readonly Dictionary<string, SafeTensorsFile> shardOf;
    private readonly List<SafeTensorsFile> shards;
    private readonly Dictionary<string, TensorInfo> infos;

    private ShardedSafeTensors(string path, List<SafeTensorsFile> shards, Dictionary<string, SafeTensorsFile> shardOf)
    {
        Path = path;
        this.shards = shards;
        this.shardOf = shardOf;
        infos = shardOf.ToDictionary(kv => kv.Key, kv => kv.Value.Infos[kv.Key], StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public string Format => $"safetensors (sharded, {shards.Count} files)";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, TensorInfo> Infos => infos;

    /// <inheritdoc/>
    public bool HasData => true;

    /// <summary>The shard files, in the order first named by the index.</summary>
    public IReadOnlyList<SafeTensorsFile> Shards => shards;

    /// <summary>Opens the index and every shard it names (each validated as a single file).</summary>
    public static ShardedSafeTensors Open(string indexPath)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var map = new List<(string Tensor, string Shard)>();
        try
        {
            // Strict UTF-8 first: JsonDocument checks the encoding of a string only when it is read (found by tests/fuzz).
            string text;
            try
            {
                text = new System.Text.UTF8Encoding(false, true).GetString(File.ReadAllBytes(indexPath)).TrimStart('\uFEFF');
            }
            catch (System.Text.DecoderFallbackException)
            {
                throw new CheckpointException(indexPath, "sharded index is not valid UTF-8");
            }
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) // TryGetProperty throws on a non-object (tests/fuzz)
                throw new CheckpointException(indexPath, $"sharded index is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object with a 'weight_map'");
            if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(indexPath, "sharded index has no 'weight_map' object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new CheckpointException(indexPath, $"weight_map entry '{p.Name}' is not a file name");
                if (!seen.Add(p.Name)) throw new CheckpointException(indexPath, $"weight_map names tensor '{p.Name}' twice");
                map.Add((p.Name, p.Value.GetString()!));
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointException(indexPath, $"sharded index is not valid JSON: {e.Message}");
        }

        var files = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var order = new List<SafeTensorsFile>();
        try
        {
            foreach (var shard in map.Select(m => m.Shard).Distinct())
            {
                if (shard.Length == 0 || shard.Contains('/') || shard.Contains('\\') || shard.Contains("..") || System.IO.Path.IsPathRooted(shard))
                    throw new CheckpointException(indexPath, $"shard name '{shard}' is not a plain file name beside the index");
                var f = System.IO.Path.Combine(dir, shard);
                if (!File.Exists(f)) throw new CheckpointException(indexPath, $"shard '{shard}' named by the index does not exist");
                var st = SafeTensorsFile.Open(f);
                files[shard] = st;
                order.Add(st);
            }
            var shardOf = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            var problems = new List<string>();
            foreach (var (tensor, shard) in map)
            {
                if (!files[shard].Tensors.ContainsKey(tensor)) problems.Add($"'{tensor}' is mapped to {shard} but is not in it");
                else shardOf[tensor] = files[shard];
            }
            foreach (var (shard, f) in files)
                foreach (var name in f.Tensors.Keys)
                    if (!shardOf.TryGetValue(name, out var owner) || owner != f)
                        problems.Add($"'{name}' in {shard} is not mapped to that shard by the index");
            if (problems.Count > 0)
                throw new CheckpointException(indexPath, "sharded index and shards disagree: " + string.Join("; ", problems.Take(20))
                    + (problems.Count > 20 ? $"; … {problems.Count - 20} more" : ""));
            return new ShardedSafeTensors(indexPath, order, shardOf);
        }
        catch
        {
            foreach (var f in order) f.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void ReadBytes(string name, long byteOffset, Span<byte> destination)
    {
        if (!shardOf.TryGetValue(name, out var f)) throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        f.ReadBytes(name, byteOffset, destination);
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> GetSpan(string name) => shardOf.TryGetValue(name, out var f)
        ? f.GetSpan(name)
        : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in shards) f.Dispose();
    }
}
