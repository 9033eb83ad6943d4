using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NativeEngine.Models.Anomaly;
using NativeEngine.Training.Head;
using NativeEngine.Training.Optim;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `train-head`: trains the EoMT-EXT anomaly head. Features mode: pixel rows [N,4] (or [N,36] for the hybrid) and
/// labels [N] u8 in {0,1,255}. Dataset mode: images and masks through the frozen EoMT (the scoring pipeline; masks read
/// as `eval` reads them); `--layout hybrid` then trains feature_proj and the MLP together on whole images. Checkpoints
/// (head + optimiser state + step) are written atomically and `--resume` continues from the last one with exactly the
/// weights an uninterrupted run would reach.
/// </summary>
public static class TrainHeadCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = Cli.DeviceOption();
        var features = new Option<string?>("--features") { Description = "features mode: safetensors with [N,4] (or [N,36] hybrid) float32" };
        var labels = new Option<string?>("--labels") { Description = "features mode: safetensors with [N] uint8 in {0,1,255} (255 = void, ignored)" };
        var weights = new Option<string?>("--weights") { Description = "dataset mode: the frozen EoMT checkpoint (HF folder or weights file)" };
        var images = new Option<string?>("--images") { Description = "dataset mode: folder of images (e.g. train/images)" };
        var masks = new Option<string?>("--masks") { Description = "dataset mode: folder of <stem>.png masks, 0 normal, 255 void, other = anomaly (e.g. train/gt_pixel)" };
        var cache = new Option<string?>("--cache") { Description = "dataset mode: reusable statistics cache (default <out>.features.safetensors; reused when present)" };
        var pixels = new Option<int>("--pixels-per-image") { Description = "dataset mode: random pixels kept per image (0 = all)", DefaultValueFactory = _ => 0 };
        var init = new Option<string?>("--init") { Description = "initial head (seed names; network.anomaly_head. prefix accepted); default: fresh torch-default init" };
        var output = new Option<string>("--out") { Description = "where the trained head is written (seed tensor names)", Required = true };
        var steps = new Option<int>("--steps") { Description = "optimiser steps", Required = true };
        var lr = new Option<double>("--lr") { Description = "base learning rate", DefaultValueFactory = _ => 1e-4 };
        var optimizer = new ChoiceOption<OptimizerKind>("--optimizer", "optimiser; adamw decays weights decoupled, adam adds L2 decay to the gradient", TrainingChoices.Optimizers, OptimizerKind.AdamW);
        var wd = new Option<double>("--weight-decay") { Description = "weight decay (AdamW: decoupled; Adam: L2)", DefaultValueFactory = _ => 0.05 };
        var dropout = new Option<float?>("--dropout") { Description = "dropout probability (default: the --init file's, else 0.1)" };
        var batch = new Option<int>("--batch") { Description = "pixels per step", DefaultValueFactory = _ => 65536 };
        var seed = new Option<int>("--seed") { Description = "seed of batch order, dropout masks and a fresh init", DefaultValueFactory = _ => 0 };
        var clip = new Option<double>("--clip-norm") { Description = "gradient-norm clipping (0 = off; the seed used 0.01)", DefaultValueFactory = _ => 0 };
        var schedule = new ChoiceOption<ScheduleKind>("--schedule", "learning-rate schedule", TrainingChoices.Schedules, ScheduleKind.Constant);
        var warmup = new Option<int>("--warmup-steps") { Description = "warm-up steps of warmup-poly", DefaultValueFactory = _ => 0 };
        var layout = new Option<string?>("--layout") { Description = "plain | bn | hybrid (default: the --init file's, else plain)" };
        var hidden = new Option<string>("--hidden") { Description = "hidden sizes H1,H2 of a fresh head", DefaultValueFactory = _ => "64,32" };
        var posWeight = new Option<float>("--pos-weight") { Description = "BCE pos_weight", DefaultValueFactory = _ => 10f };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "checkpoint file (default: <out>.ckpt)" };
        var every = new Option<int>("--checkpoint-every") { Description = "write a checkpoint every K steps (0 = only at the end)", DefaultValueFactory = _ => 100 };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint when it exists" };
        var stopAfter = new Option<int?>("--stop-after") { Description = "stop after M steps of this invocation (leaves a checkpoint; for testing interruption)" };
        var logEvery = new Option<int>("--log-every") { Description = "progress line every K steps (0 = about 20 lines)", DefaultValueFactory = _ => 0 };
        var voidAsNormal = new Option<bool>("--void-as-normal") { Description = "the seed's stats-only loss: void (255) pixels count as normal and the mean runs over every pixel (default: void ignored)" };

        var cmd = new Command("train-head", "train the EoMT-EXT anomaly head (only the head gets gradients) from a features file, or from images + masks through the frozen EoMT");
        foreach (var o in new Option[] { device, features, labels, weights, images, masks, cache, pixels, init, output, steps, lr, optimizer, wd, dropout, batch, seed, clip, schedule,
                     warmup, layout, hidden, posWeight, checkpoint, every, resume, stopAfter, logEvery, voidAsNormal })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string outPath = r.GetValue(output)!;
            string ckpt = r.GetValue(checkpoint) ?? outPath + ".ckpt";
            var options = new HeadTrainingOptions(r.GetValue(steps), r.GetValue(batch), r.GetValue(seed), optimizer.ValueIn(r), r.GetValue(lr),
                r.GetValue(wd), r.GetValue(clip), schedule.ValueIn(r), r.GetValue(warmup), r.GetValue(posWeight), r.GetValue(every), ckpt,
                r.GetValue(voidAsNormal));
            TrainHeadChecks.BeforeWork(options, outPath, ckpt, r.GetValue(dropout), r.GetValue(pixels), r.GetValue(logEvery), r.GetValue(stopAfter), r.GetValue(hidden)!);
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            bool hybrid = IsHybrid(r.GetValue(layout), r.GetValue(init));
            var data = LoadData(d, r.GetValue(features), r.GetValue(labels), r.GetValue(weights), r.GetValue(images), r.GetValue(masks),
                r.GetValue(cache) ?? outPath + ".features.safetensors", new DatasetOptions(r.GetValue(pixels), r.GetValue(seed), PatchFeatures: hybrid));
            var head = InitialHead(r.GetValue(init), r.GetValue(layout), r.GetValue(hidden)!, r.GetValue(dropout), r.GetValue(seed), data.Dim, data.Patches?.Channels);
            using var trainer = new HeadTrainer(d, head, data, options);
            Console.Error.WriteLine($"train-head: {head.Layout} head ({head.Tensors.Where(t => t.Trainable).Sum(t => t.Data.Length)} parameters), " +
                $"{data.Count} pixels x {data.Dim}{(data.Patches is { } pf ? $" + patch features {pf.Channels}x{pf.Grid}x{pf.Grid} of {pf.Images} images" : "")}, " +
                $"{trainer.BatchesPerEpoch} batches of {trainer.PixelsPerStep} pixels per epoch, {options.Optimizer.Name()} lr {options.Lr:G3}" +
                (options.VoidAsNormal ? ", void counted as normal" : ""));
            if (r.GetValue(resume) && File.Exists(ckpt))
                Console.Error.WriteLine($"resumed from {ckpt} at step {trainer.Resume(ckpt)}");
            int log = r.GetValue(logEvery) is > 0 and var k ? k : Math.Max(1, options.Steps / 20);
            var clock = Stopwatch.StartNew();
            int first = trainer.Step;
            StepReport last = default;
            trainer.Run(rep =>
            {
                last = rep;
                if (rep.Step % log == 0 || rep.Step == rep.Steps || rep.Step == first + 1)
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"step {rep.Step}/{rep.Steps}  loss {rep.Loss:F5}  lr {rep.Lr:E2}  valid {rep.ValidPixels}  ({(rep.Step - first) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} steps/s)"));
            }, r.GetValue(stopAfter));
            if (trainer.Step < options.Steps)
            {
                Console.Error.WriteLine($"stopped at step {trainer.Step}/{options.Steps}; checkpoint {ckpt} (continue with --resume)");
                return 0;
            }
            trainer.Current().Save(outPath, new Dictionary<string, string> { ["trained.steps"] = trainer.Step.ToString(CultureInfo.InvariantCulture) });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {outPath} after {trainer.Step} steps, last loss {last.Loss:F5}"));
            return 0;
        });
        return cmd;
    }

    // Features mode (--features/--labels) or dataset mode (--weights/--images/--masks → statistics, and for the hybrid
    // patch features, from the scoring pipeline; cached and reused only while every input is unchanged).
    private static FeatureDataset LoadData(Runtime.ComputeDevice d, string? features, string? labels, string? weights, string? images,
        string? masks, string cache, DatasetOptions options)
    {
        if (features is not null || labels is not null)
        {
            if (features is null || labels is null) throw new ArgumentException("features mode needs both --features and --labels");
            return FeatureDataset.Load(features, labels);
        }
        if (images is null || masks is null)
            throw new ArgumentException("give --features and --labels, or --images and --masks (with --weights) for the dataset mode");
        if (weights is null) throw new ArgumentException("dataset mode needs --weights (the frozen EoMT): it computes the statistics and keys their cache");
        return DatasetFeatures.LoadOrExtract(cache, images, masks, weights, options,
            () => new Models.Pipeline.ScoringPipeline(Models.Eomt.EomtModel.Load(d, weights), null, ownsModel: true), m => Console.Error.WriteLine(m));
    }

    // The layout asked for (--layout, else the --init file's) is hybrid: the dataset mode then keeps patch features.
    private static bool IsHybrid(string? layoutName, string? init) =>
        layoutName is not null ? layoutName.Equals("hybrid", StringComparison.OrdinalIgnoreCase)
        : init is not null && File.Exists(init) && AnomalyHead.Load(init).Layout == AnomalyHeadLayout.Hybrid;

    private static AnomalyHead InitialHead(string? init, string? layoutName, string hidden, float? dropout, int seed, int featureDim, int? patchChannels)
    {
        AnomalyHeadLayout? layout = layoutName?.ToLowerInvariant() switch
        {
            null => null,
            "plain" => AnomalyHeadLayout.Plain,
            "bn" or "batchnorm" => AnomalyHeadLayout.BatchNorm,
            "hybrid" => AnomalyHeadLayout.Hybrid,
            _ => throw new ArgumentException($"--layout '{layoutName}': use plain, bn or hybrid"),
        };
        if (init is not null)
        {
            var head = AnomalyHead.Load(init);
            if (layout is { } l && l != head.Layout) throw new ArgumentException($"--layout {layoutName} but {init} holds a {head.Layout} head");
            return dropout is { } p ? head.WithDropout(p) : head;
        }
        var sizes = TrainHeadChecks.HiddenSizes(hidden);
        var lay = layout ?? (featureDim == 4 ? AnomalyHeadLayout.Plain : AnomalyHeadLayout.Hybrid);
        // Hybrid from images: feature_proj reads the model's C channels into 32; from [N,36] rows the 32 are given.
        return AnomalyHead.Create(new AnomalyHeadOptions(lay, sizes[0], sizes[1], dropout ?? 0.1f,
            FeatureDim: patchChannels ?? 768, ProjDim: lay == AnomalyHeadLayout.Hybrid && patchChannels is null ? featureDim - 4 : 32), seed);
    }
}
