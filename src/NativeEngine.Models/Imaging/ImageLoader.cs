using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Models.Imaging;

/// <summary>A decoded image: <see cref="Pixels"/> is Height×Width×3 RGB bytes, row-major.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    /// <summary>Where it came from (for messages).</summary>
    public string Source { get; init; } = "";
}

/// <summary>
/// Hardened decoding of untrusted images with ImageSharp 2.1.13 (ecosystem.md §5.1, §5.3):
/// <list type="bullet">
/// <item>a private Configuration with only the PNG, JPEG and WebP decoders (2.1.13's open advisories live in the
/// TIFF/BMP/GIF code and ICC parsing, none of which is registered);</item>
/// <item>format sniffed by content, never by extension (RoadAnomaly21's .png files are JPEGs);</item>
/// <item>file size, dimensions and pixel count checked from the header (Identify) before any pixel buffer exists;</item>
/// <item>a bounded MemoryAllocator, metadata ignored, one decoding thread;</item>
/// <item>truncated or damaged PNG/JPEG files rejected (<see cref="ImageIntegrity"/>: chunk CRCs, every promised row of
/// PNG pixel data, whole JPEG segments up to EOI) instead of being half-decoded with the rest zero-filled;</item>
/// <item>every decoder failure (any exception) becomes an <see cref="InvalidDataException"/> naming the file.</item>
/// </list>
/// </summary>
public static class ImageLoader
{
    /// <summary>Largest accepted side in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Largest accepted pixel count (100 MP).</summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>Largest accepted file (256 MiB).</summary>
    public const long MaxFileBytes = 256L << 20;

    private static readonly Configuration Config = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var c = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule())
        {
            MaxDegreeOfParallelism = 1,
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = 1024, MaximumPoolSizeMegabytes = 64 }),
        };
        return c;
    }

    /// <summary>Decodes a PNG, JPEG or WebP file to RGB (alpha dropped, as PIL's convert("RGB")).</summary>
    public static RgbImage Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image", path);
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new InvalidDataException($"{path}: {length} bytes is over the {MaxFileBytes >> 20} MiB image limit");
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes image bytes; <paramref name="name"/> is used in error messages.</summary>
    public static RgbImage Decode(byte[] data, string name)
    {
        try
        {
            var format = Image.DetectFormat(Config, data)
                ?? throw new InvalidDataException($"{name}: not a PNG, JPEG or WebP image (format sniffed from the content, whatever the extension)");
            IImageDecoder decoder = format switch
            {
                PngFormat => new PngDecoder { IgnoreMetadata = true },
                JpegFormat => new JpegDecoder { IgnoreMetadata = true },
                WebpFormat => new WebpDecoder { IgnoreMetadata = true },
                _ => throw new InvalidDataException($"{name}: {format.Name} images are not accepted (PNG, JPEG, WebP only)"),
            };
            using var header = new MemoryStream(data, writable: false);
            IImageInfo? info;
            try
            {
                info = Image.Identify(Config, header);
            }
            catch
            {
                CheckComplete(data, format, name); // a damaged file: say where, rather than the decoder's complaint
                throw;
            }
            if (info is null) CheckComplete(data, format, name);
            if (info is null) throw new InvalidDataException($"{name}: the {format.Name} header cannot be read");
            if (info.Width <= 0 || info.Height <= 0 || info.Width > MaxSide || info.Height > MaxSide || (long)info.Width * info.Height > MaxPixels)
                throw new InvalidDataException($"{name}: {info.Width}x{info.Height} is outside the accepted size (each side 1..{MaxSide}, at most {MaxPixels / 1_000_000} MP)");
            CheckComplete(data, format, name); // after the size check: it inflates every promised row
            using var stream = new MemoryStream(data, writable: false);
            using var image = Image.Load<Rgb24>(Config, stream, decoder);
            if (image.Width != info.Width || image.Height != info.Height)
                throw new InvalidDataException($"{name}: decoded {image.Width}x{image.Height}, header said {info.Width}x{info.Height}");
            var pixels = new byte[(long)image.Width * image.Height * 3];
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        long o = ((long)y * rows.Width + x) * 3;
                        pixels[o] = row[x].R;
                        pixels[o + 1] = row[x].G;
                        pixels[o + 2] = row[x].B;
                    }
                }
            });
            return new RgbImage(image.Width, image.Height, pixels) { Source = name };
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            // Any exception out of the third-party decoders on these bytes is a refusal of the file: tests/fuzz found
            // a NullReferenceException in ImageSharp 2.1.13's WebP header code, outside the list once caught here.
            throw new InvalidDataException($"{name}: cannot decode image ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>Rejects truncated and damaged files before the decoder can half-decode them (<see cref="ImageIntegrity"/>).</summary>
    private static void CheckComplete(byte[] data, IImageFormat format, string name)
    {
        if (format is PngFormat) ImageIntegrity.CheckPng(data, name);
        else if (format is JpegFormat) ImageIntegrity.CheckJpeg(data, name);
    }
}
