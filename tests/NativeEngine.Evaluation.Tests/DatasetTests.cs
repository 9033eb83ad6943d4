using NativeEngine.Evaluation.Datasets;
using NativeEngine.Models.Imaging;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace NativeEngine.Evaluation.Tests;

/// <summary>Dataset readers on tiny synthetic layouts (all of them) and on the real sets in ../shared/data.</summary>
public class DatasetTests(ITestOutputHelper output)
{
    [Fact]
    public void ValidationLayoutWithEveryQuirk()
    {
        using var d = new SyntheticData();
        d.Validation("RoadAnomaly21", 3, "png", "jpg");          // .png names holding JPEG data
        d.Validation("RoadObsticle21", 2, "webp", "webp");       // the zip's spelling, WebP images
        d.Validation("fs_static", 12, "jpg", "jpg");             // 12 images: natural order 0,1,2,…,10,11
        d.Validation("RoadAnomaly", 2, "jpg", "jpg", anomaly: 2, voidValue: 0); // 0/2 labels, no void
        var all = DatasetCatalog.Discover(d.Root);
        Assert.Equal(["RoadAnomaly21", "RoadObstacle21", "fs_static", "RoadAnomaly"], all.Select(x => x.Name));
        Assert.Equal("RO-21", all[1].Column);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"], all[2].Samples.Select(s => s.Id));

        var (img, mask) = all[0].Samples[0].Load();
        Assert.Equal((24, 16), (img.Width, img.Height));
        Assert.Equal(ImageFiles.Format.Jpeg, ImageFiles.Sniff(File.ReadAllBytes(all[0].Samples[0].ImagePath)));
        Assert.Equal(6 * 6, mask.Values.Count(v => v == 1));
        Assert.Equal(24, mask.Values.Count(v => v == 255));
        var (wimg, _) = all[1].Samples[1].Load();
        Assert.Equal(new byte[] { 250, 40, 200 }, wimg.Pixels.AsSpan((5 * 24 + 5) * 3, 3).ToArray()); // lossless WebP

        var ra = all[3].Samples[0].Load().Mask;
        Assert.Equal(36, ra.Values.Count(v => LabelRule.Default[v] == PixelClass.Anomaly));

        Assert.Equal(["RoadObstacle21", "RoadAnomaly"], DatasetCatalog.Select(all, "RO21, road anomaly").Select(x => x.Name));
        Assert.Equal("RoadObstacle21", DatasetCatalog.Select(all, "RoadObsticle21")[0].Name);
        var e = Assert.Throws<ArgumentException>(() => DatasetCatalog.Select(all, "Cityscapes"));
        Assert.Contains("available", e.Message);
    }

    [Fact]
    public void SmiycLayouts()
    {
        using var d = new SyntheticData();
        foreach (var (track, ext) in new[] { ("dataset_AnomalyTrack", "jpg"), ("dataset_ObstacleTrack", "webp") })
        {
            string images = d.Dir(track, "images"), masks = d.Dir(track, "labels_masks");
            foreach (var fid in new[] { "validation0000", "validation0001", "test0000" })
            {
                using var img = SyntheticData.Scene(20, 12, 2, 2, 4);
                SyntheticData.Save(img, Path.Combine(images, $"{fid}.{ext}"), ext);
                if (fid.StartsWith("test")) continue; // test labels are not public
                using var m = SyntheticData.Mask(20, 12, 2, 2, 4);
                SyntheticData.Save(m, Path.Combine(masks, $"{fid}_labels_semantic.png"), "png");
            }
        }
        var all = DatasetCatalog.Discover(d.Root);
        Assert.Equal(["AnomalyTrack", "ObstacleTrack"], all.Select(x => x.Name));
        foreach (var ds in all)
        {
            Assert.Equal(DatasetLayout.Smiyc, ds.Layout);
            Assert.Equal(["validation0000", "validation0001"], ds.Samples.Select(s => s.Id));
            Assert.Single(ds.Unlabelled);
            Assert.Equal(16, ds.Samples[1].Load().Mask.Values.Count(v => v == 1));
        }
    }

    [Fact]
    public void CityscapesStyleLostAndFound()
    {
        using var d = new SyntheticData();
        string left = d.Dir("dataset_LostAndFound", "leftImg8bit", "test", "02_Hanns_Klemm_Str_44"),
               gt = d.Dir("dataset_LostAndFound", "gtCoarse", "test", "02_Hanns_Klemm_Str_44");
        using (var img = SyntheticData.Scene(20, 12, 2, 2, 4)) SyntheticData.Save(img, Path.Combine(left, "02_Hanns_Klemm_Str_44_000000_000080_leftImg8bit.png"), "png");
        using (var m = SyntheticData.Mask(20, 12, 2, 2, 4, anomaly: 7, normal: 1, voidValue: 0))
            SyntheticData.Save(m, Path.Combine(gt, "02_Hanns_Klemm_Str_44_000000_000080_gtCoarse_labelIds.png"), "png");
        var ds = Assert.Single(DatasetCatalog.Discover(d.Root));
        Assert.Equal(("LostAndFound", DatasetLayout.LostAndFound), (ds.Name, ds.Layout));
        var mask = Assert.Single(ds.Samples).Load().Mask;
        Assert.Equal(16, mask.Values.Count(v => ds.Rule[v] == PixelClass.Anomaly));
        Assert.Equal(20, mask.Values.Count(v => ds.Rule[v] == PixelClass.Void));
        Assert.Equal(20 * 12 - 36, mask.Values.Count(v => ds.Rule[v] == PixelClass.Normal));
    }

    [Fact]
    public void EpflRoadAnomalyAndPaletteMasks()
    {
        using var d = new SyntheticData();
        var frames = d.Dir("RoadAnomaly_jpg", "frames");
        using (var img = SyntheticData.Scene(20, 12, 2, 2, 4)) SyntheticData.Save(img, Path.Combine(frames, "animals01.jpg"), "jpg");
        Directory.CreateDirectory(Path.Combine(frames, "animals01.labels"));
        // A palette PNG whose colours are not the index values (index 2 is red): the reader must return indices.
        var indices = new byte[20 * 12];
        for (int i = 0; i < indices.Length; i++) indices[i] = (byte)((i % 20) is >= 2 and < 6 && (i / 20) is >= 2 and < 6 ? 2 : 0);
        File.WriteAllBytes(Path.Combine(frames, "animals01.labels", "labels_semantic.png"),
            PngBytes.Palette(20, 12, indices, [(128, 64, 128), (255, 255, 255), (255, 0, 0)]));
        var ds = Assert.Single(DatasetCatalog.Discover(d.Root));
        Assert.Equal(DatasetLayout.EpflRoadAnomaly, ds.Layout);
        var mask = ds.Samples[0].Load().Mask;
        Assert.Equal(16, mask.Values.Count(v => ds.Rule[v] == PixelClass.Anomaly));
    }

    [Fact]
    public void TrainingAndEvaluationSeeTheSameLabelsForAPalettePngThatNeedsResizing()
    {
        // Index 0 is purple, 1 white, 2 red, 255 grey: read by luminance, 0 would be an anomaly and 1 void.
        const int w = 13, h = 9, size = 8;
        var indices = new byte[w * h];
        for (int i = 0; i < indices.Length; i++) indices[i] = (byte)(((i * 7 + i / w) % 5) switch { 0 => 1, 1 => 2, 2 => 255, _ => 0 });
        var palette = Enumerable.Range(0, 256).Select(i => i switch { 0 => ((byte)128, (byte)64, (byte)128), 1 => ((byte)255, (byte)255, (byte)255),
            2 => ((byte)255, (byte)0, (byte)0), _ => ((byte)i, (byte)(i / 2), (byte)3) }).ToArray();
        using var d = new SyntheticData();
        var dir = d.Dir("Pal");
        string image = Path.Combine(dir, "0.png"), maskPath = Path.Combine(dir, "0_mask.png");
        using (var img = SyntheticData.Scene(w, h, 2, 2, 4)) SyntheticData.Save(img, image, "png");
        File.WriteAllBytes(maskPath, PngBytes.Palette(w, h, indices, palette));

        // Evaluation: the sample's mask, squashed with PIL NEAREST to the map size, classes by the seed's rule.
        var (_, mask) = new DatasetSample("0", image, maskPath).Load();
        var evalLabels = MaskResize.Nearest(mask.Values, mask.Width, mask.Height, size, size).Select(v => (byte)LabelRule.Default[v]).ToArray();
        // Training: train-head's dataset mode.
        var trainLabels = NativeEngine.Training.Head.DatasetFeatures.Labels(mask, size);
        Assert.Equal(evalLabels, trainLabels);
        // And both are the palette indices at floor((x + 0.5)·in/out), not the luminance.
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                byte raw = indices[(int)((y + 0.5) * h / size) * w + (int)((x + 0.5) * w / size)];
                Assert.Equal(raw == 0 ? 0 : raw == 255 ? 255 : 1, trainLabels[y * size + x]);
            }
        Assert.Contains((byte)0, trainLabels);
        Assert.Contains((byte)1, trainLabels);
    }

    [Fact]
    public void BadFilesAreNamedWithTheFix()
    {
        using var d = new SyntheticData();
        var root = d.Validation("RoadAnomaly21", 3, "png", "png");
        var ds = DatasetCatalog.TryOpen(root)!;
        var bytes = File.ReadAllBytes(ds.Samples[0].ImagePath);
        File.WriteAllBytes(ds.Samples[0].ImagePath, bytes[..(bytes.Length / 2)]);          // truncated
        File.WriteAllText(ds.Samples[1].ImagePath, "not an image at all");                  // garbage
        using (var m = SyntheticData.Mask(10, 10, 1, 1, 2)) SyntheticData.Save(m, ds.Samples[2].MaskPath!, "png"); // wrong size
        var e0 = Assert.Throws<ImageFileException>(() => ds.Samples[0].Load());
        Assert.Contains("truncated", e0.Message);
        Assert.Contains("0.png", e0.Message);
        var e1 = Assert.Throws<ImageFileException>(() => ds.Samples[1].Load());
        Assert.Contains("not a PNG, JPEG or WebP", e1.Message);
        var e2 = Assert.Throws<ImageFileException>(() => ds.Samples[2].Load());
        Assert.Contains("same size", e2.Message);
        Assert.Throws<DirectoryNotFoundException>(() => DatasetCatalog.Discover(Path.Combine(d.Root, "nope")));
    }

    [Fact]
    public void RealValidationSets()
    {
        var root = Fixtures.SharedValidationData;
        if (root is null) { output.WriteLine("not run: ../shared/data/Validation_Dataset is absent"); return; }
        var all = DatasetCatalog.Discover(root);
        var byName = all.ToDictionary(x => x.Name);
        var expect = new Dictionary<string, (int Count, int W, int H)>
        {
            ["RoadAnomaly21"] = (10, 1280, 720), ["fs_static"] = (30, 2048, 1024), ["RoadAnomaly"] = (60, 1280, 720),
        };
        foreach (var (name, (count, w, h)) in expect)
        {
            if (!byName.TryGetValue(name, out var ds)) { output.WriteLine($"not run: {name} absent"); continue; }
            Assert.Equal(count, ds.Samples.Count);
            var (img, mask) = ds.Samples[0].Load();
            Assert.Equal((w, h), (img.Width, img.Height));
            Assert.Equal((w, h), (mask.Width, mask.Height));
            var values = mask.Values.Distinct().Order().ToArray();
            output.WriteLine($"{name}: {ds.Samples.Count} images, mask values of image 0: {string.Join(",", values)}");
            Assert.Contains(values, v => ds.Rule[v] == PixelClass.Anomaly);
        }
        if (byName.TryGetValue("RoadAnomaly21", out var ra21))
            Assert.Equal(ImageFiles.Format.Jpeg, ImageFiles.Sniff(File.ReadAllBytes(ra21.Samples[0].ImagePath)));
        if (byName.TryGetValue("fs_static", out var fs))
        {
            // The ten images without anomaly pixels (seed.md §3.1).
            var none = fs.Samples.Where(s => !ImageFiles.ReadMask(s.MaskPath!).Values.Any(v => v == 1)).Select(s => int.Parse(s.Id)).Order();
            Assert.Equal([2, 3, 11, 14, 17, 19, 20, 24, 27, 29], none);
        }
    }
}
