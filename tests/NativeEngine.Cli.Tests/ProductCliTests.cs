using System.Diagnostics;
using System.Text.Json;
using NativeEngine.Evaluation.IO;
using NativeEngine.Tests;
using Xunit.Abstractions;

namespace NativeEngine.Cli.Tests;

/// <summary>`demo`, `eval` and `infer` end to end through the real executable, outputs opened and checked.</summary>
public class ProductCliTests(ITestOutputHelper output)
{
    [Fact]
    public void DemoRunsWithNoArgumentsAndWritesItsPictures()
    {
        var dir = Directory.CreateTempSubdirectory("ne-demo-cli-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            var r = CliProcess.RunIn(dir, "demo");
            output.WriteLine(r.Stdout + r.Stderr);
            output.WriteLine($"demo took {clock.Elapsed.TotalSeconds:F1} s (wall, incl. process start) on this shared machine");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("device: cpu", r.Stdout);
            Assert.Contains("UNTRAINED", r.Stdout);
            Assert.Contains("segment", r.Stdout);
            foreach (var name in new[] { "demo_scene.png", "demo_heatmap.png", "demo_overlay.png" })
                Assert.True(Pictures.Inspect(Path.Combine(dir, name)).Colors > 2, name);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void EvalEndToEndWithARandomSmallModel()
    {
        using var synthetic = new SyntheticData();
        var data = Fixtures.SharedValidationData;
        if (data is null)
        {
            output.WriteLine("real sets absent: running on a synthetic layout instead");
            synthetic.Validation("RoadAnomaly21", 2, "png", "jpg", 96, 64);
            data = Path.Combine(synthetic.Root, "Validation_Dataset");
        }
        var outDir = Path.Combine(synthetic.Root, "out");
        var r = CliProcess.RunIn(synthetic.Root, "eval", "--random-model", "tiny", "--data", data, "--max-images", "2", "--heatmaps", "1", "--out", outDir);
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("| MSP", r.Stdout);
        Assert.Contains("untrained", r.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var first = json.RootElement.GetProperty("datasets")[0];
        Assert.Equal(2, first.GetProperty("images").GetInt32());
        Assert.True(first.GetProperty("methods").GetProperty("rba").GetProperty("pixels").GetProperty("valid").GetInt64() > 0);
        Assert.True(File.ReadAllLines(Path.Combine(outDir, "results.csv")).Length > 1);
        var name = first.GetProperty("name").GetString()!;
        var heat = Directory.GetFiles(Path.Combine(outDir, "heatmaps", name), "*_msp_overlay.png").First();
        var (w, h, colors) = Pictures.Inspect(heat);
        Assert.Equal((64, 64), (w, h)); // the seed protocol at the tiny model's crop size
        Assert.True(colors > 2);
        Assert.True(Pictures.Inspect(Path.Combine(outDir, "curves", $"{name}_pr.png")).Colors > 10);

        // Resume: a second run scores nothing and says so.
        r = CliProcess.RunIn(synthetic.Root, "eval", "--random-model", "tiny", "--data", data, "--max-images", "2", "--heatmaps", "0", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("(cached)", r.Stderr);
    }

    [Fact]
    public void InferWritesMapsAndNamesTheUnreadableImage()
    {
        using var d = new SyntheticData();
        var input = d.Dir("in");
        using (var img = SyntheticData.Scene(80, 48, 10, 10, 12)) SyntheticData.Save(img, Path.Combine(input, "a.jpg"), "jpg");
        using (var img = SyntheticData.Scene(64, 64, 20, 20, 10)) SyntheticData.Save(img, Path.Combine(input, "b.webp"), "webp");
        File.WriteAllText(Path.Combine(input, "broken.png"), "this is not a PNG");
        var outDir = Path.Combine(d.Root, "out");
        var r = CliProcess.RunIn(d.Root, "infer", input, "--demo-model", "--out", outDir, "--methods", "head,rba", "--semantic", "--protocol", "seed");
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.Equal(2, r.ExitCode);
        var skipped = r.Stderr.Split('\n').Single(l => l.StartsWith("skipped:"));
        Assert.Contains("broken.png", skipped);
        foreach (var f in new[] { "a_head_heat.png", "a_rba_overlay.png", "b_head_heat.png", "a_semantic.png" })
            Assert.True(Pictures.Inspect(Path.Combine(outDir, f)).Colors > 1, f);
        Assert.Equal((80, 48), (Pictures.Inspect(Path.Combine(outDir, "a_head_heat.png")).W, Pictures.Inspect(Path.Combine(outDir, "a_head_heat.png")).H));
        Assert.True(File.Exists(Path.Combine(outDir, "a_head.npy")));
        var raw = ArrayFiles.ReadFloat(Path.Combine(outDir, "a_head.npy"));
        Assert.Equal(new long[] { 256, 256 }, raw.Shape); // seed protocol: the demo model's crop size
    }

    [Fact]
    public void MissingFolderAndWrongCheckpointAreOneLineErrors()
    {
        var dir = Directory.CreateTempSubdirectory("ne-err-").FullName;
        try
        {
            var r = CliProcess.RunIn(dir, "eval", "--demo-model", "--data", Path.Combine(dir, "nowhere"));
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("nowhere: no such folder", r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'), l => l.StartsWith("nativeengine: error"));

            var notAModel = Fixtures.Path("metrics/ties.safetensors");
            r = CliProcess.RunIn(dir, "infer", notAModel, "--weights", notAModel);
            output.WriteLine(r.Stderr);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("ties.safetensors", r.Stderr);

            r = CliProcess.RunIn(dir, "eval", "--data", dir);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("exactly one model", r.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}
