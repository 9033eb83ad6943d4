using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Tests;

/// <summary>Writes tiny images, masks and datasets in every supported layout into a temp folder (deleted on Dispose).</summary>
internal sealed class SyntheticData : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("ne-eval-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }

    public string Dir(params string[] parts)
    {
        var d = Path.Combine([Root, .. parts]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>An RGB image with a bright square at (x0..x0+s, y0..y0+s) over a grey-blue gradient.</summary>
    public static Image<Rgb24> Scene(int w, int h, int x0, int y0, int s)
    {
        var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = x >= x0 && x < x0 + s && y >= y0 && y < y0 + s ? new Rgb24(250, 40, 200) : new Rgb24((byte)(90 + y), (byte)(90 + y), (byte)(120 + x));
        return img;
    }

    /// <summary>The matching mask: 1 inside the square, 0 outside, a void border row of 255 at the top.</summary>
    public static Image<L8> Mask(int w, int h, int x0, int y0, int s, byte anomaly = 1, byte normal = 0, byte voidValue = 255)
    {
        var m = new Image<L8>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                m[x, y] = new L8(y == 0 ? voidValue : x >= x0 && x < x0 + s && y >= y0 && y < y0 + s ? anomaly : normal);
        return m;
    }

    public static void Save(Image img, string path, string format)
    {
        using var fs = File.Create(path);
        switch (format)
        {
            case "png": img.Save(fs, new PngEncoder()); break;
            case "jpg": img.Save(fs, new JpegEncoder { Quality = 95 }); break;
            case "webp": img.Save(fs, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }); break;
            default: throw new ArgumentException(format);
        }
    }

    /// <summary>A seed-layout dataset: images/&lt;i&gt;.&lt;ext&gt; (content in <paramref name="format"/>) + labels_masks/&lt;i&gt;.png.</summary>
    public string Validation(string name, int count, string ext, string format, int w = 24, int h = 16, byte anomaly = 1, byte voidValue = 255)
    {
        string images = Dir("Validation_Dataset", name, "images"), masks = Dir("Validation_Dataset", name, "labels_masks");
        for (int i = 0; i < count; i++)
        {
            using var img = Scene(w, h, 3 + i, 4, 6);
            Save(img, Path.Combine(images, $"{i}.{ext}"), format);
            using var m = Mask(w, h, 3 + i, 4, 6, anomaly, 0, voidValue);
            Save(m, Path.Combine(masks, $"{i}.png"), "png");
        }
        return Path.Combine(Root, "Validation_Dataset", name);
    }
}
