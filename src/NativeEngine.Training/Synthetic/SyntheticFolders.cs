using NativeEngine.Models.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Training.Synthetic;

/// <summary>
/// Folder I/O of the generator: scenes from any images folder with trainId label maps (Cityscapes
/// leftImg8bit / gtFine_labelTrainIds naming, or equal stems), cut-outs from RGBA PNGs (alpha = mask) or
/// &lt;stem&gt;.png + &lt;stem&gt;_mask.png pairs (COCO instance crops), and the seed's output layout
/// root/split/{images,gt_pixel}/&lt;id&gt;.png.
/// </summary>
public static class SyntheticFolders
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    /// <summary>Scenes from <paramref name="imagesDir"/> (recursively) with their label maps in <paramref name="labelsDir"/>.</summary>
    public static IEnumerable<LabeledImage> Scenes(string imagesDir, string labelsDir)
    {
        foreach (var path in Directory.EnumerateFiles(imagesDir, "*", SearchOption.AllDirectories).Where(IsImage).Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileNameWithoutExtension(path);
            string id = stem.EndsWith("_leftImg8bit", StringComparison.Ordinal) ? stem[..^"_leftImg8bit".Length] : stem;
            string rel = Path.GetDirectoryName(Path.GetRelativePath(imagesDir, path)) ?? "";
            var candidates = new[] { $"{id}_gtFine_labelTrainIds.png", $"{stem}.png", $"{id}.png" }
                .SelectMany(n => new[] { Path.Combine(labelsDir, rel, n), Path.Combine(labelsDir, n) });
            string? label = candidates.FirstOrDefault(File.Exists);
            if (label is null) continue;
            var image = ImageLoader.Load(path);
            var labels = ReadGrey(label, out int lw, out int lh);
            if (lw != image.Width || lh != image.Height)
                throw new InvalidDataException($"{label}: label map {lw}x{lh} but image {path} is {image.Width}x{image.Height}");
            yield return new LabeledImage(image, labels, id);
        }
    }

    /// <summary>Cut-outs: RGBA PNGs (alpha &gt; 127 = object) or RGB images with a &lt;stem&gt;_mask.png beside them.</summary>
    public static List<CutOut> CutOuts(string dir)
    {
        var list = new List<CutOut>();
        foreach (var path in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(IsImage).Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileNameWithoutExtension(path);
            if (stem.EndsWith("_mask", StringComparison.Ordinal)) continue;
            string maskPath = Path.Combine(Path.GetDirectoryName(path)!, stem + "_mask.png");
            using var rgba = Image.Load<Rgba32>(path);
            int w = rgba.Width, h = rgba.Height;
            var px = new Rgba32[w * h];
            rgba.CopyPixelDataTo(px);
            bool[] mask;
            if (File.Exists(maskPath))
            {
                var m = ReadGrey(maskPath, out int mw, out int mh);
                if (mw != w || mh != h) throw new InvalidDataException($"{maskPath}: {mw}x{mh}, image {w}x{h}");
                mask = m.Select(v => v > 0).ToArray();
            }
            else mask = px.Select(p => p.A > 127).ToArray();
            if (!mask.Any(m => m)) continue;
            list.Add(new CutOut(w, h, px.SelectMany(p => new[] { p.R, p.G, p.B }).ToArray(), mask, stem));
        }
        return list;
    }

    /// <summary>Writes root/split/images/&lt;id&gt;.png and root/split/gt_pixel/&lt;id&gt;.png (0/1).</summary>
    public static void Write(string root, string split, SyntheticSample sample)
    {
        string images = Path.Combine(root, split, "images"), gt = Path.Combine(root, split, "gt_pixel");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(gt);
        using (var img = Image.LoadPixelData<Rgb24>(sample.Image.Pixels, sample.Image.Width, sample.Image.Height))
            img.SaveAsPng(Path.Combine(images, sample.Id + ".png"));
        using var mask = Image.LoadPixelData<L8>(sample.Gt, sample.Image.Width, sample.Image.Height);
        mask.SaveAsPng(Path.Combine(gt, sample.Id + ".png"));
    }

    /// <summary>
    /// Builds a split: each scene gets one pasted object (or, with probability 1 − <paramref name="synthRatio"/>, is
    /// exported clean with an all-0 gt, as the seed's train split at 0.5). Returns (written, with an anomaly).
    /// </summary>
    public static (int Written, int Anomalous) Build(IEnumerable<LabeledImage> scenes, IReadOnlyList<CutOut> pool, string root, string split,
        PasteOptions options, double synthRatio = 1.0)
    {
        var paster = new AnomalyPaster(options);
        int written = 0, anomalous = 0;
        foreach (var scene in scenes)
        {
            bool synth = new Random(AnomalyPaster.SampleSeed(options.Seed, "split::" + scene.Id)).NextDouble() < synthRatio;
            var sample = synth ? paster.Paste(scene, pool) : new SyntheticSample(scene.Image, new byte[scene.Labels.Length], scene.Id, null);
            Write(root, split, sample);
            written++;
            if (sample.Box is not null) anomalous++;
        }
        return (written, anomalous);
    }

    private static bool IsImage(string p) => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant());

    private static byte[] ReadGrey(string path, out int w, out int h)
    {
        using var img = Image.Load<L8>(path);
        w = img.Width;
        h = img.Height;
        var px = new L8[w * h];
        img.CopyPixelDataTo(px);
        return px.Select(p => p.PackedValue).ToArray();
    }
}
