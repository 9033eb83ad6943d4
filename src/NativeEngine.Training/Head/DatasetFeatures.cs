using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Kernels;
using NativeEngine.Models.Imaging;
using NativeEngine.Models.Pipeline;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Training.Head;

/// <summary>What the dataset mode keeps per image.</summary>
/// <param name="PixelsPerImage">Random pixels kept per image (0 = all; the hybrid needs all).</param>
/// <param name="Seed">Seeds the pixel sample.</param>
/// <param name="SkipNoAnomaly">Drop images without an anomaly pixel (the seed's skip_no_ood).</param>
/// <param name="PatchFeatures">Also keep each image's final-layer patch features (C, G, G): the hybrid head's input.</param>
public sealed record DatasetOptions(int PixelsPerImage = 0, int Seed = 0, bool SkipNoAnomaly = true, bool PatchFeatures = false);

/// <summary>
/// The dataset mode of train-head: the frozen EoMT runs once per image through the <see cref="ScoringPipeline"/>
/// (the seed's protocol: squash to S×S, one window) and the four statistics of every pixel are kept with its label
/// (and, for the hybrid head, the image's patch features), cached in one reusable safetensors file.
/// Images and masks are read exactly as `eval` reads them: <see cref="DatasetSample.Load"/> (the hardened decoder, a
/// mask of another size than its image refused), raw mask values (palette index, not luminance), PIL's nearest
/// resize to S×S (<see cref="MaskResize"/>: floor((x+0.5)·in/out)) and the seed's label rule
/// <see cref="LabelRule.Default"/> (0 normal, 255 void, other values anomaly).
/// </summary>
public static class DatasetFeatures
{
    /// <summary>Bumped whenever the cached numbers would change for the same inputs (part of the cache key).</summary>
    public const int FormatVersion = 2;

    /// <summary>The windowing protocol of the dataset mode (part of the cache key).</summary>
    public const WindowProtocol Protocol = WindowProtocol.Seed;

    /// <summary>
    /// Extracts features for every image in <paramref name="imagesDir"/> that has a mask with the same stem (.png) in
    /// <paramref name="masksDir"/>.
    /// </summary>
    public static FeatureDataset Extract(ScoringPipeline pipeline, string imagesDir, string masksDir, DatasetOptions options, Action<string>? progress = null)
    {
        var model = pipeline.Model;
        int s = model.Config.ImageSize, c = model.Config.HiddenSize, g = model.Config.Grid;
        if (options.PatchFeatures && options.PixelsPerImage > 0)
            throw new ArgumentException("--pixels-per-image: the hybrid head trains on whole images (its features are upsampled per image); leave it at 0");
        var features = new List<float>();
        var labels = new List<byte>();
        var patches = new List<float>();
        int used = 0;
        foreach (var (stem, path, maskPath) in Pairs(imagesDir, masksDir))
        {
            var (image, mask) = new DatasetSample(stem, path, maskPath).Load();
            var label = Labels(mask, s);
            if (options.SkipNoAnomaly && !label.Contains((byte)PixelClass.Anomaly)) continue;
            float[]? rows = null, patch = null;
            using (pipeline.Score(image, Protocol, withHead: false, withFeatures: options.PatchFeatures, observer: w =>
            {
                using var r = Tensor.Empty(model.Device, new Shape(s * s, UncertaintyStats.Count));
                TrainOps.ToPixels(w.Stats, r);
                rows = r.ToHostFloat();
                patch = w.Features?.ToHostFloat();
            })) { }
            var keep = options.PixelsPerImage > 0 && options.PixelsPerImage < s * s
                ? Sample(s * s, options.PixelsPerImage, unchecked(options.Seed * 7919 + used))
                : Enumerable.Range(0, s * s);
            foreach (int p in keep)
            {
                for (int k = 0; k < UncertaintyStats.Count; k++) features.Add(rows![p * UncertaintyStats.Count + k]);
                labels.Add(label[p]);
            }
            if (patch is not null) patches.AddRange(patch);
            used++;
            progress?.Invoke($"{used} images, {labels.Count} pixels ({Path.GetFileName(path)})");
        }
        if (used == 0) throw new ArgumentException($"no usable image/mask pairs in {imagesDir} and {masksDir} (masks: <stem>.png{(options.SkipNoAnomaly ? ", with an anomaly pixel" : "")})");
        var patchSet = options.PatchFeatures ? new PatchFeatureSet([.. patches], used, c, g, s) : null;
        return new FeatureDataset([.. features], UncertaintyStats.Count, [.. labels], patchSet);
    }

    /// <summary>A mask's labels at S×S as the evaluation sees them: nearest resize of the raw values, then the seed's rule (0/1/255).</summary>
    public static byte[] Labels(LabelMask mask, int size)
    {
        var raw = MaskResize.Nearest(mask.Values, mask.Width, mask.Height, size, size);
        var table = LabelRule.Default.Table;
        var o = new byte[raw.Length];
        for (int i = 0; i < o.Length; i++) o[i] = (byte)table[raw[i]];
        return o;
    }

    // Images (sorted by name) with a <stem>.png mask.
    private static IEnumerable<(string Stem, string Image, string Mask)> Pairs(string imagesDir, string masksDir)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"{imagesDir}: no such images folder (--images)");
        if (!Directory.Exists(masksDir)) throw new DirectoryNotFoundException($"{masksDir}: no such masks folder (--masks)");
        foreach (var path in Directory.EnumerateFiles(imagesDir).Where(p => Path.GetExtension(p).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".webp")
                     .Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileNameWithoutExtension(path), maskPath = Path.Combine(masksDir, stem + ".png");
            if (File.Exists(maskPath)) yield return (stem, path, maskPath);
        }
    }

    /// <summary>
    /// The cache key: a SHA-256 over every input that changes a cached number — the content of every image/mask pair
    /// used, the content of every weights file, the protocol, the options, the model's crop size and the engine
    /// version. <paramref name="inputs"/> gets a readable summary for messages.
    /// </summary>
    public static string CacheKey(string imagesDir, string masksDir, string weights, DatasetOptions options, out string inputs)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string t) => sha.AppendData(Encoding.UTF8.GetBytes(t + "\n"));
        void FileContent(string label, string path)
        {
            Text(label);
            using var fs = File.OpenRead(path);
            sha.AppendData(SHA256.HashData(fs));
        }
        string engine = typeof(ScoringPipeline).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        Text($"format={FormatVersion};engine={engine};protocol={Protocol};rule={LabelRule.Default.Text};pixels={options.PixelsPerImage};" +
             $"seed={options.Seed};skip={options.SkipNoAnomaly};patch={options.PatchFeatures}");
        int pairs = 0;
        foreach (var (stem, image, mask) in Pairs(imagesDir, masksDir))
        {
            FileContent("image " + stem, image);
            FileContent("mask " + stem, mask);
            pairs++;
        }
        var weightFiles = Directory.Exists(weights) ? Directory.EnumerateFiles(weights).Order(StringComparer.Ordinal).ToList()
            : File.Exists(weights) ? [weights] : throw new FileNotFoundException($"{weights}: no such weights file or folder (--weights)", weights);
        foreach (var f in weightFiles) FileContent("weights " + Path.GetFileName(f), f);
        inputs = $"{pairs} image/mask pairs, {weightFiles.Count} weights file(s), engine {engine}, format {FormatVersion}";
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>
    /// The cached dataset when <paramref name="cachePath"/> exists and was written for exactly these inputs (same
    /// <see cref="CacheKey"/>); otherwise the features are extracted again and the cache rewritten (atomically).
    /// <paramref name="openPipeline"/> is called only when extraction is needed.
    /// </summary>
    public static FeatureDataset LoadOrExtract(string cachePath, string imagesDir, string masksDir, string weights, DatasetOptions options,
        Func<ScoringPipeline> openPipeline, Action<string>? log = null)
    {
        string key = CacheKey(imagesDir, masksDir, weights, options, out var inputs);
        if (File.Exists(cachePath))
        {
            string? old = null;
            try
            {
                using var f = SafeTensorsFile.Open(cachePath);
                old = f.Metadata.GetValueOrDefault("cache.key");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                log?.Invoke($"the statistics cache {cachePath} is unreadable ({e.Message}); rebuilding it");
            }
            if (old == key)
            {
                log?.Invoke($"using the statistics cache {cachePath} (same {inputs})");
                return FeatureDataset.Load(cachePath, cachePath);
            }
            if (old is not null)
                log?.Invoke($"the statistics cache {cachePath} was computed from other inputs (images, masks, weights, options or engine changed); rebuilding it");
        }
        FeatureDataset data;
        using (var pipeline = openPipeline())
            data = Extract(pipeline, imagesDir, masksDir, options, m => log?.Invoke($"statistics: {m}"));
        var meta = new Dictionary<string, string>
        {
            ["cache.key"] = key,
            ["cache.inputs"] = inputs,
            ["images"] = Path.GetFullPath(imagesDir),
            ["masks"] = Path.GetFullPath(masksDir),
            ["weights"] = Path.GetFullPath(weights),
        };
        string dir = Path.GetDirectoryName(Path.GetFullPath(cachePath))!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(cachePath)}.{Environment.ProcessId}.tmp");
        Save(data, tmp, meta);
        File.Move(tmp, cachePath, overwrite: true);
        log?.Invoke($"wrote the statistics cache {cachePath} ({data.Count} pixels{(data.Patches is { } p ? $", patch features of {p.Images} images" : "")})");
        return data;
    }

    /// <summary>Writes the reusable cache: "features" [N,D] f32, "labels" [N] u8 and, for the hybrid, "patch_features" [I,C,G,G] f32.</summary>
    public static void Save(FeatureDataset data, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = new List<SafeTensorsWriter.Item> { SafeTensorsWriter.F32("features", data.Features, data.Count, data.Dim), SafeTensorsWriter.U8("labels", data.Labels, data.Count) };
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
        if (data.Patches is { } p)
        {
            items.Add(SafeTensorsWriter.F32("patch_features", p.Values, p.Images, p.Channels, p.Grid, p.Grid));
            meta["image_size"] = p.ImageSize.ToString(CultureInfo.InvariantCulture);
        }
        SafeTensorsWriter.Write(path, items, meta);
    }

    private static IEnumerable<int> Sample(int n, int k, int seed)
    {
        var rng = new Random(seed);
        var idx = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = rng.Next(i, n);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }
        return idx.Take(k).Order();
    }
}
