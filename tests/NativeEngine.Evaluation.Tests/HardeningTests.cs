using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.IO;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Models.Imaging;
using NativeEngine.Tests;
using NativeEngine.Weights.SafeTensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Evaluation.Tests;

/// <summary>Bad input found by trying it (issue 12): no stale cached number, no half-decoded image, no silent float label, clear messages.</summary>
public class HardeningTests
{
    // Defect 1: the cache key covered the image's path, size and time but not its mask.
    [Fact]
    public void EditedMaskOrImageIsNeverServedFromTheCache()
    {
        using var d = new SyntheticData();
        d.Validation("RoadAnomaly21", 2, "png", "png", w: 48, h: 32);
        var datasets = DatasetCatalog.Discover(d.Root);
        var outDir = Path.Combine(d.Root, "out");
        var request = new ScoreRequest([ScoreMethod.Msp], EvalProtocol.Seed);
        var scorer = new FakeScorer(32);
        var first = Evaluator.Run(scorer, datasets, request, new EvalOptions(outDir, HeatmapLimit: 0, Curves: false));
        Assert.Equal(2, scorer.Calls);
        Evaluator.Run(scorer, datasets, request, new EvalOptions(outDir, HeatmapLimit: 0, Curves: false));
        Assert.Equal(2, scorer.Calls); // unchanged inputs: served from the cache

        // Fix the mask: every pixel normal except the void row. Same size on disk is not guaranteed, so keep its time too.
        var mask = datasets[0].Samples[0].MaskPath!;
        var time = File.GetLastWriteTimeUtc(mask);
        using (var m = SyntheticData.Mask(48, 32, 0, 0, 0)) SyntheticData.Save(m, mask, "png");
        File.SetLastWriteTimeUtc(mask, time);
        var second = Evaluator.Run(scorer, datasets, request, new EvalOptions(outDir, HeatmapLimit: 0, Curves: false));
        Assert.Equal(3, scorer.Calls);
        Assert.NotEqual(first.Datasets[0].Methods[ScoreMethod.Msp].Positives, second.Datasets[0].Methods[ScoreMethod.Msp].Positives);

        // Replace an image's pixels with the same byte count and time: still recomputed (the key reads content).
        var image = datasets[0].Samples[1].ImagePath;
        var bytes = File.ReadAllBytes(image);
        var other = File.ReadAllBytes(datasets[0].Samples[0].ImagePath);
        time = File.GetLastWriteTimeUtc(image);
        File.WriteAllBytes(image, other.Length == bytes.Length ? other : bytes.Select((b, i) => i == bytes.Length - 20 ? (byte)(b ^ 1) : b).ToArray());
        File.SetLastWriteTimeUtc(image, time);
        Evaluator.Run(scorer, datasets, request, new EvalOptions(outDir, HeatmapLimit: 0, Curves: false));
        Assert.True(scorer.Calls >= 3, "the changed image is read again");
        Assert.NotEqual(ScoreCache.Key(scorer, request, image, mask), ScoreCache.Key(scorer, request, image, datasets[0].Samples[1].MaskPath));
    }

    // Defect 12: --max-images 0 or -1 exited 0 with an empty table (the command's refusal: Cli.Tests' HardeningCliTests).
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void EvaluatorRefusesMaxImagesBelowOne(int n)
    {
        var e = Assert.Throws<ArgumentException>(() => Evaluator.Run(new FakeScorer(), [], new ScoreRequest([ScoreMethod.Msp]),
            new EvalOptions(Path.Combine(Path.GetTempPath(), "ne-never-written"), MaxImages: n)));
        Assert.Contains($"MaxImages {n}", e.Message);
    }

    // Defect 11: a failed write showed the internal temp file's name.
    [Fact]
    public void FailedWriteNamesTheFileNotATempFile()
    {
        // /proc takes no new files, even for root.
        var e = Assert.ThrowsAny<IOException>(() => ArrayFiles.WriteFloat("/proc/ne-scores.npy", [1f], [1]));
        Assert.Contains("/proc/ne-scores.npy", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        e = Assert.ThrowsAny<IOException>(() => SafeTensorsWriter.Write("/proc/ne-out.safetensors", [SafeTensorsWriter.F32("x", [1f], 1)]));
        Assert.Contains("/proc/ne-out.safetensors", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    // Defect 9: a PNG whose header promises more rows than its data holds decoded with the rest zero-filled.
    [Fact]
    public void PngWithMissingRowsIsAnErrorNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("ne-png-").FullName;
        try
        {
            var path = Path.Combine(dir, "cut.png");
            File.WriteAllBytes(path, PngBytes.GreyWithRows(2000, 1000, 10));
            var e = Assert.Throws<ImageFileException>(() => ImageFiles.ReadRgb(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("truncated PNG: pixel data for 10 of its 1000 rows", e.Message);
            e = Assert.Throws<ImageFileException>(() => ImageFiles.ReadMask(path));
            Assert.Contains("10 of its 1000 rows", e.Message);
            File.WriteAllBytes(path, PngBytes.GreyWithRows(20, 10, 10)); // complete: fine
            Assert.Equal(10, ImageFiles.ReadMask(path).Height);
        }
        finally { Directory.Delete(dir, true); }
    }

    // Defect 11: a PNG with one flipped byte said "does not contain a data chunk".
    [Fact]
    public void PngWithAFlippedByteNamesTheDamagedChunk()
    {
        var dir = Directory.CreateTempSubdirectory("ne-png-").FullName;
        try
        {
            var path = Path.Combine(dir, "flip.png");
            var bytes = PngBytes.GreyWithRows(20, 10, 10);
            bytes[37] ^= 0x01; // the 'T' of IDAT (8 signature + 25 IHDR + 4 length)
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<ImageFileException>(() => ImageFiles.ReadRgb(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("fails its CRC check", e.Message);
            Assert.Contains("re-download or re-export", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    // Defect 9: a JPEG cut inside its image data passed the "EOI near the end" test when an embedded thumbnail's EOI was there.
    [Fact]
    public void JpegCutInsideItsImageDataIsRefusedDespiteAThumbnailMarker()
    {
        var dir = Directory.CreateTempSubdirectory("ne-jpg-").FullName;
        try
        {
            var ms = new MemoryStream();
            using (var img = SyntheticData.Scene(64, 48, 10, 10, 12)) img.SaveAsJpeg(ms);
            var jpeg = ms.ToArray();
            // SOI, then an APP1 segment holding an EOI marker (as an EXIF thumbnail does), then the rest cut at 60 %.
            byte[] app1 = [0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00];
            var cut = jpeg[..2].Concat(app1).Concat(jpeg[2..(jpeg.Length * 6 / 10)]).ToArray();
            var path = Path.Combine(dir, "cut.jpg");
            File.WriteAllBytes(path, cut);
            var e = Assert.Throws<ImageFileException>(() => ImageFiles.ReadRgb(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("truncated JPEG", e.Message);
            File.WriteAllBytes(path, jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray()); // whole: fine
            Assert.Equal(64, ImageFiles.ReadRgb(path).Width);
        }
        finally { Directory.Delete(dir, true); }
    }
}
