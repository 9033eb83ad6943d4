using System.Buffers.Binary;
using NativeEngine.Models.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Evaluation.Datasets;

/// <summary>A single-channel 8-bit mask (raw label values), row-major.</summary>
public sealed record LabelMask(int Width, int Height, byte[] Values);

/// <summary>An image or mask that cannot be used, with the file and the reason (one line).</summary>
public sealed class ImageFileException(string path, string reason) : IOException($"{path}: {reason}")
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>
/// Reads dataset images and masks. Formats are sniffed from the bytes (RoadAnomaly21's .png files are JPEG), only PNG,
/// JPEG and WebP are accepted, dimensions are checked before decoding, and truncated or damaged files are refused
/// (<see cref="ImageIntegrity"/>: PNG chunk CRCs and every promised row, JPEG segments up to EOI) rather than decoded partially. Masks keep raw values: 8-bit grey as is, palette
/// PNGs as palette indices (what PIL's <c>np.array(Image.open(mask))</c> gives).
/// </summary>
public static class ImageFiles
{
    /// <summary>Refuse images above this many pixels (an 8K frame is 33 M).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Refuse files above this many bytes.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly Configuration Decoders = new(new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule());

    /// <summary>The container format found in the first bytes.</summary>
    public enum Format
    {
        /// <summary>Not an accepted format.</summary>
        Unknown,
        /// <summary>PNG.</summary>
        Png,
        /// <summary>JPEG.</summary>
        Jpeg,
        /// <summary>WebP.</summary>
        WebP,
    }

    /// <summary>Sniffs the magic bytes.</summary>
    public static Format Sniff(ReadOnlySpan<byte> head) =>
        head.Length >= 8 && head[..8].SequenceEqual(PngSignature) ? Format.Png
        : head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF ? Format.Jpeg
        : head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head.Slice(8, 4).SequenceEqual("WEBP"u8) ? Format.WebP
        : Format.Unknown;

    /// <summary>Decodes an image file to RGB through the models' hardened loader (the single place images are decoded).</summary>
    public static RgbImage ReadRgb(string path)
    {
        try
        {
            return ImageLoader.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            var why = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
            throw new ImageFileException(path, why.ReplaceLineEndings(" ") + (why.Contains("truncated") && !why.Contains("re-download") ? "; re-download or re-export it" : ""));
        }
    }

    /// <summary>Decodes a label mask to raw single-channel values (grey level, or palette index).</summary>
    public static LabelMask ReadMask(string path)
    {
        var bytes = ReadChecked(path, out var format);
        try
        {
            if (format == Format.Png && PngColorType(bytes) == 3) return ReadPalette(path, bytes);
            var info = Image.Identify(Decoders, bytes, out _);
            if (format == Format.Png && PngBitDepth(bytes) == 16)
            {
                using var wide = Image.Load<L16>(Decoders, bytes);
                var v16 = new ushort[wide.Width * wide.Height];
                wide.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v16.AsSpan()));
                var v = new byte[v16.Length];
                for (int i = 0; i < v.Length; i++)
                    v[i] = v16[i] <= 255 ? (byte)v16[i] : throw new ImageFileException(path, $"16-bit mask value {v16[i]} does not fit 0..255");
                return new LabelMask(wide.Width, wide.Height, v);
            }
            if (info.PixelType.BitsPerPixel > 16 && format == Format.Png && PngColorType(bytes) is 2 or 6)
            {
                // An RGB(A) mask is accepted only when it is grey (R = G = B).
                using var c = Image.Load<Rgb24>(Decoders, bytes);
                var rgb = new byte[c.Width * c.Height * 3];
                c.CopyPixelDataTo(rgb);
                var v = new byte[c.Width * c.Height];
                for (int i = 0; i < v.Length; i++)
                {
                    if (rgb[3 * i] != rgb[3 * i + 1] || rgb[3 * i] != rgb[3 * i + 2])
                        throw new ImageFileException(path, "colour mask: labels must be one channel (8-bit grey or palette PNG)");
                    v[i] = rgb[3 * i];
                }
                return new LabelMask(c.Width, c.Height, v);
            }
            if (format != Format.Png) throw new ImageFileException(path, $"a {format} mask is lossy; masks must be PNG");
            using var img = Image.Load<L8>(Decoders, bytes);
            var values = new byte[img.Width * img.Height];
            img.CopyPixelDataTo(values);
            return new LabelMask(img.Width, img.Height, values);
        }
        catch (Exception e) when (e is not ImageFileException)
        {
            throw new ImageFileException(path, $"cannot decode this mask ({e.Message.ReplaceLineEndings(" ")}); masks must be 8-bit grey or palette PNGs");
        }
    }

    /// <summary>Width and height from the header, without decoding pixels.</summary>
    public static (int Width, int Height) Identify(string path)
    {
        var bytes = ReadChecked(path, out var format);
        var info = Header(path, bytes, format);
        return (info.Width, info.Height);
    }

    private static byte[] ReadChecked(string path, out Format format)
    {
        if (!File.Exists(path)) throw new ImageFileException(path, "no such file");
        var len = new FileInfo(path).Length;
        if (len > MaxFileBytes) throw new ImageFileException(path, $"{len} bytes is over the {MaxFileBytes}-byte limit for one image");
        var bytes = File.ReadAllBytes(path);
        format = Sniff(bytes);
        if (format == Format.Unknown) throw new ImageFileException(path, "not a PNG, JPEG or WebP file (checked by content, not by extension)");
        void Integrity(Format f)
        {
            try
            {
                if (f == Format.Png) ImageIntegrity.CheckPng(bytes, path);
                else if (f == Format.Jpeg) ImageIntegrity.CheckJpeg(bytes, path);
                else if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) + 8L > bytes.Length)
                    throw new InvalidDataException($"{path}: truncated WebP file (its RIFF size runs past the end); re-download or re-export it");
            }
            catch (InvalidDataException e)
            {
                throw new ImageFileException(path, e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message);
            }
        }
        IImageInfo? info;
        try
        {
            info = Image.Identify(Decoders, bytes, out _);
        }
        catch (Exception e) when (e is not ImageFileException)
        {
            Integrity(format); // a damaged file: say where, rather than the decoder's complaint
            // Otherwise the decoder's complaint, naming the file (a raw ImageSharp exception escaped here: tests/fuzz).
            throw new ImageFileException(path, $"cannot read the {format} header ({e.Message.ReplaceLineEndings(" ")}); re-export the file");
        }
        if (info is null) Integrity(format);
        if (info is null) throw new ImageFileException(path, $"unrecognised {format} header");
        if ((long)info.Width * info.Height > MaxPixels || info.Width <= 0 || info.Height <= 0)
            throw new ImageFileException(path, $"{info.Width}×{info.Height} is outside the accepted size (1 to {MaxPixels} pixels)");
        Integrity(format); // after the size check: it inflates every promised row
        return bytes;
    }

    // The decoder's reading of the header; its exceptions (a corrupt chunk, a CRC error: found by tests/fuzz) become
    // an ImageFileException naming the file.
    private static IImageInfo Header(string path, byte[] bytes, Format format)
    {
        try
        {
            return Image.Identify(Decoders, bytes, out _) ?? throw new ImageFileException(path, $"unrecognised {format} header");
        }
        catch (Exception e) when (e is not ImageFileException)
        {
            throw new ImageFileException(path, $"cannot read the {format} header ({e.Message.ReplaceLineEndings(" ")}); re-export the file");
        }
    }

    private static int PngColorType(byte[] b) => b.Length > 25 ? b[25] : -1; // IHDR: 8 sig + 8 chunk head + w,h,depth,type
    private static int PngBitDepth(byte[] b) => b.Length > 24 ? b[24] : -1;

    // Palette PNG: decode the colours, then map each back to its palette index (PLTE read from the chunk list).
    private static LabelMask ReadPalette(string path, byte[] bytes)
    {
        var palette = new Dictionary<int, byte>();
        for (int pos = 8; pos + 12 <= bytes.Length;)
        {
            int n = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos));
            if (n < 0 || pos + 12L + n > bytes.Length) break;
            if (bytes.AsSpan(pos + 4, 4).SequenceEqual("PLTE"u8))
            {
                for (int i = 0; i < n / 3; i++)
                {
                    int rgb = bytes[pos + 8 + 3 * i] << 16 | bytes[pos + 9 + 3 * i] << 8 | bytes[pos + 10 + 3 * i];
                    if (!palette.TryAdd(rgb, (byte)i) && palette[rgb] != i)
                    {
                        // Duplicate colours make the index ambiguous only if both entries are used; keep the first
                        // and note it: labels in practice never share colours.
                    }
                }
                break;
            }
            pos += 12 + n;
        }
        if (palette.Count == 0) throw new ImageFileException(path, "palette PNG without a PLTE chunk");
        using var img = Image.Load<Rgb24>(Decoders, bytes);
        var px = new byte[img.Width * img.Height * 3];
        img.CopyPixelDataTo(px);
        var v = new byte[img.Width * img.Height];
        for (int i = 0; i < v.Length; i++)
        {
            int rgb = px[3 * i] << 16 | px[3 * i + 1] << 8 | px[3 * i + 2];
            v[i] = palette.TryGetValue(rgb, out var idx) ? idx : throw new ImageFileException(path, "palette PNG decoded to a colour outside its palette");
        }
        return new LabelMask(img.Width, img.Height, v);
    }
}
