using System.Text.Json;
using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Tests;
using Xunit.Abstractions;

namespace NativeEngine.Evaluation.Tests;

/// <summary>The evaluation pipeline with a stand-in scorer: table, JSON, CSV, pictures, skipped images, resume.</summary>
public class EvaluatorTests(ITestOutputHelper output)
{
    [Fact]
    public void SyntheticRunWritesEverythingSkipsBadImagesAndResumes()
    {
        using var d = new SyntheticData();
        d.Validation("RoadAnomaly21", 3, "png", "jpg", w: 48, h: 32);
        d.Validation("fs_static", 2, "jpg", "jpg", w: 48, h: 32);
        var datasets = DatasetCatalog.Discover(d.Root);
        var bad = datasets[0].Samples[2].ImagePath;
        File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..200]); // truncated JPEG

        var outDir = Path.Combine(d.Root, "out");
        var request = new ScoreRequest([ScoreMethod.Msp, ScoreMethod.MaxLogit, ScoreMethod.Rba], EvalProtocol.Seed);
        var scorer = new FakeScorer(32);
        var events = new List<EvalProgress>();
        var report = Evaluator.Run(scorer, datasets, request, new EvalOptions(outDir, PerImage: true), "test device", new SyncProgress<EvalProgress>(events.Add));
        output.WriteLine(report.Table());

        var skipped = Assert.Single(report.Skipped);
        Assert.Equal(bad, skipped.Path);
        Assert.Contains("truncated", skipped.Reason);
        Assert.Equal(4, scorer.Calls);
        Assert.Equal(4, events.Count);
        Assert.Equal([2, 2], report.Datasets.Select(x => x.Images));
        foreach (var ds in report.Datasets)
            foreach (var (_, m) in ds.Methods)
            {
                Assert.True(m.Auprc > 0.8, $"{ds.Name}: AuPRC {m.Auprc}");
                Assert.Equal(32L * 32 * ds.Images, m.Positives + m.Negatives + m.Void);
            }
        var table = report.Table();
        Assert.Contains("| MSP ", table);
        Assert.Contains("RA-21 AP", table);
        Assert.Contains("FS Static FPR", table);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var ra = json.RootElement.GetProperty("datasets")[0];
        Assert.Equal("RoadAnomaly21", ra.GetProperty("name").GetString());
        Assert.Equal(2, ra.GetProperty("methods").GetProperty("msp").GetProperty("per_image").GetArrayLength());
        Assert.Equal(1, json.RootElement.GetProperty("skipped").GetArrayLength());
        var csv = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        Assert.Equal(1 + 2 * 3, csv.Length);

        var heat = Path.Combine(outDir, "heatmaps", "RoadAnomaly21", "0_msp_heat.png");
        var overlay = Path.Combine(outDir, "heatmaps", "RoadAnomaly21", "1_rba_overlay.png");
        foreach (var png in new[] { heat, overlay })
        {
            var (w, h, colors) = Pictures.Inspect(png);
            Assert.Equal((32, 32), (w, h));
            Assert.True(colors > 3, $"{png} has {colors} colours");
        }
        foreach (var curve in new[] { "RoadAnomaly21_pr.png", "fs_static_roc.png" })
            Assert.True(Pictures.Inspect(Path.Combine(outDir, "curves", curve)).Colors > 10);

        // Resume: nothing is scored again and the numbers are identical.
        var again = Evaluator.Run(scorer, datasets, request, new EvalOptions(outDir), "test device");
        Assert.Equal(4, scorer.Calls);
        Assert.Equal(report.Datasets[1].Methods[ScoreMethod.Msp].Auprc, again.Datasets[1].Methods[ScoreMethod.Msp].Auprc);
        // A different temperature is a different key: everything is scored again.
        Evaluator.Run(scorer, datasets, request with { Temperature = 2 }, new EvalOptions(outDir, HeatmapLimit: 0, Curves: false));
        Assert.Equal(8, scorer.Calls);
    }

    [Fact]
    public void RealSetsEndToEndAtReducedResolution()
    {
        var root = Fixtures.SharedValidationData;
        if (root is null) { output.WriteLine("not run: ../shared/data/Validation_Dataset is absent"); return; }
        var dir = Directory.CreateTempSubdirectory("ne-eval-real-").FullName;
        try
        {
            var datasets = DatasetCatalog.Discover(root);
            var report = Evaluator.Run(new FakeScorer(64), datasets, new ScoreRequest([ScoreMethod.Msp, ScoreMethod.Entropy]),
                new EvalOptions(dir, HeatmapLimit: 1, MaxImages: 2), "test");
            output.WriteLine(report.Table());
            Assert.Empty(report.Skipped);
            Assert.All(report.Datasets, r => Assert.Equal(2, r.Images));
            Assert.All(report.Datasets, r => Assert.True(r.Methods[ScoreMethod.Msp].Positives > 0));
            Assert.True(File.Exists(Path.Combine(dir, "results.csv")));
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>IProgress that calls back synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
