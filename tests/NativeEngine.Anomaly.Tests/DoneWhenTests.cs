using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Training.Autograd;
using NativeEngine.Training.Head;
using NativeEngine.Training.Optim;
using NativeEngine.Training.Synthetic;
using NativeEngine.Weights.Eomt;
using Xunit.Abstractions;

namespace NativeEngine.Tests;

/// <summary>
/// Issue 5's done-when: on a synthetic task built by the generator, with a frozen random-weight tiny EoMT, training
/// the hybrid head lowers the loss and its AuPRC on held-out images beats the untrained head's.
/// </summary>
[Collection(DeviceCollection.Name)]
public class DoneWhenTests(DeviceFixture fx, ITestOutputHelper log)
{
    private const int S = 32;   // crop size: a 4×4 patch grid at patch 8

    private static readonly EomtConfig Tiny = new(HiddenSize: 32, Layers: 3, Heads: 2, PatchSize: 8, RegisterTokens: 2, Queries: 6,
        Classes: 8, ImageSize: S, QueryBlocks: 2, UpscaleBlocks: 2, SwiGlu: false, MlpHidden: 128);

    private sealed record Features(float[] StatsRows, float[] Tokens, byte[] Labels);

    // The frozen EoMT runs once per image; its statistics and final-layer patch tokens are cached (the
    // "statistics cached to a reusable file" mode of train-head, in memory here).
    private static Features Extract(EomtModel model, SyntheticSample sample, ComputeDevice d)
    {
        float[]? stats = null, tokens = null;
        int g = Tiny.Grid, c = Tiny.HiddenSize, n = Tiny.Queries + 1 + Tiny.RegisterTokens + g * g;
        using var map = SemanticInference.Run(model, sample.Image, WindowProtocol.Seed, 1, (output, _, scores, _) =>
        {
            using var st = Tensor.Empty(d, new Shape(1, 4, S, S));
            UncertaintyStats.Compute(scores, st);
            using var rows = Tensor.Empty(d, new Shape(S * S, 4));
            TrainOps.ToPixels(st, rows);
            stats = rows.ToHostFloat();
            tokens = output.LastHiddenState.ToHostFloat().AsSpan((n - g * g) * c, g * g * c).ToArray();   // patches come last
        });
        return new Features(stats!, tokens!, sample.Gt);
    }

    private static List<SyntheticSample> Samples(int first, int count, IReadOnlyList<CutOut> pool)
    {
        var paster = new AnomalyPaster(new PasteOptions(FeatherKernel: 3, ColourMatch: 0.5));
        return Enumerable.Range(first, count).Select(i => paster.Paste(ProceduralScenes.Scene(i, S, S), pool)).Where(s => s.Box is not null).ToList();
    }

    private float[] Scores(AnomalyHead head, Features f)
    {
        using var runner = head.ToDevice(fx.Device);
        // Back to (1,4,S,S) planes for the runner.
        var planes = new float[4 * S * S];
        for (int p = 0; p < S * S; p++) for (int ch = 0; ch < 4; ch++) planes[ch * S * S + p] = f.StatsRows[p * 4 + ch];
        using var st = Tensor.FromHost(fx.Device, new Shape(1, 4, S, S), planes);
        using var tokens = Tensor.FromHost(fx.Device, new Shape(1, Tiny.Grid * Tiny.Grid, Tiny.HiddenSize), f.Tokens);
        using var logit = Tensor.Empty(fx.Device, new Shape(1, 1, S, S));
        using var features = Tensor.Empty(fx.Device, new Shape(1, Tiny.HiddenSize, Tiny.Grid, Tiny.Grid));
        Tokens.ToFeatureMap(tokens, 0, features);
        runner.Logit(st, logit, features);
        return logit.ToHostFloat().Select(l => 1f / (1f + MathF.Exp(-l))).ToArray();
    }

    /// <summary>Exact average precision (sklearn's step-wise AuPRC), ties grouped.</summary>
    internal static double AuPrc(float[] scores, byte[] labels)
    {
        var idx = Enumerable.Range(0, scores.Length).Where(i => labels[i] != 255).OrderByDescending(i => scores[i]).ToArray();
        int positives = idx.Count(i => labels[i] == 1);
        double ap = 0, recallPrev = 0;
        int tp = 0, seen = 0;
        for (int k = 0; k < idx.Length;)
        {
            int j = k;
            while (j < idx.Length && scores[idx[j]] == scores[idx[k]]) { if (labels[idx[j]] == 1) tp++; j++; }
            seen = j;
            double recall = tp / (double)positives, precision = tp / (double)seen;
            ap += (recall - recallPrev) * precision;
            recallPrev = recall;
            k = j;
        }
        return ap;
    }

    [Fact]
    public void AuPrcHelperMatchesSklearn()
    {
        // sklearn.metrics.average_precision_score([0,1,1,0,1], [0.1,0.4,0.35,0.8,0.35]) = 0.6666…
        Assert.Equal(2.0 / 3.0, AuPrc([0.1f, 0.4f, 0.35f, 0.8f, 0.35f], [0, 1, 1, 0, 1]), 12);
    }

    [Fact]
    public void TrainingOnSyntheticDataBeatsTheUntrainedHead()
    {
        using var model = EomtModel.Load(fx.Device, new EomtRandomWeights(Tiny, 11));
        var pool = Enumerable.Range(0, 6).Select(i => ProceduralScenes.Object(500 + i, 12)).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var train = Samples(0, 12, pool).Select(s => Extract(model, s, fx.Device)).ToList();
        var test = Samples(1000, 6, pool).Select(s => Extract(model, s, fx.Device)).ToList();
        double tExtract = clock.Elapsed.TotalSeconds;
        Assert.True(train.Count >= 8 && test.Count >= 4, $"{train.Count} train / {test.Count} test images with an object");

        var untrained = AnomalyHead.Create(new AnomalyHeadOptions(NativeEngine.Models.Anomaly.AnomalyHeadLayout.Hybrid, Dropout: 0.1f, FeatureDim: Tiny.HiddenSize), seed: 0);
        using var head = new TrainableHead(untrained, fx.Device);
        using var opt = new AdamOptimizer(head.Parameters, new AdamOptions(Lr: 3e-3, WeightDecay: 0.05));
        const int batch = 2, steps = 20;
        var schedule = LrSchedule.WarmupPoly(3e-3, 5, steps);

        float TrainLoss(bool training, int step, int first, int count)
        {
            var items = Enumerable.Range(first, count).Select(i => train[i % train.Count]).ToArray();
            using var rows = Tensor.FromHost(fx.Device, new Shape(count * S * S, 4), items.SelectMany(f => f.StatsRows).ToArray());
            using var tokens = Tensor.FromHost(fx.Device, new Shape(count, Tiny.Grid * Tiny.Grid, Tiny.HiddenSize), items.SelectMany(f => f.Tokens).ToArray());
            var labels = items.SelectMany(f => f.Labels).ToArray();
            using var tl = Tensor.FromSpan<byte>(fx.Device, new Shape(labels.Length), labels);
            using var tape = new Tape(fx.Device);
            var logits = head.ForwardHybrid(tape, Tape.Constant(rows), Tape.Constant(tokens), count, Tiny.Grid, Tiny.Grid, S, S, training, 0, step);
            var loss = Ops.BceWithLogits(tape, logits, tl, 10f, labels.Count(l => l != 255));
            if (training) tape.Backward();
            return loss.ToHostFloat()[0];
        }
        float FullLoss()
        {
            float sum = 0;
            for (int i = 0; i < train.Count; i += batch)
                sum += TrainLoss(false, 0, i, Math.Min(batch, train.Count - i)) * Math.Min(batch, train.Count - i);
            return sum / train.Count;
        }

        float lossBefore = FullLoss();
        for (int step = 0; step < steps; step++)
        {
            head.ZeroGrad();
            TrainLoss(true, step, step * batch, batch);
            opt.Step(schedule(step), opt.GradClip(1.0).Scale);
        }
        double tTrain = clock.Elapsed.TotalSeconds;
        float lossAfter = FullLoss();
        var trained = head.ToHost(untrained);

        var labelsAll = test.SelectMany(f => f.Labels).ToArray();
        double apBefore = AuPrc(test.SelectMany(f => Scores(untrained, f)).ToArray(), labelsAll);
        double apAfter = AuPrc(test.SelectMany(f => Scores(trained, f)).ToArray(), labelsAll);
        double baseRate = labelsAll.Count(l => l == 1) / (double)labelsAll.Length;
        string summary = $"train loss {lossBefore:F4} → {lossAfter:F4}; held-out AuPRC untrained {apBefore:P2} → trained {apAfter:P2} " +
            $"(anomaly base rate {baseRate:P2}; {train.Count} train / {test.Count} test {S}x{S} synthetic images, frozen random-weight tiny EoMT, hybrid head, {steps} AdamW steps; " +
            $"timings: extract {tExtract:F0} s, train {tTrain - tExtract:F0} s, total {clock.Elapsed.TotalSeconds:F0} s)";
        log.WriteLine(summary);
        Console.WriteLine(summary);
        Assert.True(lossAfter < lossBefore, summary);
        Assert.True(apAfter > apBefore, summary);
    }
}
