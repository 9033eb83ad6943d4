using System.Globalization;
using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Training.Autograd;
using NativeEngine.Training.Optim;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Training.Head;

/// <summary>Settings of a head training run (defaults: the seed's effective AdamW settings, seed.md §2.2).</summary>
/// <param name="Steps">Total optimiser steps.</param>
/// <param name="Batch">Pixels per step (the last partial batch of an epoch is dropped, as the seed's loader does).</param>
/// <param name="Seed">Seeds the batch order (per epoch) and the dropout masks (per step).</param>
/// <param name="Optimizer">AdamW (decoupled decay) or Adam (L2 decay).</param>
/// <param name="Lr">Base learning rate.</param>
/// <param name="WeightDecay">Weight decay.</param>
/// <param name="ClipNorm">Gradient-norm clipping threshold; 0 = off (the seed used 0.01).</param>
/// <param name="Schedule">Constant or warm-up + poly.</param>
/// <param name="WarmupSteps">Linear warm-up steps of <see cref="ScheduleKind.WarmupPoly"/>.</param>
/// <param name="PosWeight">BCE pos_weight (seed: 10).</param>
/// <param name="CheckpointEvery">Write a checkpoint every K steps (0 = only at the end when a path is given).</param>
/// <param name="CheckpointPath">Where checkpoints go (written atomically: temp file, then rename).</param>
/// <param name="VoidAsNormal">
/// The seed's stats-only loss (seed.md §2.4 item 4): void pixels (255) count as normal (target 0) and the mean runs
/// over every pixel. Off: the hybrid branch's / README's masked mean, void pixels ignored.
/// </param>
public sealed record HeadTrainingOptions(int Steps, int Batch = 65536, int Seed = 0, OptimizerKind Optimizer = OptimizerKind.AdamW,
    double Lr = 1e-4, double WeightDecay = 0.05, double ClipNorm = 0, ScheduleKind Schedule = ScheduleKind.Constant, int WarmupSteps = 0, float PosWeight = 10f,
    int CheckpointEvery = 0, string? CheckpointPath = null, bool VoidAsNormal = false);

/// <summary>What one step reports.</summary>
public readonly record struct StepReport(int Step, int Steps, float Loss, double Lr, float GradNorm, int ValidPixels);

/// <summary>
/// Per-image final-layer patch features (I, C, G, G) for the hybrid head; the dataset's rows are then image-major,
/// S·S pixels per image.
/// </summary>
/// <param name="Values">Row-major (I, C, G, G).</param>
/// <param name="Images">I.</param>
/// <param name="Channels">C (the model's hidden size).</param>
/// <param name="Grid">G (patch grid side).</param>
/// <param name="ImageSize">S (the window side the statistics were computed at).</param>
public sealed record PatchFeatureSet(float[] Values, int Images, int Channels, int Grid, int ImageSize);

/// <summary>
/// Pixel rows for training: features (N, D) float32 (D = 4 statistics, or 36 precomputed hybrid inputs) and labels
/// (N) in {0, 1, 255}; with <see cref="Patches"/>, also each image's patch features so the hybrid trains feature_proj.
/// </summary>
public sealed class FeatureDataset
{
    /// <summary>Wraps host arrays.</summary>
    public FeatureDataset(float[] features, int dim, byte[] labels, PatchFeatureSet? patches = null)
    {
        if (dim <= 0 || features.Length != (long)labels.Length * dim)
            throw new ArgumentException($"features: expected shape [{labels.Length},{dim}] to match labels [{labels.Length}], got {features.Length} values");
        if (patches is not null && ((long)patches.Images * patches.ImageSize * patches.ImageSize != labels.Length
                || patches.Values.Length != (long)patches.Images * patches.Channels * patches.Grid * patches.Grid))
            throw new ArgumentException($"patch_features: {patches.Images} images of {patches.Channels}x{patches.Grid}x{patches.Grid} at {patches.ImageSize}x{patches.ImageSize} " +
                $"do not match {labels.Length} pixel rows and {patches.Values.Length} values");
        Features = features;
        Dim = dim;
        Labels = labels;
        Patches = patches;
    }

    /// <summary>Per-image patch features (hybrid training), or null.</summary>
    public PatchFeatureSet? Patches { get; }

    /// <summary>Row-major (N, D).</summary>
    public float[] Features { get; }

    /// <summary>D.</summary>
    public int Dim { get; }

    /// <summary>(N) in {0, 1, 255}.</summary>
    public byte[] Labels { get; }

    /// <summary>N.</summary>
    public int Count => Labels.Length;

    /// <summary>Reads features [N,D] f32 and labels [N] u8 (the tensor named "features"/"labels", or the only one in the file).</summary>
    public static FeatureDataset Load(string featuresPath, string labelsPath)
    {
        using var ff = SafeTensorsFile.Open(featuresPath);
        var fe = Pick(ff, "features", featuresPath);
        if (fe.Shape.Length != 2 || fe.DType != DType.Float32)
            throw new ArgumentException($"{featuresPath}: {fe.Name} expected shape [N,4] or [N,36] F32, got [{string.Join(",", fe.Shape)}] {fe.DType.SafeTensorsName()}");
        HeadTrainingChecks.RequireColumns(featuresPath, fe.Shape[1]);
        using var lf = SafeTensorsFile.Open(labelsPath);
        var le = Pick(lf, "labels", labelsPath);
        if (le.DType != DType.UInt8 || le.Elements != fe.Shape[0])
            throw new ArgumentException($"{labelsPath}: {le.Name} expected shape [{fe.Shape[0]}] U8, got [{string.Join(",", le.Shape)}] {le.DType.SafeTensorsName()}");
        var labels = lf.ReadBytes(le.Name);
        int bad = Array.FindIndex(labels, l => l is not (0 or 1 or 255));
        if (bad >= 0) throw new ArgumentException($"{labelsPath}: label {labels[bad]} at {bad}; labels must be 0, 1 or 255 (void)");
        PatchFeatureSet? patches = null;
        if (ff.Tensors.TryGetValue("patch_features", out var pe))
        {
            if (pe.Shape.Length != 4 || pe.DType != DType.Float32 || pe.Shape[2] != pe.Shape[3]
                || !int.TryParse(ff.Metadata.GetValueOrDefault("image_size"), System.Globalization.CultureInfo.InvariantCulture, out int size))
                throw new ArgumentException($"{featuresPath}: patch_features expected shape [I,C,G,G] F32 with image_size in the metadata, got [{string.Join(",", pe.Shape)}] {pe.DType.SafeTensorsName()}");
            patches = new PatchFeatureSet(ff.ReadFloat32("patch_features"), (int)pe.Shape[0], (int)pe.Shape[1], (int)pe.Shape[2], size);
        }
        return new FeatureDataset(ff.ReadFloat32(fe.Name), (int)fe.Shape[1], labels, patches);
    }

    private static TensorEntry Pick(SafeTensorsFile f, string name, string path) =>
        f.Tensors.TryGetValue(name, out var e) ? e
        : f.Tensors.Count == 1 ? f.Tensors.Values.First()
        : throw new ArgumentException($"{path}: no tensor named '{name}' (found {string.Join(", ", f.Tensors.Keys)})");
}

/// <summary>
/// Trains an anomaly head on pixel rows. Everything random is a pure function of (seed, step): the batch order is a
/// per-epoch permutation seeded by (seed, epoch), dropout masks come from (seed, step), and every reduction is a
/// fixed-order chunked sum. A run resumed from a checkpoint therefore ends with exactly the weights of an
/// uninterrupted run on the same device.
/// </summary>
public sealed class HeadTrainer : IDisposable
{
    private readonly AnomalyHead template;
    private readonly FeatureDataset data;
    private readonly TrainableHead head;
    private readonly AdamOptimizer optimizer;
    private readonly Func<int, double> schedule;
    private readonly bool hybridImages;
    private readonly string dataHash;
    private int[]? permutation;
    private int permutationEpoch = -1;
    private int lastCheckpointStep = -1;

    /// <summary>Uploads <paramref name="init"/> and prepares the optimiser.</summary>
    public HeadTrainer(ComputeDevice device, AnomalyHead init, FeatureDataset data, HeadTrainingOptions options)
    {
        hybridImages = init.Layout == AnomalyHeadLayout.Hybrid && data.Patches is not null;
        if (hybridImages)
        {
            if (data.Dim != UncertaintyStats.Count)
                throw new ArgumentException($"hybrid training from patch features needs 4 statistics per pixel, the features have {data.Dim} columns");
            if (data.Patches!.Channels != init.Options.FeatureDim)
                throw new ArgumentException($"{init.Source}: this hybrid head's feature_proj reads {init.Options.FeatureDim}-channel patch features, " +
                    $"but the dataset's model has C = {data.Patches.Channels}; start from a head for this backbone (or a fresh one)");
        }
        else if (data.Dim != init.InputDim)
            throw new ArgumentException($"features have {data.Dim} columns but a {init.Layout} head takes {init.InputDim}" +
                (data.Dim == 36 ? " (use --layout hybrid)" : data.Dim == 4 && init.Layout == AnomalyHeadLayout.Hybrid
                    ? " (a hybrid head trains from images: train-head --layout hybrid --weights … --images … --masks …)" : ""));
        HeadTrainingChecks.Validate(options);
        HeadTrainingChecks.RequireUsable(data);
        dataHash = HeadTrainingChecks.ContentHash(data);
        Device = device;
        template = init;
        this.data = data;
        Options = options;
        head = new TrainableHead(init, device);
        optimizer = new AdamOptimizer(head.Parameters,
            new AdamOptions(options.Lr, WeightDecay: options.WeightDecay, Decoupled: options.Optimizer == OptimizerKind.AdamW));
        schedule = LrSchedule.For(options.Schedule, options.Lr, options.WarmupSteps, options.Steps);
    }

    /// <summary>The device.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The settings.</summary>
    public HeadTrainingOptions Options { get; }

    /// <summary>Steps completed.</summary>
    public int Step { get; private set; }

    // What one step draws: pixel rows, or (hybrid from patch features) whole images, max(1, batch / S²) of them.
    private int Units => hybridImages ? data.Patches!.Images : data.Count;
    private int UnitsPerStep => hybridImages
        ? Math.Clamp(Options.Batch / (data.Patches!.ImageSize * data.Patches.ImageSize), 1, data.Patches.Images)
        : Math.Min(Options.Batch, data.Count);

    /// <summary>Batches per epoch (drop-last).</summary>
    public int BatchesPerEpoch => Math.Max(1, Units / UnitsPerStep);

    /// <summary>Pixels per step.</summary>
    public int PixelsPerStep => hybridImages ? UnitsPerStep * data.Patches!.ImageSize * data.Patches.ImageSize : UnitsPerStep;

    /// <summary>The current head (host copy).</summary>
    public AnomalyHead Current() => head.ToHost(template);

    /// <summary>
    /// Runs until <see cref="HeadTrainingOptions.Steps"/> (or <paramref name="stopAfter"/> steps of this call, to
    /// simulate an interruption), reporting each step, writing checkpoints every K steps and at the end.
    /// </summary>
    public void Run(Action<StepReport>? progress = null, int? stopAfter = null, CancellationToken cancel = default)
    {
        int begin = Step;
        while (Step < Options.Steps && (stopAfter is null || Step - begin < stopAfter) && !cancel.IsCancellationRequested)
        {
            var report = TrainStep();
            progress?.Invoke(report);
            if (Options.CheckpointPath is { } path && Options.CheckpointEvery > 0 && Step % Options.CheckpointEvery == 0)
                SaveCheckpoint(path);
        }
        if (Options.CheckpointPath is { } p) SaveCheckpoint(p);
    }

    /// <summary>One optimiser step on the next batch.</summary>
    public StepReport TrainStep()
    {
        int t = Step;
        var units = BatchRows(t);
        var rows = hybridImages ? ImageRows(units) : units;
        int dim = data.Dim, n = rows.Length;
        var x = new float[n * dim];
        var y = new byte[n];
        int valid = 0;
        for (int i = 0; i < n; i++)
        {
            Array.Copy(data.Features, (long)rows[i] * dim, x, (long)i * dim, dim);
            y[i] = data.Labels[rows[i]];
            if (Options.VoidAsNormal && y[i] == TrainLoss.Void) y[i] = 0; // the seed's stats-only loss: void is normal
            if (y[i] != TrainLoss.Void) valid++;
        }
        using var tx = Tensor.FromHost(Device, new Shape(n, dim), x);
        using var ty = Tensor.FromSpan<byte>(Device, new Shape(n), y);
        using var tokens = hybridImages ? Tensor.FromHost(Device, new Shape(units.Length, data.Patches!.Grid * data.Patches.Grid, data.Patches.Channels), Tokens(units)) : null;
        head.ZeroGrad();
        float loss;
        using (var tape = new Tape(Device))
        {
            var p = data.Patches;
            var logits = hybridImages
                ? head.ForwardHybrid(tape, Tape.Constant(tx), Tape.Constant(tokens!), units.Length, p!.Grid, p.Grid, p.ImageSize, p.ImageSize,
                    training: true, Options.Seed, t)
                : head.Forward(tape, Tape.Constant(tx), training: true, Options.Seed, t);
            var l = Ops.BceWithLogits(tape, logits, ty, Options.PosWeight, valid);
            tape.Backward();
            loss = l.ToHostFloat()[0];
        }
        if (!float.IsFinite(loss)) throw Diverged(t, $"the loss is {loss.ToString(CultureInfo.InvariantCulture)}");
        if (HeadTrainingChecks.FirstNonFinite(head.Parameters, gradients: true) is { } g) throw Diverged(t, $"the gradient {g}");
        var (norm, scale) = optimizer.GradClip(Options.ClipNorm);
        double lr = schedule(t);
        optimizer.Step(lr, scale);
        if (HeadTrainingChecks.FirstNonFinite(head.Parameters, gradients: false) is { } w) throw Diverged(t, $"the updated weight {w}");
        Step = t + 1;
        return new StepReport(Step, Options.Steps, loss, lr, norm, valid);
    }

    // Step t+1 (1-based, as progress lines count) went non-finite: stop before anything more is written.
    private TrainingDivergedException Diverged(int t, string what)
    {
        string kept = Options.CheckpointPath is not { } path ? "no checkpoint is written"
            : lastCheckpointStep >= 0 ? $"the last good checkpoint {path} (step {lastCheckpointStep}) is kept"
            : "no checkpoint was written yet";
        return new TrainingDivergedException($"training diverged at step {t + 1}: {what} is not finite; stopped there and wrote no head ({kept}); " +
            "lower --lr, set --clip-norm, or check the features");
    }


    // The pixel rows of whole images (image-major rows, S² per image).
    private int[] ImageRows(int[] images)
    {
        int px = data.Patches!.ImageSize * data.Patches.ImageSize;
        return images.SelectMany(i => Enumerable.Range(i * px, px)).ToArray();
    }

    // Patch features of the images as token rows (B, G², C), the layout the training graph's 1×1 conv takes.
    private float[] Tokens(int[] images)
    {
        var p = data.Patches!;
        int g2 = p.Grid * p.Grid, c = p.Channels;
        var o = new float[images.Length * g2 * c];
        for (int b = 0; b < images.Length; b++)
        {
            long src = (long)images[b] * c * g2;
            for (int ch = 0; ch < c; ch++)
                for (int q = 0; q < g2; q++) o[((long)b * g2 + q) * c + ch] = p.Values[src + (long)ch * g2 + q];
        }
        return o;
    }

    // Units (pixel rows, or images for the hybrid) of step t: slot t mod E of the epoch-(t div E) permutation
    // (Fisher–Yates with Random(seed, epoch)).
    private int[] BatchRows(int t)
    {
        int batch = UnitsPerStep, epoch = t / BatchesPerEpoch, slot = t % BatchesPerEpoch;
        if (permutationEpoch != epoch)
        {
            var rng = new Random(unchecked(Options.Seed * 1000003 + epoch));
            permutation = Enumerable.Range(0, Units).ToArray();
            for (int i = permutation.Length - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
            }
            permutationEpoch = epoch;
        }
        return permutation!.AsSpan(slot * batch, batch).ToArray();
    }

    /// <summary>Writes head + optimiser moments + step + settings to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public void SaveCheckpoint(string path)
    {
        var meta = new Dictionary<string, string>
        {
            ["checkpoint.step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["checkpoint.settings"] = Fingerprint(),
            ["checkpoint.data"] = dataHash,
            ["checkpoint.rng"] = "counter-based: batch order from (seed, epoch), dropout from (seed, step); nothing else to save",
        };
        var extra = optimizer.StateTensors().Select(s => SafeTensorsWriter.F32(s.Name, s.Data, s.Shape.Select(d => (long)d).ToArray()));
        Current().Save(path, meta, extra); // atomic (SafeTensorsWriter: temp file, then rename)
        lastCheckpointStep = Step;
    }

    /// <summary>
    /// Restores head, optimiser moments and step from a checkpoint written by <see cref="SaveCheckpoint"/> with the
    /// same settings; returns the step reached.
    /// </summary>
    public int Resume(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        if (!f.Metadata.TryGetValue("checkpoint.step", out var s))
            throw new ArgumentException($"{path}: not a train-head checkpoint (no checkpoint.step in its metadata)");
        if (f.Metadata.GetValueOrDefault("checkpoint.settings") != Fingerprint())
            throw new ArgumentException($"{path}: written with other settings ({f.Metadata.GetValueOrDefault("checkpoint.settings")}) than this run ({Fingerprint()}); resume with the same options");
        string? trainedOn = f.Metadata.GetValueOrDefault("checkpoint.data");
        if (trainedOn != dataHash)
            throw new ArgumentException($"{path}: was trained on other features or labels (content hash {trainedOn ?? "not recorded"}, " +
                $"this run's is {dataHash}); resume with the same --features/--labels, or start afresh without --resume");
        var saved = AnomalyHead.Load(path, template.Options.Dropout);
        if (saved.Layout != template.Layout) throw new ArgumentException($"{path}: holds a {saved.Layout} head, this run trains {template.Layout}");
        // A step that is not a count, or missing optimiser state, is a broken checkpoint, not a crash (found by tests/fuzz).
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int step) || step > Options.Steps)
            throw new ArgumentException($"{path}: checkpoint.step '{s}' is not a step count in 0..{Options.Steps}");
        head.Load(saved);
        optimizer.LoadState(name => f.Tensors.ContainsKey(name) ? f.ReadFloat32(name)
            : throw new ArgumentException($"{path}: no optimiser state '{name}' (not a complete train-head checkpoint)"), step);
        Step = optimizer.StepCount;
        lastCheckpointStep = Step;
        return Step;
    }

    private string Fingerprint() => string.Join(";",
        $"layout={template.Layout}", $"in={template.InputDim}", $"h={template.Options.Hidden1},{template.Options.Hidden2}",
        $"dropout={template.Options.Dropout.ToString("R", CultureInfo.InvariantCulture)}", $"n={data.Count}",
        $"steps={Options.Steps}", $"batch={Options.Batch}", $"seed={Options.Seed}", $"opt={Options.Optimizer.Name()}",
        $"lr={Options.Lr.ToString("R", CultureInfo.InvariantCulture)}", $"wd={Options.WeightDecay.ToString("R", CultureInfo.InvariantCulture)}",
        $"clip={Options.ClipNorm.ToString("R", CultureInfo.InvariantCulture)}", $"schedule={Options.Schedule.Name()}", $"warmup={Options.WarmupSteps}",
        $"pw={Options.PosWeight.ToString("R", CultureInfo.InvariantCulture)}")
        + (Options.VoidAsNormal ? ";void=normal" : "") + (hybridImages ? $";images={data.Patches!.Images}" : "");

    /// <inheritdoc/>
    public void Dispose()
    {
        optimizer.Dispose();
        head.Dispose();
    }
}
