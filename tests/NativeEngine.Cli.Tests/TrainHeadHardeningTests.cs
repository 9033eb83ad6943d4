using NativeEngine.Tensors;
using NativeEngine.Tests;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Tests;

/// <summary>
/// `train-head` on bad input (issue 12): options out of range and unusable data are refused before any work, the first
/// non-finite step stops the run keeping the last good checkpoint, --resume refuses other data, outputs are checked first.
/// Runs the real executable so stderr and the exit code are what a user sees.
/// </summary>
public sealed class TrainHeadHardeningTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-train-harden-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // n pixel rows, 4 features, labels 0/1 with 10 % void; `edit` may change them before writing.
    private (string Features, string Labels) Write(string name, int n = 400, Action<float[], byte[]>? edit = null, int columns = 4)
    {
        var rng = new Random(name.Sum(c => c));
        var x = Enumerable.Range(0, n * columns).Select(_ => rng.NextSingle()).ToArray();
        var y = Enumerable.Range(0, n).Select(i => i % 10 == 0 ? (byte)255 : (byte)(x[i * columns] < 0.3f ? 1 : 0)).ToArray();
        edit?.Invoke(x, y);
        string f = Path.Combine(dir, name + ".features.safetensors"), l = Path.Combine(dir, name + ".labels.safetensors");
        SafeTensorsWriter.Write(f, [SafeTensorsWriter.F32("features", x, n, columns)]);
        SafeTensorsWriter.Write(l, [SafeTensorsWriter.U8("labels", y, n)]);
        return (f, l);
    }

    // --steps 6 --batch 100 unless `more` gives them.
    private CliProcess.Outcome Train(string f, string l, string output, params string[] more) =>
        CliProcess.RunIn(dir, ["train-head", "--features", f, "--labels", l, "--out", output,
            .. more.Contains("--steps") ? Array.Empty<string>() : ["--steps", "6"], "--batch", "100", .. more]);

    private static void AssertRefused(CliProcess.Outcome r, string expected)
    {
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
        var errors = r.Stderr.Split('\n').Where(s => s.StartsWith("nativeengine: error: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1 && errors[0].Contains(expected), r.Stderr);
    }

    // Defect 3: --lr NaN wrote an all-NaN head with exit 0, --lr -1 "trained"; every option is checked up front.
    [Theory]
    [InlineData("--lr", "NaN", "--lr NaN")]
    [InlineData("--lr", "-1", "--lr -1")]
    [InlineData("--lr", "0", "--lr 0")]
    [InlineData("--weight-decay", "-0.5", "--weight-decay -0.5")]
    [InlineData("--clip-norm", "Infinity", "--clip-norm")]
    [InlineData("--pos-weight", "0", "--pos-weight 0")]
    [InlineData("--dropout", "1.5", "--dropout 1.5")]
    [InlineData("--steps", "0", "--steps 0")]
    [InlineData("--warmup-steps", "-2", "--warmup-steps -2")]
    [InlineData("--hidden", "64,x", "--hidden '64,x'")]
    [InlineData("--optimizer", "sgd", "--optimizer 'sgd': use adamw or adam")]
    [InlineData("--schedule", "cosine", "--schedule 'cosine': use constant or warmup-poly")]
    public void OptionsOutOfRangeAreRefusedBeforeAnyWork(string option, string value, string expected)
    {
        var (f, l) = Write("d");
        var output = Path.Combine(dir, "head.safetensors");
        var r = Train(f, l, output, option, value);
        AssertRefused(r, expected);
        Assert.DoesNotContain("device:", r.Stderr); // refused before the device was even opened
        Assert.False(File.Exists(output));
    }

    // Defect 3: one NaN in the features made an all-NaN head with exit 0; all-void labels trained with "valid 0".
    [Fact]
    public void NonFiniteFeaturesAndAllVoidLabelsAreRefused()
    {
        var output = Path.Combine(dir, "head.safetensors");
        var (f, l) = Write("nan", edit: (x, _) => x[4 * 37 + 2] = float.NaN);
        AssertRefused(Train(f, l, output), "row 37 column 2 is NaN");
        (f, l) = Write("void", edit: (_, y) => Array.Fill(y, (byte)255));
        AssertRefused(Train(f, l, output), "all 400 are void");
        Assert.False(File.Exists(output));
    }

    // Defect 3: training stops at the first non-finite step with its number, writes no head and keeps the last good checkpoint.
    [Fact]
    public void DivergenceStopsAtTheFirstNonFiniteStepKeepingTheLastGoodCheckpoint()
    {
        var (f, l) = Write("d");
        var output = Path.Combine(dir, "head.safetensors");
        var r = Train(f, l, output, "--lr", "1e38", "--weight-decay", "0", "--checkpoint-every", "1");
        AssertRefused(r, "training diverged at step ");
        Assert.Contains("lower --lr", r.Stderr);
        Assert.False(File.Exists(output));
        var step = int.Parse(System.Text.RegularExpressions.Regex.Match(r.Stderr, @"diverged at step (\d+)").Groups[1].Value);
        if (step > 1)
        {
            Assert.Contains($"the last good checkpoint {output}.ckpt (step {step - 1}) is kept", r.Stderr);
            using var ck = SafeTensorsFile.Open(output + ".ckpt");
            Assert.Equal((step - 1).ToString(), ck.Metadata["checkpoint.step"]);
            foreach (var name in ck.Tensors.Keys.Where(k => ck.Tensors[k].DType == DType.Float32))
                Assert.All(ck.ReadFloat32(name), v => Assert.True(float.IsFinite(v), name));
        }
    }

    // Defect 8: --resume accepted a different features file of the same size and went on with new data.
    [Fact]
    public void ResumeRefusesOtherFeaturesOfTheSameSize()
    {
        var (f, l) = Write("a");
        var output = Path.Combine(dir, "head.safetensors");
        var r = Train(f, l, output, "--stop-after", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (f2, l2) = Write("b");
        r = Train(f2, l2, output, "--resume");
        AssertRefused(r, "was trained on other features or labels");
        Assert.False(File.Exists(output));
        r = Train(f, l, output, "--resume");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("resumed from", r.Stderr);
    }

    // Defect 7: `--out /proc/…` failed after every step (the training was lost).
    [Fact]
    public void AnUnwritableOutIsRefusedBeforeTraining()
    {
        var (f, l) = Write("d");
        var r = Train(f, l, "/proc/ne-train-harden/head.safetensors");
        AssertRefused(r, "--out /proc/ne-train-harden/head.safetensors: cannot write there");
        Assert.DoesNotContain("step 1/", r.Stderr);
    }

    // Defect 11: 3-column features gave a raw .NET range error.
    [Fact]
    public void ThreeColumnFeaturesSayWhatAFeaturesFileHolds()
    {
        var (f, l) = Write("three", columns: 3);
        var r = Train(f, l, Path.Combine(dir, "head.safetensors"));
        AssertRefused(r, "features have 3 column(s); a features file holds 4 columns");
    }
}
