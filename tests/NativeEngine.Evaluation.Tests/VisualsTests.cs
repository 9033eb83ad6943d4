using NativeEngine.Evaluation.Datasets;
using NativeEngine.Models.Imaging;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Visuals;
using NativeEngine.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Evaluation.Tests;

/// <summary>The written pictures: right size, decodable, not blank; colormap endpoints; contour placement.</summary>
public class VisualsTests
{
    [Fact]
    public void MagmaEndpointsAreThePublishedOnes()
    {
        // matplotlib magma: 0 → (0, 0, 4) black-purple, 1 → (252, 253, 191) pale yellow.
        Assert.Equal(((byte)0, (byte)0, (byte)4), Colormaps.Color(Colormaps.Map.Magma, 0));
        Assert.Equal(((byte)252, (byte)253, (byte)191), Colormaps.Color(Colormaps.Map.Magma, 1));
        Assert.Equal(768, Colormaps.Table(Colormaps.Map.Magma).Length);
    }

    [Fact]
    public void CurvesAreWrittenAndNotBlank()
    {
        var (scores, labels, _, _) = MetricsFixture.Load("blobs");
        var m = ExactPixelMetrics.Compute(scores, labels);
        var shifted = ExactPixelMetrics.Compute(scores.Select(s => s * s).ToArray(), labels);
        var dir = Directory.CreateTempSubdirectory("ne-vis-").FullName;
        try
        {
            var pr = Path.Combine(dir, "pr.png");
            var roc = Path.Combine(dir, "roc.png");
            CurvePlots.PrecisionRecall("BLOBS PR", [("HEAD", m), ("SQUARED", shifted)]).SavePng(pr);
            CurvePlots.Roc("BLOBS ROC", [("HEAD", m)], 500, 400).SavePng(roc);
            var a = Pictures.Inspect(pr);
            Assert.Equal((640, 480), (a.W, a.H));
            Assert.True(a.Colors > 20, $"PR plot has {a.Colors} colours");
            var b = Pictures.Inspect(roc);
            Assert.Equal((500, 400), (b.W, b.H));
            Assert.True(b.Colors > 10);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
            if (Environment.GetEnvironmentVariable("NE_KEEP_PLOTS") is { } keep) { File.Copy(pr, Path.Combine(keep, "pr.png"), true); File.Copy(roc, Path.Combine(keep, "roc.png"), true); }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HeatmapOverlayAndContour()
    {
        int w = 24, h = 16;
        var image = new RgbImage(w, h, Enumerable.Repeat((byte)100, w * h * 3).ToArray());
        var mask = new LabelMask(w, h, new byte[w * h]);
        var scores = new float[w * h];
        for (int y = 4; y < 10; y++) for (int x = 5; x < 11; x++) { mask.Values[y * w + x] = 1; scores[y * w + x] = 0.9f; }
        mask.Values[0] = 255;
        var heat = Heatmaps.Colorize(scores, ScoreRange.Unit);
        Assert.Equal((0, 0, 4), (heat[0], heat[1], heat[2]));
        var o = Heatmaps.Overlay(image, heat, mask);
        int Px(int x, int y, int c) => o[3 * (y * w + x) + c];
        Assert.Equal((0, 255, 0), (Px(5, 4, 0), Px(5, 4, 1), Px(5, 4, 2)));    // boundary of the square
        Assert.NotEqual(255, Px(7, 6, 1));                                       // interior: blended heat
        Assert.Equal(25, Px(0, 0, 0));                                           // void dimmed: (100·½ + 0·½)/2
        var dir = Directory.CreateTempSubdirectory("ne-vis-").FullName;
        try
        {
            var path = Path.Combine(dir, "o.png");
            Png.SaveRgb(path, w, h, o);
            Assert.Equal((w, h), (Pictures.Inspect(path).W, Pictures.Inspect(path).H));
            Png.SaveGray16(Path.Combine(dir, "s.png"), w, h, scores, 0, 1);
            using var g = Image.Load<L16>(Path.Combine(dir, "s.png"));
            Assert.Equal((ushort)Math.Round(0.9 * 65535), g[6, 6].PackedValue);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ResizeIsTorchsBilinearAndKeepsConstants()
    {
        // F.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), size=(4, 4), mode="bilinear", align_corners=False)
        var r = Heatmaps.Resize([1, 2, 3, 4], 2, 2, 4, 4);
        Assert.Equal([1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4], r);
        Assert.All(Heatmaps.Resize(Enumerable.Repeat(0.5f, 9).ToArray(), 3, 3, 7, 5), v => Assert.Equal(0.5f, v, 6));
        Assert.Throws<ArgumentException>(() => Heatmaps.Resize([1, 2, 3], 2, 2, 4, 4));
    }
}
