using NativeEngine.Models.Imaging;
using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Kernels;

namespace NativeEngine.Evaluation.Visuals;

/// <summary>How scores are mapped to [0, 1] for display (never for metrics).</summary>
/// <param name="Lo">Score shown as the darkest colour.</param>
/// <param name="Hi">Score shown as the brightest colour.</param>
public readonly record struct ScoreRange(float Lo, float Hi)
{
    /// <summary>[0, 1]: the documented fixed range for probabilities (the head, MSP), comparable across images.</summary>
    public static ScoreRange Unit => new(0, 1);

    /// <summary>Per-image min..max of the finite scores (for unbounded scores: MaxLogit, entropy, RbA).</summary>
    public static ScoreRange MinMax(ReadOnlySpan<float> s)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var v in s) if (float.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        return lo <= hi ? new(lo, hi) : Unit;
    }

    /// <summary>Fraction of the range for a score, clamped to [0, 1].</summary>
    public float Normalise(float v) => Hi > Lo ? Math.Clamp((v - Lo) / (Hi - Lo), 0f, 1f) : 0f;
}

/// <summary>
/// Heatmap pictures (SMIYC conventions, ecosystem.md §6.1): the score map through magma; an overlay that is a 50 %
/// blend of the image and the heatmap with the ground-truth anomaly contour drawn on top and void pixels dimmed; the
/// Cityscapes-coloured semantic argmax.
/// </summary>
public static class Heatmaps
{
    /// <summary>The contour colour: bright green reads on both magma and road colours.</summary>
    public static Rgb ContourColor => new(0, 255, 0);

    /// <summary>RGB bytes of the score map through a colour map.</summary>
    public static byte[] Colorize(ReadOnlySpan<float> scores, ScoreRange range, Colormaps.Map map = Colormaps.Map.Magma)
    {
        var rgb = new byte[scores.Length * 3];
        var tab = Colormaps.Table(map);
        for (int i = 0; i < scores.Length; i++)
        {
            int k = 3 * (int)MathF.Round(range.Normalise(scores[i]) * 255f);
            (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (tab[k], tab[k + 1], tab[k + 2]);
        }
        return rgb;
    }

    /// <summary>
    /// <c>(1 − alpha)·image + alpha·heat</c>; with a mask, void pixels are dimmed to half and the boundary of the
    /// anomaly region (anomaly pixels with a non-anomaly 4-neighbour) is drawn in <see cref="ContourColor"/>.
    /// </summary>
    public static byte[] Overlay(RgbImage image, byte[] heat, LabelMask? mask = null, LabelRule? rule = null, float alpha = 0.5f)
    {
        int w = image.Width, h = image.Height;
        if (heat.Length != image.Pixels.Length) throw new ArgumentException($"heatmap has {heat.Length / 3} pixels but the image is {w}×{h}; resize the score map to the image first", nameof(heat));
        if (mask is not null && (mask.Width != w || mask.Height != h)) throw new ArgumentException($"mask is {mask.Width}×{mask.Height} but the image is {w}×{h}", nameof(mask));
        var o = new byte[heat.Length];
        for (int i = 0; i < o.Length; i++) o[i] = (byte)MathF.Round(image.Pixels[i] * (1 - alpha) + heat[i] * alpha);
        if (mask is null) return o;
        rule ??= LabelRule.Default;
        var cls = rule.Table.ToArray();
        bool Anomaly(int x, int y) => cls[mask.Values[y * w + x]] == PixelClass.Anomaly;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (cls[mask.Values[i]] == PixelClass.Void)
                {
                    o[3 * i] /= 2; o[3 * i + 1] /= 2; o[3 * i + 2] /= 2;
                }
                else if (Anomaly(x, y) && ((x > 0 && !Anomaly(x - 1, y)) || (x + 1 < w && !Anomaly(x + 1, y)) || (y > 0 && !Anomaly(x, y - 1)) || (y + 1 < h && !Anomaly(x, y + 1))))
                {
                    var c = ContourColor;
                    (o[3 * i], o[3 * i + 1], o[3 * i + 2]) = (c.R, c.G, c.B);
                }
            }
        return o;
    }

    /// <summary>The Cityscapes colours of per-pixel class indices (0..18; others black).</summary>
    public static byte[] Semantic(ReadOnlySpan<int> classes)
    {
        var pal = Colormaps.Cityscapes;
        var rgb = new byte[classes.Length * 3];
        for (int i = 0; i < classes.Length; i++)
        {
            int c = classes[i];
            if ((uint)c < 19) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (pal[3 * c], pal[3 * c + 1], pal[3 * c + 2]);
        }
        return rgb;
    }

    /// <summary>
    /// Bilinear resize of a score map for display (a seed-protocol map is at the crop size, the picture at the
    /// image's): the <c>bilinear_resize</c> op (F.interpolate, align_corners=False, no antialias), run by its host
    /// version on the map already read back.
    /// </summary>
    public static unsafe float[] Resize(ReadOnlySpan<float> src, int w, int h, int outW, int outH)
    {
        if (src.Length != w * h) throw new ArgumentException($"score map has {src.Length} values, {w}×{h} expected", nameof(src));
        if (w == outW && h == outH) return src.ToArray();
        var dst = new float[outW * outH];
        fixed (float* x = src)
        fixed (float* y = dst)
            BilinearHost.Resize(x, y, 1, h, w, outH, outW);
        return dst;
    }

    /// <summary>A vertical colour bar (bottom = lo, top = hi) with its two end labels, as a small canvas.</summary>
    public static Canvas ColorBar(ScoreRange range, int height = 256, Colormaps.Map map = Colormaps.Map.Magma)
    {
        var cv = new Canvas(110, height + 20, Rgb.White);
        for (int y = 0; y < height; y++)
        {
            var (r, g, b) = Colormaps.Color(map, 1f - y / (float)(height - 1));
            cv.Fill(6, 10 + y, 30, 11 + y, new Rgb(r, g, b));
        }
        cv.Text(36, 10, range.Hi.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), Rgb.Black);
        cv.Text(36, height - 4, range.Lo.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), Rgb.Black);
        return cv;
    }
}
