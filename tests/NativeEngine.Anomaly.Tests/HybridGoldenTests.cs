using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Pipeline;
using NativeEngine.Tensors;
using NativeEngine.Training.Head;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>
/// The hybrid head end to end on the tiny fixture EoMT against PyTorch (tests/fixtures/generate_hybrid.py): the
/// scoring pipeline from pixel_values to the score, and one AdamW training step of feature_proj and the MLP together.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class HybridGoldenTests(DeviceFixture fx)
{
    // The EoMT forward is float32 against a float64 reference (its own parity tests hold it to ~1e-5 of the largest
    // value); the head adds two 64-term and one 32-channel float32 dot products on top.
    private const double Abs = 1e-4, Rel = 1e-3;

    private static SafeTensorsFile Open() => SafeTensorsFile.Open(Fixtures.Path("anomaly/hybrid_tiny.safetensors"));

    private static AnomalyHead InitialHead(SafeTensorsFile f) => AnomalyHead.FromTensors(
        f.Tensors.Keys.Where(k => k.StartsWith("init.", StringComparison.Ordinal))
            .ToDictionary(k => k["init.".Length..], k => (f.Get(k).Shape.Select(d => (int)d).ToArray(), f.ReadFloat32(k))), dropout: 0f, "hybrid_tiny init");

    private (ScoringPipeline Pipeline, Tensor Pixels) Load(SafeTensorsFile f)
    {
        var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny"));
        var pixels = Tensor.FromHost(fx.Device, new Shape(2, 3, 40, 40), f.ReadFloat32("input.pixel_values"));
        return (new ScoringPipeline(model, InitialHead(f), ownsModel: true), pixels);
    }

    [Fact]
    public void PipelineInferenceMatchesTorch()
    {
        using var f = Open();
        var (pipeline, pixels) = Load(f);
        using (pipeline)
        using (pixels)
        {
            var (output, map, stats, score) = pipeline.ScoreWindows(pixels);
            using (map)
            using (stats)
            using (score)
            using (var features = Tensor.Empty(fx.Device, new Shape(2, 32, 5, 5)))
            {
                pipeline.Model.PatchFeatures(output, features);
                Tolerance.AssertClose(f.ReadFloat32("patch_features"), features.ToHostFloat(), Abs, Rel, "patch features [B,C,g,g]");
                Tolerance.AssertClose(f.ReadFloat32("stats"), stats.ToHostFloat(), Abs, Rel, "stats");
                Tolerance.AssertClose(f.ReadFloat32("output.score"), score!.ToHostFloat(), Abs, Rel, "hybrid score");
            }
        }
    }

    [Fact]
    public void OneTrainingStepMatchesTorch()
    {
        using var f = Open();
        var (pipeline, pixels) = Load(f);
        float[] rows, patches;
        using (pipeline)
        using (pixels)
        {
            var (output, map, stats, _) = pipeline.ScoreWindows(pixels);
            using (map)
            using (stats)
            using (var features = Tensor.Empty(fx.Device, new Shape(2, 32, 5, 5)))
            using (var r = Tensor.Empty(fx.Device, new Shape(2 * 40 * 40, 4)))
            {
                pipeline.Model.PatchFeatures(output, features);
                NativeEngine.Kernels.TrainOps.ToPixels(stats, r);
                rows = r.ToHostFloat();
                patches = features.ToHostFloat();
            }
        }
        var data = new FeatureDataset(rows, 4, f.ReadBytes("input.labels"), new PatchFeatureSet(patches, 2, 32, 5, 40));
        var head = InitialHead(f);
        using var trainer = new HeadTrainer(fx.Device, head, data, new HeadTrainingOptions(1, Batch: 2 * 40 * 40, Lr: 1e-3, WeightDecay: 0.05));
        var step = trainer.TrainStep();
        Assert.Equal(f.ReadFloat32("output.loss")[0], step.Loss, 1e-4);
        var after = trainer.Current();
        foreach (var t in after.Tensors)
            // One AdamW step moves each weight by ~lr·sign(grad): 1e-3; 2e-5 allows float noise on the tiniest gradients.
            Tolerance.AssertClose(f.ReadFloat32("after." + t.Name), t.Data, 2e-5, 1e-4, $"after one step: {t.Name}");
    }

    [Fact]
    public void AHybridHeadForAnotherWidthIsRefusedNamingTheFileAndBothWidths()
    {
        var dir = Directory.CreateTempSubdirectory("ne-hybrid-width-").FullName;
        try
        {
            var head = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Hybrid, 16, 8, FeatureDim: 8), 7);
            string headPath = Path.Combine(dir, "narrow-hybrid.safetensors");
            head.Save(headPath);
            var e = Assert.Throws<ArgumentException>(() => NativeEngine.Evaluation.Pipeline.EomtScorer.Load(fx.Device, Fixtures.Path("eomt/tiny"), headPath));
            Assert.Contains(headPath, e.Message);
            Assert.Contains("8-channel", e.Message);
            Assert.Contains("C = 32", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
