using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.Demo;
using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Evaluation;

/// <summary>
/// The library entry point: a device plus the models loaded on it. Everything the `nativeengine` commands do goes
/// through here.
/// <code>
/// using var engine = AnomalySegmenter.Create();                         // CUDA if present, else the CPU
/// using var model = engine.LoadModel("eomt-ext/", head: "head.safetensors");
/// var maps = model.Segment("road.jpg");                                 // per-pixel scores at the image's size
/// float[] anomaly = maps.Scores[ScoreMethod.Head];
/// var report = model.Evaluate("Validation_Dataset", new EvalOptions("out"));
/// Console.WriteLine(report.Table());
/// </code>
/// </summary>
public sealed class AnomalySegmenter : IDisposable
{
    private readonly bool ownsDevice;

    private AnomalySegmenter(ComputeDevice device, bool ownsDevice)
    {
        Device = device;
        this.ownsDevice = ownsDevice;
    }

    /// <summary>The device models run on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Opens a device (Auto: NATIVEENGINE_DEVICE, else CUDA when present, else the host backend) and owns it.</summary>
    public static AnomalySegmenter Create(DeviceKind kind = DeviceKind.Auto) => new(ComputeDevice.Create(kind), true);

    /// <summary>Uses a device the caller owns (not disposed here).</summary>
    public static AnomalySegmenter Create(ComputeDevice device) => new(device, false);

    /// <summary>
    /// Loads EoMT weights (a Hugging Face folder or a .safetensors file with its config) and optionally an anomaly
    /// head (.safetensors). Without a head the baselines (MSP, MaxLogit, entropy, RbA) are available.
    /// <paramref name="precision"/>: the arithmetic of the ViT blocks' matmuls and attention (fp32 exact; tf32, bf16,
    /// fp16 round their operands as tensor cores do, bf16/fp16 store those weights in 16 bits).
    /// </summary>
    public AnomalyModel LoadModel(string weights, string? head = null, Precision precision = Precision.Fp32) =>
        new(Guard.Device(() => EomtScorer.Load(Device, weights, head, precision), weights), untrained: false);

    /// <summary>The built-in hand-set demo EoMT-EXT (untrained; see <see cref="DemoModel"/>).</summary>
    public AnomalyModel BuiltInDemoModel(Precision precision = Precision.Fp32)
    {
        var model = EomtModel.Load(Device, DemoModel.Weights(), precision);
        return new(new EomtScorer(model, DemoModel.Head(),
            $"built-in demo EoMT-EXT ({DemoModel.Config.Describe()}), hand-set untrained weights: colour-prototype queries",
            "builtin-demo-v1" + EomtScorer.PrecisionTag(precision)), untrained: true);
    }

    /// <summary>An EoMT of a given architecture with deterministic random weights (for plumbing and speed checks).</summary>
    public AnomalyModel RandomModel(Weights.Eomt.EomtConfig config, ulong seed = 1, Models.Anomaly.AnomalyHead? head = null,
        Precision precision = Precision.Fp32)
    {
        var model = EomtModel.Load(Device, new EomtRandomWeights(config, seed), precision);
        // The identity (the eval cache key) covers the head's values too: another head must never reuse cached scores.
        string headId = head is null ? "" : "|head-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            head.Tensors.SelectMany(t => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()).ToArray()).ToArray()))[..32];
        return new(new EomtScorer(model, head, $"EoMT {config.Describe()} with random weights (seed {seed}), untrained", $"random-{config}-{seed}{headId}{EomtScorer.PrecisionTag(precision)}"), untrained: true);
    }

    /// <summary>Wraps any scorer (e.g. a test stand-in) as a model.</summary>
    public static AnomalyModel FromScorer(IAnomalyScorer scorer, bool untrained = false) => new(scorer, untrained);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (ownsDevice) Device.Dispose();
    }
}

/// <summary>A loaded anomaly segmentation model (dispose it to free its device memory).</summary>
public sealed class AnomalyModel : IDisposable
{
    internal AnomalyModel(IAnomalyScorer scorer, bool untrained)
    {
        Scorer = scorer;
        IsUntrained = untrained;
    }

    /// <summary>The scorer behind it.</summary>
    public IAnomalyScorer Scorer { get; }

    /// <summary>True for built-in or random weights: its scores say nothing about real anomalies.</summary>
    public bool IsUntrained { get; }

    /// <summary>What it is.</summary>
    public string Description => Scorer.Description;

    /// <summary>The methods it can compute.</summary>
    public IReadOnlyList<ScoreMethod> Supported => Scorer.Supported;

    /// <summary>The default request: the head when there is one, else MSP; native windows; T = 1.</summary>
    public ScoreRequest DefaultRequest => new(Supported.Contains(ScoreMethod.Head) ? [ScoreMethod.Head] : [ScoreMethod.Msp], EvalProtocol.Native);

    /// <summary>Scores one decoded image.</summary>
    public ScoreMaps Segment(RgbImage image, ScoreRequest? request = null, CancellationToken cancellationToken = default) =>
        Guard.Device(() => Scorer.Score(image, request ?? DefaultRequest, cancellationToken), image.Source);

    /// <summary>Decodes (PNG, JPEG or WebP, sniffed) and scores one image file.</summary>
    public ScoreMaps Segment(string imagePath, ScoreRequest? request = null, CancellationToken cancellationToken = default) =>
        Segment(ImageFiles.ReadRgb(imagePath), request, cancellationToken);

    /// <summary>Scores an image held in a (H, W, 3) uint8 tensor (RGB, row-major) on any device.</summary>
    public ScoreMaps Segment(Tensor image, ScoreRequest? request = null, CancellationToken cancellationToken = default)
    {
        if (image.Shape.Rank != 3 || image.Shape[2] != 3 || image.DType != DType.UInt8)
            throw new ArgumentException($"image: expected a (H, W, 3) uint8 RGB tensor, got {image.Shape} {image.DType}", nameof(image));
        return Segment(new RgbImage(image.Shape[1], image.Shape[0], image.ToHost<byte>()) { Source = "tensor" }, request, cancellationToken);
    }

    /// <summary>Scores many image files; unreadable ones are reported through <paramref name="failed"/> and skipped.</summary>
    public IEnumerable<(string Path, ScoreMaps Maps, RgbImage Image)> SegmentMany(IEnumerable<string> paths, ScoreRequest? request = null,
        IProgress<(int Done, string Path)>? progress = null, Action<string, string>? failed = null, CancellationToken cancellationToken = default)
    {
        int done = 0;
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RgbImage image;
            try
            {
                image = ImageFiles.ReadRgb(path);
            }
            catch (ImageFileException e)
            {
                failed?.Invoke(path, e.Message);
                continue;
            }
            var maps = Segment(image, request, cancellationToken);
            progress?.Report((++done, path));
            yield return (path, maps, image);
        }
    }

    /// <summary>Evaluates the datasets under <paramref name="dataRoot"/> (all, or those named) and writes the report files.</summary>
    public EvalReport Evaluate(string dataRoot, EvalOptions options, ScoreRequest? request = null, string datasets = "all",
        IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default, string device = "")
    {
        var picked = DatasetCatalog.Select(DatasetCatalog.Discover(dataRoot), datasets);
        request ??= new ScoreRequest(Supported, EvalProtocol.Seed);
        return Guard.Device(() => Evaluator.Run(Scorer, picked, request, options, device, progress, cancellationToken), dataRoot);
    }

    /// <inheritdoc/>
    public void Dispose() => Scorer.Dispose();
}

/// <summary>Turns device out-of-memory failures into one actionable message.</summary>
internal static class Guard
{
    public static T Device<T>(Func<T> run, string what)
    {
        try
        {
            return run();
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            throw new InsufficientMemoryException(
                $"{what}: the device ran out of memory ({e.Message.ReplaceLineEndings(" ")}); use --protocol seed (one window), a smaller model, or --device cpu", e);
        }
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException or ILGPU.Runtime.AcceleratorException && e.Message.Contains("memory", StringComparison.OrdinalIgnoreCase)
        || (e.InnerException is { } inner && IsOutOfMemory(inner));
}
