using NativeEngine.Kernels;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Training.Head;

/// <summary>
/// The dataset mode of train-head: the frozen EoMT runs once per image (the seed's protocol: squash to S×S, one
/// window), the four statistics of every pixel are kept with its label, and the result is cached in one reusable
/// safetensors file (features [N,4] f32 + labels [N] u8) that the features mode trains from.
/// Masks follow the seed's binary_any_nonzero_is_ood_void255 rule: 0 stays 0, 255 stays 255 (void), any other value
/// becomes 1; they are resized to S×S with nearest neighbour (torchvision NEAREST: floor(dst·in/out)).
/// </summary>
public static class DatasetFeatures
{
    /// <summary>
    /// Extracts features for every image in <paramref name="imagesDir"/> that has a mask with the same stem (.png) in
    /// <paramref name="masksDir"/>. <paramref name="pixelsPerImage"/> &gt; 0 keeps that many random pixels per image
    /// (seeded); <paramref name="skipNoAnomaly"/> drops images without an anomaly pixel (the seed's skip_no_ood).
    /// </summary>
    public static FeatureDataset Extract(EomtModel model, string imagesDir, string masksDir, int pixelsPerImage = 0, int seed = 0,
        bool skipNoAnomaly = true, Action<string>? progress = null)
    {
        int s = model.Config.ImageSize;
        var features = new List<float>();
        var labels = new List<byte>();
        int used = 0;
        var files = Directory.EnumerateFiles(imagesDir).Where(p => Path.GetExtension(p).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".webp")
            .Order(StringComparer.Ordinal).ToList();
        foreach (var path in files)
        {
            string maskPath = Path.Combine(masksDir, Path.GetFileNameWithoutExtension(path) + ".png");
            if (!File.Exists(maskPath)) continue;
            var mask = ReadMask(maskPath, s);
            if (skipNoAnomaly && !mask.Contains((byte)1)) continue;
            var image = ImageLoader.Load(path);
            float[]? rows = null;
            using (var map = SemanticInference.Run(model, image, WindowProtocol.Seed, 1, (_, _, scores, _) =>
            {
                using var stats = Tensor.Empty(model.Device, new Shape(1, UncertaintyStats.Count, s, s));
                UncertaintyStats.Compute(scores, stats);
                using var r = Tensor.Empty(model.Device, new Shape(s * s, UncertaintyStats.Count));
                TrainOps.ToPixels(stats, r);
                rows = r.ToHostFloat();
            })) { }
            var keep = pixelsPerImage > 0 && pixelsPerImage < s * s
                ? Sample(s * s, pixelsPerImage, unchecked(seed * 7919 + used))
                : Enumerable.Range(0, s * s);
            foreach (int p in keep)
            {
                for (int c = 0; c < UncertaintyStats.Count; c++) features.Add(rows![p * UncertaintyStats.Count + c]);
                labels.Add(mask[p]);
            }
            used++;
            progress?.Invoke($"{used} images, {labels.Count} pixels ({Path.GetFileName(path)})");
        }
        if (used == 0) throw new ArgumentException($"no usable image/mask pairs in {imagesDir} and {masksDir} (masks: <stem>.png{(skipNoAnomaly ? ", with an anomaly pixel" : "")})");
        return new FeatureDataset([.. features], UncertaintyStats.Count, [.. labels]);
    }

    /// <summary>Writes the reusable cache: "features" [N,D] f32 and "labels" [N] u8 in one file.</summary>
    public static void Save(FeatureDataset data, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.Write(path, [SafeTensorsWriter.F32("features", data.Features, data.Count, data.Dim), SafeTensorsWriter.U8("labels", data.Labels, data.Count)], metadata);

    // Masks are PNG (lossless); only that decoder is registered, as in the hardened image loader (ImageLoader).
    private static readonly Configuration MaskDecoders = new(new SixLabors.ImageSharp.Formats.Png.PngConfigurationModule());

    /// <summary>A mask as 0/1/255 at S×S (nearest). A file that is not a decodable PNG is an <see cref="InvalidDataException"/> naming it.</summary>
    public static byte[] ReadMask(string path, int size)
    {
        Image<L8> decoded;
        try
        {
            if (new FileInfo(path).Length > ImageLoader.MaxFileBytes) throw new InvalidDataException($"{path}: over the {ImageLoader.MaxFileBytes >> 20} MiB image limit");
            var bytes = File.ReadAllBytes(path);
            var info = Image.Identify(MaskDecoders, bytes, out _) ?? throw new InvalidDataException($"{path}: not a PNG mask (masks must be 8-bit grey or palette PNGs)");
            if ((long)info.Width * info.Height > ImageLoader.MaxPixels)
                throw new InvalidDataException($"{path}: {info.Width}x{info.Height} mask is over the {ImageLoader.MaxPixels / 1_000_000} MP limit");
            decoded = Image.Load<L8>(MaskDecoders, bytes);
        }
        catch (Exception e) when (e is not (InvalidDataException or FileNotFoundException))
        {
            // Found by tests/fuzz (train-mask): ImageSharp's own exceptions escaped with no file name.
            throw new InvalidDataException($"{path}: cannot decode this mask ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}); masks must be 8-bit grey or palette PNGs", e);
        }
        using var img = decoded;
        int w = img.Width, h = img.Height;
        var px = new L8[w * h];
        img.CopyPixelDataTo(px);
        var o = new byte[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                byte v = px[Math.Min(y * h / size, h - 1) * w + Math.Min(x * w / size, w - 1)].PackedValue;
                o[y * size + x] = v == 0 ? (byte)0 : v == 255 ? (byte)255 : (byte)1;
            }
        return o;
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
