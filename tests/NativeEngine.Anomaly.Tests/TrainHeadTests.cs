using NativeEngine.Models.Anomaly;
using NativeEngine.Training.Head;
using NativeEngine.Training.Optim;

namespace NativeEngine.Tests;

/// <summary>
/// The head trainer (train-head's library): training lowers the loss, a crash resumes to the very same weights,
/// void-as-normal is the seed's loss. The command itself: Cli.Tests' TrainHeadCommandTests.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class TrainHeadTests(DeviceFixture fx) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-train-head-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void CrashBetweenCheckpointsLosesOnlyUnsavedSteps()
    {
        var (f, l) = FeatureFiles.Separable(dir);
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
        var (f, l) = FeatureFiles.Separable(dir);
        var data = FeatureDataset.Load(f, l);
        var init = AnomalyHead.Create(new AnomalyHeadOptions(Dropout: 0f), 2);
        using var t = new HeadTrainer(fx.Device, init, data, new HeadTrainingOptions(15, 600, 0, OptimizerKind.AdamW, 3e-2, 0.05));
        var losses = new List<float>();
        t.Run(r => losses.Add(r.Loss));
        Assert.True(losses[^1] < 0.9 * losses[0], $"loss {losses[0]:F4} → {losses[^1]:F4}");
    }

    [Fact]
    public void VoidAsNormalIsTheSeedsLossWithVoidRelabelledNormal()
    {
        var (f, l) = FeatureFiles.Separable(dir);
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
    }
}
