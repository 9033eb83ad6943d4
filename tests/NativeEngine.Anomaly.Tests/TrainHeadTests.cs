using System.CommandLine;
using NativeEngine.Cli;
using NativeEngine.Cli.Commands;
using NativeEngine.Models.Anomaly;
using NativeEngine.Training.Head;
using NativeEngine.Training.Optim;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>`train-head` features mode: training lowers the loss; interrupted runs resume to the very same weights.</summary>
[Collection(DeviceCollection.Name)]
public sealed class TrainHeadTests(DeviceFixture fx) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-train-head-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // Pixel rows whose first feature separates anomalies; 10 % void.
    private (string Features, string Labels) WriteData(int n = 600)
    {
        var rng = new Random(5);
        var x = new float[n * 4];
        var y = new byte[n];
        for (int i = 0; i < n; i++)
        {
            bool anomaly = rng.NextDouble() < 0.2;
            y[i] = rng.NextDouble() < 0.1 ? (byte)255 : anomaly ? (byte)1 : (byte)0;
            float maxProb = anomaly ? 0.3f + 0.3f * rng.NextSingle() : 0.6f + 0.4f * rng.NextSingle();
            x[i * 4] = maxProb;
            x[i * 4 + 1] = 1.5f * (1 - maxProb) + 0.2f * rng.NextSingle();
            x[i * 4 + 2] = maxProb + 0.3f * rng.NextSingle();
            x[i * 4 + 3] = 1 - maxProb;
        }
        string f = Path.Combine(dir, "f.safetensors"), l = Path.Combine(dir, "l.safetensors");
        SafeTensorsWriter.Write(f, [SafeTensorsWriter.F32("features", x, n, 4)]);
        SafeTensorsWriter.Write(l, [SafeTensorsWriter.U8("labels", y, n)]);
        return (f, l);
    }

    private static readonly object ConsoleLock = new();

    // Runs `train-head` in-process; a failure's stderr becomes the assertion message.
    private static int RunCli(params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(TrainHeadCommand.Create());
        lock (ConsoleLock)
        {
            var saved = Console.Error;
            var err = new StringWriter();
            Console.SetError(err);
            try
            {
                int code = NativeEngine.Cli.Cli.Run(root, ["train-head", "--device", "cpu", .. args]);
                LastError = err.ToString();
                return code;
            }
            finally { Console.SetError(saved); }
        }
    }

    private static string LastError = "";

    private static string[] Common(string f, string l, string output) =>
        ["--features", f, "--labels", l, "--out", output, "--steps", "12", "--batch", "128", "--layout", "bn", "--dropout", "0.1",
         "--lr", "1e-2", "--optimizer", "adamw", "--clip-norm", "1", "--schedule", "warmup-poly", "--warmup-steps", "3",
         "--checkpoint-every", "4", "--seed", "7"];

    private static void AssertSameWeights(string a, string b)
    {
        var ha = AnomalyHead.Load(a);
        var hb = AnomalyHead.Load(b);
        foreach (var t in ha.Tensors) Assert.True(t.Data.SequenceEqual(hb[t.Name].Data), $"{t.Name} differs after resuming");
    }

    [Fact]
    public void StoppedAndResumedRunEndsWithTheSameWeights()
    {
        var (f, l) = WriteData();
        string full = Path.Combine(dir, "full.safetensors"), resumed = Path.Combine(dir, "resumed.safetensors");
        Assert.Equal(0, RunCli(Common(f, l, full)));
        Assert.Equal(0, RunCli([.. Common(f, l, resumed), "--stop-after", "5"]));
        Assert.False(File.Exists(resumed));
        using (var ck = SafeTensorsFile.Open(resumed + ".ckpt"))
        {
            Assert.Equal("5", ck.Metadata["checkpoint.step"]);
            Assert.Contains("optim.exp_avg_sq.mlp.0.weight", ck.Tensors.Keys);
            Assert.Contains("mlp.2.running_mean", ck.Tensors.Keys);
        }
        var otherSeed = Common(f, l, resumed);
        otherSeed[Array.IndexOf(otherSeed, "--seed") + 1] = "8";
        Assert.Equal(1, RunCli([.. otherSeed, "--resume"]));   // a checkpoint only resumes the run that wrote it
        Assert.Contains("other settings", LastError);
        int code = RunCli([.. Common(f, l, resumed), "--resume"]);
        Assert.True(code == 0, LastError);
        AssertSameWeights(full, resumed);
    }

    [Fact]
    public void CrashBetweenCheckpointsLosesOnlyUnsavedSteps()
    {
        var (f, l) = WriteData();
        var data = FeatureDataset.Load(f, l);
        var init = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Plain, Dropout: 0.1f), 1);
        string ckpt = Path.Combine(dir, "crash.ckpt");
        var options = new HeadTrainingOptions(10, 100, 3, OptimizerKind.Adam, 5e-3, 0.01, 0.5, ScheduleKind.Constant, 0, 10f, 4, ckpt);
        AnomalyHead expected;
        using (var t = new HeadTrainer(fx.Device, init, data, options with { CheckpointPath = null }))
        {
            t.Run();
            expected = t.Current();
        }
        using (var t = new HeadTrainer(fx.Device, init, data, options))
            Assert.Throws<InvalidOperationException>(() => t.Run(r => { if (r.Step == 6) throw new InvalidOperationException("simulated crash"); }));
        using (var t = new HeadTrainer(fx.Device, init, data, options))
        {
            Assert.Equal(4, t.Resume(ckpt));
            t.Run();
            foreach (var tensor in expected.Tensors)
                Assert.True(tensor.Data.SequenceEqual(t.Current()[tensor.Name].Data), $"{tensor.Name} differs after the crash and resume");
        }
    }

    [Fact]
    public void TrainingLowersTheLoss()
    {
        var (f, l) = WriteData();
        var data = FeatureDataset.Load(f, l);
        var init = AnomalyHead.Create(new AnomalyHeadOptions(Dropout: 0f), 2);
        using var t = new HeadTrainer(fx.Device, init, data, new HeadTrainingOptions(15, 600, 0, OptimizerKind.AdamW, 3e-2, 0.05));
        var losses = new List<float>();
        t.Run(r => losses.Add(r.Loss));
        Assert.True(losses[^1] < 0.9 * losses[0], $"loss {losses[0]:F4} → {losses[^1]:F4}");
    }

    [Fact]
    public void DatasetModeCachesTheFrozenModelsStatisticsAndTrains()
    {
        // A generator-built split in the seed's layout (train/images, train/gt_pixel), at the tiny EoMT's 40×40.
        var pool = Enumerable.Range(0, 3).Select(i => NativeEngine.Training.Synthetic.ProceduralScenes.Object(40 + i, 10)).ToArray();
        var scenes = Enumerable.Range(0, 4).Select(i => NativeEngine.Training.Synthetic.ProceduralScenes.Scene(i, 40, 40));
        var (written, anomalous) = NativeEngine.Training.Synthetic.SyntheticFolders.Build(scenes, pool, dir, "train",
            new NativeEngine.Training.Synthetic.PasteOptions(FeatherKernel: 3));
        Assert.True(anomalous >= 2, $"{anomalous} of {written} scenes got an object");
        string output = Path.Combine(dir, "head.safetensors"), cache = Path.Combine(dir, "stats.safetensors");
        string[] args = ["--weights", Fixtures.Path("eomt/tiny"), "--images", Path.Combine(dir, "train", "images"), "--masks", Path.Combine(dir, "train", "gt_pixel"),
            "--cache", cache, "--out", output, "--steps", "3", "--batch", "800", "--checkpoint-every", "0"];
        Assert.Equal(0, RunCli(args));
        var data = FeatureDataset.Load(cache, cache);
        Assert.Equal(anomalous * 40 * 40, data.Count);
        Assert.Equal(4, data.Dim);
        Assert.Contains((byte)1, data.Labels);
        var stamp = File.GetLastWriteTimeUtc(cache);
        Assert.Equal(0, RunCli(args));   // the second run reuses the cache
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(cache));
        Assert.Equal(AnomalyHeadLayout.Plain, AnomalyHead.Load(output).Layout);
    }

    // A generator-built split in the seed's layout (train/images, train/gt_pixel) at the tiny EoMT's 40×40; returns
    // (images, masks, anomalous image count).
    private (string Images, string Masks, int Anomalous) SyntheticSplit(int count = 4)
    {
        var pool = Enumerable.Range(0, 3).Select(i => NativeEngine.Training.Synthetic.ProceduralScenes.Object(40 + i, 10)).ToArray();
        var scenes = Enumerable.Range(0, count).Select(i => NativeEngine.Training.Synthetic.ProceduralScenes.Scene(i, 40, 40));
        var (_, anomalous) = NativeEngine.Training.Synthetic.SyntheticFolders.Build(scenes, pool, dir, "train",
            new NativeEngine.Training.Synthetic.PasteOptions(FeatherKernel: 3));
        return (Path.Combine(dir, "train", "images"), Path.Combine(dir, "train", "gt_pixel"), anomalous);
    }

    [Fact]
    public void HybridDatasetModeTrainsFeatureProjAndTheMlpFromImagesAndMasks()
    {
        var (images, masks, anomalous) = SyntheticSplit();
        Assert.True(anomalous >= 2, $"{anomalous} scenes got an object");
        string output = Path.Combine(dir, "hybrid.safetensors"), cache = Path.Combine(dir, "hybrid-cache.safetensors");
        Assert.True(0 == RunCli("--weights", Fixtures.Path("eomt/tiny"), "--images", images, "--masks", masks, "--layout", "hybrid", "--hidden", "16,8",
            "--cache", cache, "--out", output, "--steps", "2", "--batch", "1600", "--lr", "1e-2", "--checkpoint-every", "0", "--seed", "3"), LastError);
        var data = FeatureDataset.Load(cache, cache);
        Assert.NotNull(data.Patches);
        Assert.Equal((anomalous, 32, 5, 40), (data.Patches!.Images, data.Patches.Channels, data.Patches.Grid, data.Patches.ImageSize));
        var trained = AnomalyHead.Load(output);
        Assert.Equal(AnomalyHeadLayout.Hybrid, trained.Layout);
        Assert.Equal(32, trained.Options.FeatureDim);
        // The seed's names, and both parts moved away from the fresh init of the same seed.
        var fresh = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Hybrid, 16, 8, FeatureDim: 32), 3);
        foreach (var name in new[] { "feature_proj.0.weight", "feature_proj.0.bias", "mlp.0.weight", "mlp.6.weight" })
            Assert.False(fresh[name].Data.SequenceEqual(trained[name].Data), $"{name} was not trained");
        Assert.Contains($"{anomalous} batches of 1600 pixels", LastError);   // one whole 40×40 image per step
    }

    [Fact]
    public void DatasetCacheIsRebuiltWhenAMaskOrTheWeightsChange()
    {
        var (images, masks, _) = SyntheticSplit();
        string weights = Path.Combine(dir, "weights");
        Directory.CreateDirectory(weights);
        foreach (var f in Directory.EnumerateFiles(Fixtures.Path("eomt/tiny"))) File.Copy(f, Path.Combine(weights, Path.GetFileName(f)));
        string output = Path.Combine(dir, "head.safetensors"), cache = Path.Combine(dir, "stats.safetensors");
        string[] args = ["--weights", weights, "--images", images, "--masks", masks, "--cache", cache, "--out", output, "--steps", "1", "--batch", "800", "--checkpoint-every", "0"];
        Assert.True(0 == RunCli(args), LastError);
        var first = FeatureDataset.Load(cache, cache);
        Assert.True(0 == RunCli(args), LastError);
        Assert.Contains("using the statistics cache", LastError);

        // A fixed mask: every pixel of the first anomalous image becomes an anomaly; same size, same file name.
        string mask = Directory.EnumerateFiles(masks).Order(StringComparer.Ordinal).First(m => NativeEngine.Evaluation.Datasets.ImageFiles.ReadMask(m).Values.Contains((byte)1));
        var m0 = NativeEngine.Evaluation.Datasets.ImageFiles.ReadMask(mask);
        using (var img = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(m0.Width, m0.Height, new SixLabors.ImageSharp.PixelFormats.L8(1)))
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(img, mask);
        Assert.True(0 == RunCli(args), LastError);
        Assert.Contains("computed from other inputs", LastError);
        var second = FeatureDataset.Load(cache, cache);
        Assert.True(second.Labels.Count(l => l == 1) > first.Labels.Count(l => l == 1), "the fixed mask's labels were not used");

        // Other weights (one value changed in the same files): the statistics are recomputed.
        string model = Path.Combine(weights, "model.safetensors");
        var bytes = File.ReadAllBytes(model);
        bytes[^2] ^= 0x40;
        File.WriteAllBytes(model, bytes);
        Assert.True(0 == RunCli(args), LastError);
        Assert.Contains("computed from other inputs", LastError);
        var third = FeatureDataset.Load(cache, cache);
        Assert.False(second.Features.SequenceEqual(third.Features), "statistics from the old weights were reused");
    }

    [Fact]
    public void DatasetModeRefusesAMaskOfAnotherSizeAsEvalDoes()
    {
        var (images, masks, _) = SyntheticSplit();
        string mask = Directory.EnumerateFiles(masks).Order(StringComparer.Ordinal).First();
        using (var img = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(20, 40))
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(img, mask);
        string image = Directory.EnumerateFiles(images).First(i => Path.GetFileNameWithoutExtension(i) == Path.GetFileNameWithoutExtension(mask));
        var evalError = Assert.Throws<NativeEngine.Evaluation.Datasets.ImageFileException>(() => new NativeEngine.Evaluation.Datasets.DatasetSample("x", image, mask).Load());
        Assert.Equal(1, RunCli("--weights", Fixtures.Path("eomt/tiny"), "--images", images, "--masks", masks, "--cache", Path.Combine(dir, "c.safetensors"),
            "--out", Path.Combine(dir, "h.safetensors"), "--steps", "1"));
        Assert.Contains(evalError.Message, LastError);
        Assert.Contains("20×40", LastError);
        Assert.False(File.Exists(Path.Combine(dir, "h.safetensors")));
    }

    [Fact]
    public void VoidAsNormalIsTheSeedsLossWithVoidRelabelledNormal()
    {
        var (f, l) = WriteData();
        var data = FeatureDataset.Load(f, l);
        Assert.Contains((byte)255, data.Labels);
        var relabelled = new FeatureDataset(data.Features, data.Dim, data.Labels.Select(v => v == 255 ? (byte)0 : v).ToArray());
        var init = AnomalyHead.Create(new AnomalyHeadOptions(Hidden1: 8, Hidden2: 4, Dropout: 0f), 1);
        float[] Train(FeatureDataset d, bool voidAsNormal, out List<StepReport> reports)
        {
            using var t = new HeadTrainer(fx.Device, init, d, new HeadTrainingOptions(5, 128, 2, Lr: 1e-2, VoidAsNormal: voidAsNormal));
            var r = new List<StepReport>();
            t.Run(r.Add);
            reports = r;
            return t.Current()["mlp.0.weight"].Data;
        }
        var seed = Train(data, voidAsNormal: true, out var seedSteps);
        var explicitNormal = Train(relabelled, voidAsNormal: false, out _);
        var ignored = Train(data, voidAsNormal: false, out var ignoredSteps);
        Assert.Equal(explicitNormal, seed);                                    // 255 counts as 0 …
        Assert.All(seedSteps, r => Assert.Equal(128, r.ValidPixels));          // … and the mean runs over every pixel
        Assert.Contains(ignoredSteps, r => r.ValidPixels < 128);
        Assert.NotEqual(ignored, seed);
        string output = Path.Combine(dir, "void.safetensors");
        Assert.True(0 == RunCli("--features", f, "--labels", l, "--out", output, "--steps", "2", "--batch", "128", "--void-as-normal", "--checkpoint-every", "0"), LastError);
        Assert.Contains("void counted as normal", LastError);
        Assert.Contains("valid 128", LastError);
    }
}
