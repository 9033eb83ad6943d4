using System.IO.Compression;
using NativeEngine.Evaluation.IO;
using NativeEngine.Training.Head;
using NativeEngine.Weights.SafeTensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Fuzz;

/// <summary>
/// Small valid inputs each target starts from: committed fixtures (tests/fixtures) and files written by the project's
/// own writers. Generated, never committed: tests/fuzz/run.sh writes them into the (gitignored) corpus, and the replay
/// test runs them all on every CI run.
/// </summary>
public static class FuzzSeeds
{
    /// <summary>The repository root (the folder holding NativeEngine.sln), found upwards from the program.</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Absolute path of a committed fixture under tests/fixtures.</summary>
    public static string Fixture(string relative) => Path.Combine(RepoRoot, "tests", "fixtures", relative);

    private static (string, byte[]) FromFixture(string relative) => (Path.GetFileName(relative), File.ReadAllBytes(Fixture(relative)));

    /// <summary>safetensors: every dtype the reader converts, metadata, an empty tensor, and small fixtures.</summary>
    public static IEnumerable<(string, byte[])> SafeTensors()
    {
        yield return ("mixed.safetensors", Written(p => SafeTensorsWriter.Write(p,
            [
                SafeTensorsWriter.F32("a", [1, -2, 3.5f, float.NaN, 0, 6], 2, 3),
                SafeTensorsWriter.F16("b", [0.5f, 1], 2),
                SafeTensorsWriter.BF16("c", [7], 1),
                SafeTensorsWriter.I64("d", [1, -1], 2),
                SafeTensorsWriter.U8("e", [0, 1, 255], 3),
                SafeTensorsWriter.F32("empty", [], 0),
            ], new Dictionary<string, string> { ["format"] = "pt" })));
        foreach (var f in new[] { "weights/views_reference.safetensors", "weights/broken_overlapping.safetensors", "metrics/ties.safetensors" })
            yield return FromFixture(f);
    }

    /// <summary>The sharded index of tests/fixtures/weights/tiny_hf_sharded (its shards sit beside the fuzzed copy).</summary>
    public static IEnumerable<(string, byte[])> Index()
    {
        yield return FromFixture("weights/tiny_hf_sharded/model.safetensors.index.json");
    }

    /// <summary>Protocol-2 and protocol-4 data.pkl records from the fixture checkpoints, and a raw hostile pickle.</summary>
    public static IEnumerable<(string, byte[])> Pickles()
    {
        foreach (var f in new[] { "weights/views.pth", "weights/tiny_original_proto4.pth", "weights/head_bn.ckpt", "weights/hostile_reduce_string.pth" })
        {
            using var zip = ZipFile.OpenRead(Fixture(f));
            var entry = zip.Entries.First(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
            using var s = entry.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            yield return (Path.GetFileNameWithoutExtension(f) + ".pkl", m.ToArray());
        }
        yield return FromFixture("weights/hostile_raw_pickle.bin");
    }

    /// <summary>PyTorch zip checkpoints: views (strided, big-endian), a head, Lightning, and refused kinds.</summary>
    public static IEnumerable<(string, byte[])> TorchZips() =>
        new[]
        {
            "weights/views.pth", "weights/views_bigendian.pth", "weights/head_plain.pth", "weights/head_bn.ckpt", "weights/torchscript.pt",
            "weights/legacy_format.pth", "weights/hostile_deflated_storage.pth", "weights/hostile_view_past_storage.pth",
        }.Select(FromFixture);

    /// <summary>The config.json that matches the fixed model, and one that declares another architecture.</summary>
    public static IEnumerable<(string, byte[])> Configs()
    {
        yield return ("tiny_hf.json", File.ReadAllBytes(Fixture("weights/tiny_hf/config.json")));
        yield return ("tiny_other.json", File.ReadAllBytes(Fixture("eomt/tiny/config.json")));
    }

    /// <summary>.npy files as ArrayFiles writes them (float32 maps, uint8 masks), plus other dtypes and header versions.</summary>
    public static IEnumerable<(string, byte[])> Npys()
    {
        yield return ("scores.npy", Written(p => ArrayFiles.WriteFloat(p, [0.5f, 1, 7, 2, 3, 255], [2, 3]), ".npy"));
        yield return ("labels.npy", Written(p => ArrayFiles.WriteBytes(p, [0, 1, 255, 1], [4]), ".npy"));
        yield return ("f8.npy", Npy(1, "<f8", "(2,)", new byte[16]));
        yield return ("i8-v2.npy", Npy(2, "<i8", "(1, 1)", new byte[8]));
    }

    /// <summary>PNG (the fixture, RGBA), JPEG and lossy/lossless WebP of a small picture.</summary>
    public static IEnumerable<(string, byte[])> Images()
    {
        yield return FromFixture("eomt/tiny_image_tall.png");
        using var img = Picture();
        yield return ("rgba.png", Encoded(img.CloneAs<Rgba32>(), new PngEncoder()));
        yield return ("small.jpg", Encoded(img, new JpegEncoder { Quality = 75 }));
        yield return ("lossy.webp", Encoded(img, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }));
        yield return ("lossless.webp", Encoded(img, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }));
    }

    /// <summary>Masks: 8-bit grey, palette, 16-bit grey and grey-as-RGB PNGs with 0/1/255 values, and a (refused) JPEG.</summary>
    public static IEnumerable<(string, byte[])> Masks()
    {
        using var mask = new Image<L8>(8, 6);
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 8; x++)
                mask[x, y] = new L8((byte)(x < 2 ? 255 : y > 3 && x > 4 ? 1 : 0));
        yield return ("grey.png", Encoded(mask, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 }));
        yield return ("palette.png", Encoded(mask, new PngEncoder { ColorType = PngColorType.Palette }));
        yield return ("grey16.png", Encoded(mask, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 }));
        yield return ("rgb.png", Encoded(mask, new PngEncoder { ColorType = PngColorType.Rgb }));
        yield return ("mask.jpg", Encoded(mask, new JpegEncoder()));
    }

    /// <summary>Six pixel rows of four statistics with labels 0/1/255: the features file train-head writes and reads.</summary>
    public static FeatureDataset FeatureData() =>
        new([0.1f, 0.2f, 0.3f, 0.4f, 1, 0, 0, 1, 0.5f, 0.5f, 0.5f, 0.5f, 2, 1, 0, 3, -1, 0, 1, 0, 0.9f, 0.8f, 0.7f, 0.6f], 4, [0, 1, 255, 0, 1, 0]);

    /// <summary>The features file of <see cref="FeatureData"/>, with the metadata dataset mode records.</summary>
    public static IEnumerable<(string, byte[])> Features()
    {
        yield return ("features.safetensors", Written(p => DatasetFeatures.Save(FeatureData(), p, new Dictionary<string, string> { ["weights"] = "w" })));
    }

    private static Image<Rgb24> Picture()
    {
        var img = new Image<Rgb24>(12, 8);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 12; x++)
                img[x, y] = new Rgb24((byte)(x * 20), (byte)(y * 30), (byte)(x * y));
        return img;
    }

    private static byte[] Encoded(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var m = new MemoryStream();
        image.Save(m, encoder);
        return m.ToArray();
    }

    // A hand-made .npy (version 1: 2-byte header length; 2: 4-byte), header padded to 64 bytes as NumPy does.
    private static byte[] Npy(int version, string descr, string shape, byte[] data)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int prefix = version == 1 ? 10 : 12;
        dict += new string(' ', (64 - (prefix + dict.Length + 1) % 64) % 64) + "\n";
        using var m = new MemoryStream();
        m.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        if (version == 1) m.Write(BitConverter.GetBytes((ushort)dict.Length));
        else m.Write(BitConverter.GetBytes((uint)dict.Length));
        m.Write(System.Text.Encoding.ASCII.GetBytes(dict));
        m.Write(data);
        return m.ToArray();
    }

    private static byte[] Written(Action<string> write, string extension = ".safetensors")
    {
        var p = Path.Combine(Path.GetTempPath(), $"nativeengine-fuzz-seed-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");
        try
        {
            write(p);
            return File.ReadAllBytes(p);
        }
        finally
        {
            File.Delete(p);
        }
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "NativeEngine.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find NativeEngine.sln above " + AppContext.BaseDirectory + " or the current folder");
    }
}
