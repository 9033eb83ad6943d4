using System.Diagnostics;
using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Evaluation.Visuals;

namespace NativeEngine.Evaluation.Demo;

/// <summary>What `demo` did: stage timings, files, and how well the heatmap finds the drawn object.</summary>
public sealed record DemoResult(IReadOnlyList<(string Stage, TimeSpan Time)> Stages, IReadOnlyList<string> Files, string Model,
    bool Untrained, string Device, PixelMetrics ObjectMetrics, ScoreMethod Method);

/// <summary>The whole pipeline on built-in inputs: draw a scene, build (or load) a model, score, write pictures.</summary>
public static class DemoRunner
{
    /// <summary>
    /// Runs the demo into <paramref name="outDir"/>: demo_scene.png, demo_heatmap.png and demo_overlay.png (with the
    /// object's outline in green). (No semantic picture: the hand-set model's class head only labels its colour
    /// prototypes, and overlapping prototypes make its argmax a poor picture.) Without <paramref name="weights"/> it uses <see cref="DemoModel"/> and the
    /// seed protocol (one 256² window); with weights, the native protocol.
    /// </summary>
    public static DemoResult Run(AnomalySegmenter engine, string outDir, string? weights = null, string? head = null,
        int width = 640, int height = 360, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var stages = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        void Stage(string name)
        {
            stages.Add((name, clock.Elapsed));
            log?.Invoke($"{name,-44} {clock.Elapsed.TotalSeconds,7:F2} s");
            clock.Restart();
        }

        var (image, mask) = DemoScene.Draw(width, height);
        Stage("draw the scene");
        using var model = weights is null ? engine.BuiltInDemoModel() : engine.LoadModel(weights, head);
        Stage("build the model (weights to the device)");
        var method = model.Supported.Contains(ScoreMethod.Head) ? ScoreMethod.Head : ScoreMethod.Msp;
        var request = new ScoreRequest([method], weights is null ? EvalProtocol.Seed : EvalProtocol.Native);
        var maps = model.Segment(image, request, cancellationToken);
        Stage("segment (first run compiles the kernels)");

        var files = new List<string>();
        var scene = Path.Combine(outDir, "demo_scene.png");
        Directory.CreateDirectory(outDir);
        Png.SaveRgb(scene, width, height, image.Pixels);
        files.Add(scene);
        var gt = new LabelMask(width, height, mask);
        var written = ImageOutputs.Write(outDir, "demo", image, maps, RawFormat.None, gt);
        foreach (var f in written)
        {
            var name = Path.GetFileName(f).Replace($"_{method.Key()}_heat", "_heatmap").Replace($"_{method.Key()}_overlay", "_overlay");
            var target = Path.Combine(outDir, name);
            File.Move(f, target, overwrite: true);
            files.Add(target);
        }
        var shown = Heatmaps.Resize(maps.Scores[method], maps.Width, maps.Height, width, height);
        var metrics = ExactPixelMetrics.Compute(shown, mask);
        Stage("write the pictures");
        return new DemoResult(stages, files, model.Description, model.IsUntrained, engine.Device.Description, metrics, method);
    }
}
