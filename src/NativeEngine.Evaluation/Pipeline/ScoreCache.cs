using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using NativeEngine.Evaluation.IO;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>
/// The per-image cache that makes a long `eval` resumable: one safetensors file per image holding each method's
/// float32 score map and the labels at the same size, plus a key in its metadata over every input that changes a
/// cached number: the scorer's identity (weights, head), protocol, temperature, the contents of the image and of its
/// mask, and the engine version that computed them. A file whose key differs, or that lacks a method, is recomputed
/// (a stale number is worse than a slow rerun); files are written
/// atomically, so an interrupted run never leaves a half file. The pooled metrics stream from these files, so the
/// score maps of a whole dataset are never all in memory.
/// </summary>
public static class ScoreCache
{
    /// <summary>Bump when the layout or meaning of cache files changes.</summary>
    private const int Format = 2;

    /// <summary>The engine build that computes the maps (version + commit), part of every key.</summary>
    public static string EngineVersion { get; } =
        typeof(ScoreCache).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ScoreCache).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// The cache key of one image (and its mask) under one scorer and request: image and mask by content (SHA-256),
    /// so an edited, replaced or copied-over file is always noticed, whatever its size and time.
    /// </summary>
    public static string Key(IAnomalyScorer scorer, ScoreRequest request, string imagePath, string? maskPath)
    {
        var text = string.Join("|", $"format={Format}", $"engine={EngineVersion}", $"scorer={scorer.Identity}", $"protocol={request.Protocol}",
            $"temperature={request.Temperature.ToString("R", CultureInfo.InvariantCulture)}", $"image={ContentHash(imagePath)}",
            $"mask={(maskPath is null ? "none" : ContentHash(maskPath))}");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    // A file's SHA-256, or a marker when it cannot be read (the decode then reports the real problem).
    private static string ContentHash(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(fs));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable:" + Guid.NewGuid().ToString("N");
        }
    }

    /// <summary>Writes the maps and labels of one image (atomically).</summary>
    public static void Write(string path, string key, ScoreMaps maps, byte[] labels, long anomalyPixels)
    {
        var items = maps.Scores.Select(kv => SafeTensorsWriter.F32(kv.Key.Key(), kv.Value, maps.Height, maps.Width)).ToList();
        items.Add(SafeTensorsWriter.U8("labels", labels, maps.Height, maps.Width));
        var meta = new Dictionary<string, string> { ["key"] = key, ["anomaly_pixels"] = anomalyPixels.ToString() };
        ArrayFiles.Atomic(path, tmp => SafeTensorsWriter.Write(tmp, items, meta));
    }

    /// <summary>True when <paramref name="path"/> holds every method of the request under <paramref name="key"/>; also returns its anomaly pixel count.</summary>
    public static bool IsValid(string path, string key, IReadOnlyList<ScoreMethod> methods, out long anomalyPixels)
    {
        anomalyPixels = 0;
        if (!File.Exists(path)) return false;
        try
        {
            using var f = SafeTensorsFile.Open(path);
            if (!f.Metadata.TryGetValue("key", out var k) || k != key) return false;
            if (!f.Tensors.ContainsKey("labels") || methods.Any(m => !f.Tensors.ContainsKey(m.Key()))) return false;
            return long.TryParse(f.Metadata.GetValueOrDefault("anomaly_pixels"), out anomalyPixels);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Reads one method's map and the labels.</summary>
    public static ScoredPixels Read(string path, ScoreMethod method)
    {
        using var f = SafeTensorsFile.Open(path);
        var e = f.Get(method.Key());
        if (e.DType != DType.Float32) throw new InvalidDataException($"{path}: cached map '{e.Name}' is {e.DType.SafeTensorsName()}, expected F32; delete the cache folder");
        var raw = f.ReadBytes(e.Name);
        var scores = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, scores, 0, raw.Length);
        return new ScoredPixels(scores, f.ReadBytes("labels"));
    }

    /// <summary>A re-readable pixel source over cache files for one method (what the exact metrics stream from).</summary>
    public sealed class Source(IReadOnlyList<string> files, ScoreMethod method) : IPixelSource
    {
        /// <inheritdoc/>
        public int Count => files.Count;

        /// <inheritdoc/>
        public ScoredPixels Load(int index) => Read(files[index], method);
    }
}
