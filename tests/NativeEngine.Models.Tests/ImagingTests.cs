using NativeEngine.Models.Imaging;
using NativeEngine.Weights.SafeTensors;
using Xunit.Abstractions;

namespace NativeEngine.Tests;

/// <summary>PIL-exact resizing and hardened decoding.</summary>
public class ImagingTests(ITestOutputHelper output)
{
    [Fact]
    public void PilBilinearMatchesPillowBitExactly()
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path("eomt/pil_resize.safetensors"));
        for (int i = 0; f.Tensors.ContainsKey($"case{i}.input"); i++)
        {
            var input = f.Get($"case{i}.input");
            var expected = f.Get($"case{i}.output");
            int h = (int)input.Shape[0], w = (int)input.Shape[1], nh = (int)expected.Shape[0], nw = (int)expected.Shape[1];
            var actual = PilResize.Bilinear(f.ReadBytes($"case{i}.input"), w, h, nw, nh);
            var want = f.ReadBytes($"case{i}.output");
            for (int j = 0; j < want.Length; j++)
                Assert.True(want[j] == actual[j], $"case {i} ({h}x{w} → {nh}x{nw}): byte {j} is {actual[j]}, Pillow gives {want[j]}");
        }
    }

    [Fact]
    public void DecodesPngAndSniffsFormatByContent()
    {
        var png = File.ReadAllBytes(Fixtures.Path("eomt/tiny_image_wide.png"));
        using var f = SafeTensorsFile.Open(Fixtures.Path("eomt/tiny_image_wide.safetensors"));
        var img = ImageLoader.Decode(png, "wide.jpg"); // the extension lies; the content decides
        Assert.Equal((90, 53), (img.Width, img.Height));
        Assert.Equal(f.ReadBytes("image"), img.Pixels);
    }

    [Fact]
    public void RejectsTruncatedCorruptAndForeignFilesNamingThem()
    {
        var png = File.ReadAllBytes(Fixtures.Path("eomt/tiny_image_wide.png"));
        var cases = new (string Name, byte[] Data, string Expect)[]
        {
            ("truncated.png", png[..(png.Length / 2)], "truncated"),
            ("empty.png", [], "not a PNG"),
            ("text.png", "hello, world"u8.ToArray(), "not a PNG"),
            ("gif.png", "GIF89a\x01\0\x01\0\0\0\0;"u8.ToArray(), "not a PNG"),
            ("bmp.png", [0x42, 0x4D, 0x23, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0, 0], "not a PNG"),
            ("jpeg-head.png", [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0], "truncated JPEG"),
        };
        foreach (var (name, data, expect) in cases)
        {
            var e = Assert.Throws<InvalidDataException>(() => ImageLoader.Decode(data, name));
            Assert.Contains(name, e.Message);
            Assert.Contains(expect, e.Message);
        }
        // A corrupted IDAT (bytes flipped in the middle, IEND intact).
        var bad = (byte[])png.Clone();
        for (int i = 60; i < Math.Min(bad.Length - 20, 400); i++) bad[i] ^= 0x5A;
        var err = Assert.Throws<InvalidDataException>(() => ImageLoader.Decode(bad, "flipped.png"));
        Assert.Contains("flipped.png", err.Message);
    }

    [Fact]
    public void RejectsOversizedDimensionsBeforeDecoding()
    {
        // A valid PNG header declaring 20000x20000 (IHDR only, then IEND): refused from the header, no pixel buffer.
        var png = PngBytes.File(("IHDR", PngBytes.Header(20000, 20000, colorType: 2)), ("IEND", []));
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.Decode(png, "huge.png"));
        Assert.Contains("outside the accepted size", e.Message);
    }

    [Fact]
    public void DecodesRealRoadAnomalyImages()
    {
        var root = Fixtures.SharedValidationData;
        if (root is null)
        {
            output.WriteLine("not run: ../shared/data/Validation_Dataset is absent");
            return;
        }
        foreach (var dir in new[] { "RoadAnomaly21/images", "RoadAnomaly/images", "fs_static/images" })
        {
            var path = Directory.EnumerateFiles(Path.Combine(root, dir)).OrderBy(p => p).FirstOrDefault();
            if (path is null) continue;
            var img = ImageLoader.Load(path);
            output.WriteLine($"{path}: {img.Width}x{img.Height}");
            Assert.Equal((long)img.Width * img.Height * 3, img.Pixels.LongLength);
            Assert.True(img.Pixels.Any(b => b != img.Pixels[0]), $"{path} decoded to a flat image");
        }
    }
}
