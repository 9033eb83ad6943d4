using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.IO;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Visuals;
using NativeEngine.Models.Imaging;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>How raw score maps are saved.</summary>
public enum RawFormat
{
    /// <summary>Not saved.</summary>
    None,
    /// <summary>NumPy .npy float32 (H, W).</summary>
    Npy,
    /// <summary>safetensors, tensor "scores" float32 (H, W).</summary>
    SafeTensors,
}

/// <summary>The files `infer` and `demo` write for one image: heatmap, overlay, raw map, semantic colours.</summary>
public static class ImageOutputs
{
    /// <summary>
    /// Writes <c>{stem}_{method}_heat.png</c> (magma; [0, 1] for probabilities, per-image min..max otherwise),
    /// <c>{stem}_{method}_overlay.png</c> (50 % blend on the image, ground-truth contour when a mask is given),
    /// <c>{stem}_{method}.npy|.safetensors</c> and <c>{stem}_semantic.png</c> (Cityscapes colours) when present.
    /// Pictures are at the image's size (maps of another size are resized bilinearly for display). Returns the paths.
    /// </summary>
    public static IReadOnlyList<string> Write(string outDir, string stem, RgbImage image, ScoreMaps maps, RawFormat raw = RawFormat.None,
        LabelMask? mask = null, LabelRule? rule = null)
    {
        Directory.CreateDirectory(outDir);
        var files = new List<string>();
        int w = image.Width, h = image.Height;
        foreach (var (m, s) in maps.Scores)
        {
            var range = m.IsProbability() ? ScoreRange.Unit : ScoreRange.MinMax(s);
            var shown = Heatmaps.Resize(s, maps.Width, maps.Height, w, h);
            var heat = Heatmaps.Colorize(shown, range);
            files.Add(Save(outDir, $"{stem}_{m.Key()}_heat.png", w, h, heat));
            files.Add(Save(outDir, $"{stem}_{m.Key()}_overlay.png", w, h, Heatmaps.Overlay(image, heat, mask, rule)));
            if (raw != RawFormat.None)
            {
                var path = Path.Combine(outDir, $"{stem}_{m.Key()}.{(raw == RawFormat.Npy ? "npy" : "safetensors")}");
                ArrayFiles.WriteFloat(path, s, [maps.Height, maps.Width], "scores",
                    new Dictionary<string, string> { ["method"] = m.Key(), ["image"] = image.Source });
                files.Add(path);
            }
        }
        if (maps.Semantic is { } sem)
            files.Add(Save(outDir, $"{stem}_semantic.png", w, h, Heatmaps.Semantic(MaskResize.Nearest(sem, maps.Width, maps.Height, w, h))));
        return files;
    }

    private static string Save(string dir, string name, int w, int h, byte[] rgb)
    {
        var path = Path.Combine(dir, name);
        Png.SaveRgb(path, w, h, rgb);
        return path;
    }
}
