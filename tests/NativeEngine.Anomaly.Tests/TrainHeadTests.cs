using System.CommandLine;
using NativeEngine.Cli;
using NativeEngine.Cli.Commands;
using NativeEngine.Models.Anomaly;
using NativeEngine.Training.Head;
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

    private static int RunCli(params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(TrainHeadCommand.Create());
        return NativeEngine.Cli.Cli.Run(root, ["train-head", "--device", "cpu", .. args]);
    }

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
        Assert.Equal(0, RunCli([.. Common(f, l, resumed), "--resume"]));
        AssertSameWeights(full, resumed);
    }

    [Fact]
    public void CrashBetweenCheckpointsLosesOnlyUnsavedSteps()
    {
        var (f, l) = WriteData();
        var data = FeatureDataset.Load(f, l);
        var init = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Plain, Dropout: 0.1f), 1);
        string ckpt = Path.Combine(dir, "crash.ckpt");
        var options = new HeadTrainingOptions(10, 100, 3, "adam", 5e-3, 0.01, 0.5, "constant", 0, 10f, 4, ckpt);
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
        using var t = new HeadTrainer(fx.Device, init, data, new HeadTrainingOptions(15, 600, 0, "adamw", 3e-2, 0.05));
        var losses = new List<float>();
        t.Run(r => losses.Add(r.Loss));
        Assert.True(losses[^1] < 0.9 * losses[0], $"loss {losses[0]:F4} → {losses[^1]:F4}");
    }
}
