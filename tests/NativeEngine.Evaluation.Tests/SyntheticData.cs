using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Evaluation.Tests;

/// <summary>Writes tiny datasets in every supported layout into a temp folder (deleted on Dispose).</summary>
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

    /// <summary>A hand-built 8-bit palette PNG (ImageSharp picks its own palette order; this one is fixed).</summary>
    public static byte[] PalettePng(int w, int h, byte[] indices, (byte R, byte G, byte B)[] palette)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; ihdr[9] = 3;
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "PLTE", palette.SelectMany(c => new[] { c.R, c.G, c.B }).ToArray());
        var raw = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(raw, System.IO.Compression.CompressionLevel.Optimal, true))
            for (int y = 0; y < h; y++) { z.WriteByte(0); z.Write(indices, y * w, w); }
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>An 8-bit grey PNG whose header says <paramref name="w"/>×<paramref name="h"/> but whose pixel data holds only the first <paramref name="rows"/> rows (valid chunks and CRCs).</summary>
    public static byte[] GreyPngWithRows(int w, int h, int rows)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; ihdr[9] = 0;
        Chunk(ms, "IHDR", ihdr);
        var raw = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(raw, System.IO.Compression.CompressionLevel.Optimal, true))
            for (int y = 0; y < rows; y++) { z.WriteByte(0); z.Write(Enumerable.Repeat((byte)200, w).ToArray()); }
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crcInput = head[4..].Concat(data).ToArray();
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        s.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
