using NativeEngine.Evaluation.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Evaluation.Visuals;

/// <summary>An RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Black.</summary>
    public static Rgb Black => new(0, 0, 0);
    /// <summary>White.</summary>
    public static Rgb White => new(255, 255, 255);
}

/// <summary>
/// A small RGB raster with just what the plots need: filled rectangles, anti-aliased polylines (coverage from the
/// distance to each segment, max-combined so joints are not blended twice) and 5×7 bitmap text. ImageSharp.Drawing
/// is not available here, and this is ~150 lines.
/// </summary>
public sealed class Canvas
{
    /// <summary>A blank canvas.</summary>
    public Canvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++) (Pixels[3 * i], Pixels[3 * i + 1], Pixels[3 * i + 2]) = (background.R, background.G, background.B);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>Row-major RGB bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Blends <paramref name="c"/> over pixel (x, y) with opacity <paramref name="alpha"/>; outside pixels are ignored.</summary>
    public void Blend(int x, int y, Rgb c, float alpha)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || alpha <= 0) return;
        alpha = Math.Min(alpha, 1f);
        int i = 3 * (y * Width + x);
        Pixels[i] = Mix(Pixels[i], c.R, alpha);
        Pixels[i + 1] = Mix(Pixels[i + 1], c.G, alpha);
        Pixels[i + 2] = Mix(Pixels[i + 2], c.B, alpha);
    }

    private static byte Mix(byte under, byte over, float alpha) => (byte)MathF.Round(under + (over - under) * alpha);

    /// <summary>Fills the rectangle [x0, x1) × [y0, y1).</summary>
    public void Fill(int x0, int y0, int x1, int y1, Rgb c, float alpha = 1f)
    {
        for (int y = Math.Max(0, y0); y < Math.Min(Height, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(Width, x1); x++) Blend(x, y, c, alpha);
    }

    /// <summary>An anti-aliased polyline of the given width through points in pixel coordinates (pixel centres at +0.5).</summary>
    public void Polyline(IReadOnlyList<(double X, double Y)> points, Rgb c, double width = 2, bool dashed = false)
    {
        if (points.Count == 0) return;
        var cover = new Dictionary<int, float>();
        double half = width / 2, along = 0;
        for (int s = 0; s + 1 < Math.Max(points.Count, 2); s++)
        {
            var (ax, ay) = points[s];
            var (bx, by) = points[Math.Min(s + 1, points.Count - 1)];
            double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, len = Math.Sqrt(len2);
            int x0 = (int)Math.Floor(Math.Min(ax, bx) - half - 1), x1 = (int)Math.Ceiling(Math.Max(ax, bx) + half + 1);
            int y0 = (int)Math.Floor(Math.Min(ay, by) - half - 1), y1 = (int)Math.Ceiling(Math.Max(ay, by) + half + 1);
            for (int y = Math.Max(0, y0); y <= Math.Min(Height - 1, y1); y++)
                for (int x = Math.Max(0, x0); x <= Math.Min(Width - 1, x1); x++)
                {
                    double px = x + 0.5 - ax, py = y + 0.5 - ay;
                    double t = len2 > 0 ? Math.Clamp((px * dx + py * dy) / len2, 0, 1) : 0;
                    if (dashed && ((along + t * len) % 10) > 6) continue;
                    double ex = px - t * dx, ey = py - t * dy;
                    float cov = (float)Math.Clamp(half + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                    if (cov <= 0) continue;
                    int k = y * Width + x;
                    cover[k] = Math.Max(cover.GetValueOrDefault(k), cov);
                }
            along += len;
        }
        foreach (var (k, cov) in cover) Blend(k % Width, k / Width, c, cov);
    }

    /// <summary>Draws text with its top-left corner at (x, y); <paramref name="vertical"/> runs it bottom-to-top (rotated 90° counter-clockwise) from (x, y) upwards.</summary>
    public void Text(int x, int y, string text, Rgb c, int scale = 2, bool vertical = false)
    {
        for (int n = 0; n < text.Length; n++)
        {
            var g = BitmapFont.Glyph(text[n]);
            for (int row = 0; row < BitmapFont.Height; row++)
                for (int col = 0; col < BitmapFont.Width; col++)
                {
                    if ((g[row] >> (BitmapFont.Width - 1 - col) & 1) == 0) continue;
                    int gx = n * BitmapFont.Advance + col;
                    for (int sy = 0; sy < scale; sy++)
                        for (int sx = 0; sx < scale; sx++)
                        {
                            if (vertical) Blend(x + row * scale + sy, y - gx * scale - sx, c, 1);
                            else Blend(x + gx * scale + sx, y + row * scale + sy, c, 1);
                        }
                }
        }
    }

    /// <summary>Writes the canvas as an 8-bit RGB PNG (atomically).</summary>
    public void SavePng(string path) => Png.SaveRgb(path, Width, Height, Pixels);
}

/// <summary>PNG output through ImageSharp's encoder, always via a temp file + rename.</summary>
public static class Png
{
    /// <summary>Saves row-major RGB bytes as a PNG.</summary>
    public static void SaveRgb(string path, int width, int height, byte[] rgb)
    {
        if (rgb.Length != width * height * 3) throw new ArgumentException($"{path}: {rgb.Length} bytes for a {width}×{height} RGB image (expected {width * height * 3})", nameof(rgb));
        using var img = Image.LoadPixelData<Rgb24>(rgb, width, height);
        ArrayFiles.Atomic(path, tmp => img.SaveAsPng(tmp, new PngEncoder { ColorType = PngColorType.Rgb, CompressionLevel = PngCompressionLevel.DefaultCompression }));
    }

    /// <summary>Saves a 16-bit grey PNG of scores in [lo, hi] (value = round((s − lo)/(hi − lo) · 65535)), lossless enough to re-threshold.</summary>
    public static void SaveGray16(string path, int width, int height, ReadOnlySpan<float> scores, float lo, float hi)
    {
        var px = new L16[width * height];
        float scale = hi > lo ? 65535f / (hi - lo) : 0f;
        for (int i = 0; i < px.Length; i++) px[i] = new L16((ushort)Math.Clamp(MathF.Round((scores[i] - lo) * scale), 0, 65535));
        using var img = Image.LoadPixelData<L16>(px, width, height);
        ArrayFiles.Atomic(path, tmp => img.SaveAsPng(tmp, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 }));
    }
}
