using NativeEngine.Models.Imaging;
using NativeEngine.Training.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NativeEngine.Tests;

/// <summary>The cut-paste anomaly generator (seed.md §2.5) on procedural scenes and on folders.</summary>
public class SyntheticTests
{
    private static readonly CutOut[] Pool = Enumerable.Range(0, 4).Select(i => ProceduralScenes.Object(100 + i, 24)).ToArray();

    [Fact]
    public void PastedObjectSitsOnRoadOrSidewalkWithAConsistentMask()
    {
        var paster = new AnomalyPaster(new PasteOptions());
        int placed = 0;
        for (int s = 0; s < 12; s++)
        {
            var scene = ProceduralScenes.Scene(s, 128, 96);
            var sample = paster.Paste(scene, Pool);
            Assert.All(sample.Gt, g => Assert.True(g is 0 or 1));
            if (sample.Box is not { } box)
            {
                Assert.All(sample.Gt, g => Assert.Equal(0, g));
                continue;
            }
            placed++;
            Assert.True(box.X > 0 && box.Y > 0 && box.X + box.W < 128 && box.Y + box.H < 96, $"box {box} touches the border");
            int anomalous = 0, road = 0, sidewalk = 0;
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 128; x++)
                {
                    bool inside = x >= box.X && x < box.X + box.W && y >= box.Y && y < box.Y + box.H;
                    byte l = scene.Labels[y * 128 + x];
                    if (inside && l == 0) road++;
                    if (inside && l == 1) sidewalk++;
                    if (sample.Gt[y * 128 + x] == 1)
                    {
                        anomalous++;
                        Assert.True(inside, $"gt pixel ({x},{y}) outside the box {box}");
                        Assert.False(l is >= 11 and <= 18, "object overlaps a person/vehicle");
                    }
                    if (!inside)
                        for (int c = 0; c < 3; c++) Assert.Equal(scene.Image.Pixels[(y * 128 + x) * 3 + c], sample.Image.Pixels[(y * 128 + x) * 3 + c]);
                }
            Assert.True(anomalous > 0);
            Assert.True(Math.Max(road, sidewalk) >= 0.8 * box.W * box.H, $"only {Math.Max(road, sidewalk)} of {box.W * box.H} box pixels on the target class");
            double area = box.W * box.H / (128.0 * 96);
            Assert.InRange(area, 0.005, 0.2);
            // Same id → same sample (the per-sample RNG is seeded by sha256("seed::id")).
            Assert.Equal(sample.Gt, paster.Paste(scene, Pool).Gt);
        }
        Assert.True(placed >= 8, $"only {placed} of 12 scenes got an object");
    }

    [Fact]
    public void FoldersInCityscapesAndCocoStyleBuildTheSeedLayout()
    {
        string root = Directory.CreateTempSubdirectory("ne-synth-").FullName;
        try
        {
            string images = Path.Combine(root, "leftImg8bit", "aachen"), labels = Path.Combine(root, "gtFine", "aachen"), cut = Path.Combine(root, "cutouts");
            Directory.CreateDirectory(images);
            Directory.CreateDirectory(labels);
            Directory.CreateDirectory(cut);
            for (int i = 0; i < 3; i++)
            {
                var s = ProceduralScenes.Scene(i, 96, 64);
                using var img = Image.LoadPixelData<Rgb24>(s.Image.Pixels, 96, 64);
                img.SaveAsPng(Path.Combine(images, $"aachen_000000_00000{i}_leftImg8bit.png"));
                using var lab = Image.LoadPixelData<L8>(s.Labels, 96, 64);
                lab.SaveAsPng(Path.Combine(labels, $"aachen_000000_00000{i}_gtFine_labelTrainIds.png"));
            }
            foreach (var o in Pool)
            {
                var px = new Rgba32[o.Width * o.Height];
                for (int i = 0; i < px.Length; i++) px[i] = new Rgba32(o.Rgb[i * 3], o.Rgb[i * 3 + 1], o.Rgb[i * 3 + 2], o.Mask[i] ? (byte)255 : (byte)0);
                using var img = Image.LoadPixelData(px, o.Width, o.Height);
                img.SaveAsPng(Path.Combine(cut, o.Id + ".png"));
            }
            var scenes = SyntheticFolders.Scenes(Path.Combine(root, "leftImg8bit"), Path.Combine(root, "gtFine")).ToList();
            Assert.Equal(3, scenes.Count);
            Assert.Equal("aachen_000000_000000", scenes[0].Id);
            var pool = SyntheticFolders.CutOuts(cut);
            Assert.Equal(Pool.Length, pool.Count);
            Assert.Equal(Pool[0].Mask, pool[0].Mask);
            string output = Path.Combine(root, "out");
            var (written, anomalous) = SyntheticFolders.Build(scenes, pool, output, "train", new PasteOptions());
            Assert.Equal(3, written);
            Assert.True(anomalous >= 1);
            foreach (var s in scenes)
            {
                Assert.True(File.Exists(Path.Combine(output, "train", "images", s.Id + ".png")));
                using var gt = Image.Load<L8>(Path.Combine(output, "train", "gt_pixel", s.Id + ".png"));
                var px = new L8[gt.Width * gt.Height];
                gt.CopyPixelDataTo(px);
                Assert.All(px, p => Assert.True(p.PackedValue is 0 or 1));
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void ColourMatchingMovesThePatchTowardsTheBackground()
    {
        var scene = ProceduralScenes.Scene(3, 128, 96);
        var plain = new AnomalyPaster(new PasteOptions(ColourMatch: 0)).Paste(scene, Pool);
        var matched = new AnomalyPaster(new PasteOptions()).Paste(scene, Pool);
        Assert.Equal(plain.Box, matched.Box);
        Assert.NotNull(plain.Box);
        double Distance(SyntheticSample s)
        {
            double d = 0;
            for (int i = 0; i < s.Gt.Length; i++)
                if (s.Gt[i] == 1)
                    for (int c = 0; c < 3; c++) d += Math.Abs(s.Image.Pixels[i * 3 + c] - scene.Image.Pixels[i * 3 + c]);
            return d;
        }
        Assert.True(Distance(matched) < Distance(plain), "LAB mean matching should bring the object closer to the road colour");
    }
}
