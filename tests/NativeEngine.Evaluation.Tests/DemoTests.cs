using System.Diagnostics;
using NativeEngine.Evaluation.Demo;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Tests;
using Xunit.Abstractions;

namespace NativeEngine.Evaluation.Tests;

/// <summary>The built-in demo: the hand-set model finds the crate in the drawn scene; the pictures are written.</summary>
[Collection(DeviceCollection.Name)]
public class DemoTests(DeviceFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void SceneIsDeterministicWithAnObjectOnTheRoad()
    {
        var (a, ma) = DemoScene.Draw();
        var (b, mb) = DemoScene.Draw();
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal(ma, mb);
        Assert.InRange(ma.Count(v => v == 1), 2000, 20000);
        Assert.NotEqual(a.Pixels, DemoScene.Draw(seed: 8).Image.Pixels);
    }

    [Fact]
    public void HandSetModelLightsUpTheObjectAndWritesThePictures()
    {
        var dir = Directory.CreateTempSubdirectory("ne-demo-").FullName;
        try
        {
            using var engine = AnomalySegmenter.Create(fixture.Device);
            var clock = Stopwatch.StartNew();
            var result = DemoRunner.Run(engine, dir, log: output.WriteLine);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s; head AuPRC {MetricsFiles.Pct(result.ObjectMetrics.Auprc)} FPR95 {MetricsFiles.Pct(result.ObjectMetrics.Fpr95)}");
            Assert.True(result.Untrained);
            Assert.Equal(ScoreMethod.Head, result.Method);
            Assert.True(result.ObjectMetrics.Auprc > 0.9, $"AuPRC {result.ObjectMetrics.Auprc}");
            Assert.True(result.ObjectMetrics.Fpr95 < 0.05, $"FPR95 {result.ObjectMetrics.Fpr95}");
            foreach (var name in new[] { "demo_scene.png", "demo_heatmap.png", "demo_overlay.png" })
            {
                var (w, h, colors) = Pictures.Inspect(Path.Combine(dir, name));
                Assert.Equal((640, 360), (w, h));
                Assert.True(colors > 2, $"{name}: {colors} colours");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void NativeProtocolStitchesTheHeadOverWindows()
    {
        // 2:1 scene → short side 256, long side 512 → two windows; maps come back at the scene's own size.
        var (image, mask) = DemoScene.Draw(400, 200, seed: 3);
        using var engine = AnomalySegmenter.Create(fixture.Device);
        using var model = engine.BuiltInDemoModel();
        var maps = model.Segment(image, new ScoreRequest([ScoreMethod.Head, ScoreMethod.Rba], EvalProtocol.Native, Semantic: true));
        Assert.Equal((400, 200), (maps.Width, maps.Height));
        Assert.Equal(400 * 200, maps.Semantic!.Length);
        var head = ExactPixelMetrics.Compute(maps.Scores[ScoreMethod.Head], mask);
        var rba = ExactPixelMetrics.Compute(maps.Scores[ScoreMethod.Rba], mask);
        output.WriteLine($"native: head AuPRC {MetricsFiles.Pct(head.Auprc)}, RbA AuPRC {MetricsFiles.Pct(rba.Auprc)}");
        Assert.True(head.Auprc > 0.8, $"head AuPRC {head.Auprc}");
        Assert.All(maps.Scores[ScoreMethod.Head], v => Assert.InRange(v, 0f, 1f));
    }
}
