using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Tests;

/// <summary>Reads back a picture a command or the library wrote.</summary>
internal static class Pictures
{
    /// <summary>Width, height and the number of distinct colours (a blank or flat picture has 1).</summary>
    public static (int W, int H, int Colors) Inspect(string path)
    {
        using var img = Image.Load<Rgb24>(path);
        var set = new HashSet<int>();
        img.ProcessPixelRows(a =>
        {
            for (int y = 0; y < a.Height; y++)
                foreach (var p in a.GetRowSpan(y)) set.Add(p.R << 16 | p.G << 8 | p.B);
        });
        return (img.Width, img.Height, set.Count);
    }
}
