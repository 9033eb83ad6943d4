using System.CommandLine;
using NativeEngine.Cli.Commands;
using NativeEngine.Models.Anomaly;
using NativeEngine.Tests;
using NativeEngine.Training.Head;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Tests;

/// <summary>
/// `train-head` in-process: interrupted runs resume to the very same weights; the dataset mode (images and masks through
/// the frozen EoMT) caches its statistics keyed by every input, refuses masks eval would refuse, and trains the hybrid.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class TrainHeadCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-train-head-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

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
        var (f, l) = FeatureFiles.Separable(dir);
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
    public void DatasetModeCachesTheFrozenModelsStatisticsAndTrains()
    {
        var (images, masks, anomalous) = SyntheticSplit();
        Assert.True(anomalous >= 2, $"{anomalous} of 4 scenes got an object");
        string output = Path.Combine(dir, "head.safetensors"), cache = Path.Combine(dir, "stats.safetensors");
        string[] args = ["--weights", Fixtures.Path("eomt/tiny"), "--images", images, "--masks", masks,
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

    // The library side (the loss, the pixel count) is Anomaly.Tests' TrainHeadTests.VoidAsNormalIsTheSeedsLossWithVoidRelabelledNormal.
    [Fact]
    public void VoidAsNormalIsAcceptedAndReported()
    {
        var (f, l) = FeatureFiles.Separable(dir);
        string output = Path.Combine(dir, "void.safetensors");
        Assert.True(0 == RunCli("--features", f, "--labels", l, "--out", output, "--steps", "2", "--batch", "128", "--void-as-normal", "--checkpoint-every", "0"), LastError);
        Assert.Contains("void counted as normal", LastError);
        Assert.Contains("valid 128", LastError);
    }
}
