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
                var (w, h, colors) = VisualsTests.Inspect(Path.Combine(dir, name));
                Assert.Equal((640, 360), (w, h));
                Assert.True(colors > 2, $"{name}: {colors} colours");
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
