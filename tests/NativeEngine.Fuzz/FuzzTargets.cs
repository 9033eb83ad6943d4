using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.IO;
using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Imaging;
using NativeEngine.Runtime;
using NativeEngine.Training.Head;
using NativeEngine.Weights;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.Weights.Torch;
using NativeEngine.Tensors;

namespace NativeEngine.Fuzz;

/// <summary>
/// Every parser that reads a user's file, as a fuzz target. Parsers that take a path get the input written to a
/// private scratch folder first (the name or extension they dispatch on is fixed per target).
/// <para>Clean refusals, per target (exact types; the reasons are in tests/fuzz/README.md):</para>
/// <list type="bullet">
/// <item>weights-tools (safetensors, safetensors-index, pickle, torch-zip, config): <see cref="CheckpointException"/>;</item>
/// <item>npy: <see cref="InvalidDataException"/> (ArrayFiles' refusal, naming the file) and, for the safetensors
/// fallback, <see cref="CheckpointException"/>;</item>
/// <item>image: <see cref="InvalidDataException"/> (ImageLoader's contract: every decoder failure, naming the file);</item>
/// <item>mask: <see cref="ImageFileException"/>;</item>
/// <item>train-mask: <see cref="ImageFileException"/> (train-head reads masks as eval does);</item>
/// <item>features, checkpoint (train-head): <see cref="CheckpointException"/> and <see cref="ArgumentException"/>
/// (train-head's refusal of a well-formed file with the wrong content, naming the file).</item>
/// </list>
/// </summary>
public sealed class FuzzTargets : IDisposable
{
    /// <summary>Inputs declaring more pixels are skipped: a legal 100 MP image takes seconds, which AFL would call a hang.</summary>
    public const long MaxFuzzPixels = 1L << 22;

    // Tensors larger than this are not read back (a legal stride-0 view can be far larger than its file).
    private const long MaxTensorBytes = 1L << 24;

    private readonly string scratch;
    private readonly Lazy<(ComputeDevice Device, HeadTrainer Trainer)> trainer;

    /// <summary>Creates the targets with a fresh scratch folder under the system temp folder.</summary>
    public FuzzTargets()
    {
        scratch = Directory.CreateTempSubdirectory("nativeengine-fuzz-").FullName;
        trainer = new(CreateTrainer);
        Type[] checkpoint = [typeof(CheckpointException)];
        Type[] trainHead = [typeof(CheckpointException), typeof(ArgumentException)];
        All =
        [
            new("safetensors", "SafeTensorsFile.Open + ReadFloat32 of every tensor", ParseSafeTensors, checkpoint, FuzzSeeds.SafeTensors),
            new("safetensors-index", "ShardedSafeTensors.Open of model.safetensors.index.json beside two fixed shards", ParseIndex, checkpoint, FuzzSeeds.Index),
            new("pickle", "RestrictedUnpickler.Load (data.pkl) with a storage factory", ParsePickle, checkpoint, FuzzSeeds.Pickles),
            new("torch-zip", "TorchCheckpoint.Open + ReadBytes of every tensor", ParseTorchZip, checkpoint, FuzzSeeds.TorchZips),
            new("config", "EomtCheckpoint.Load of a folder: the fuzzed config.json beside a fixed model.safetensors", ParseConfig, checkpoint, FuzzSeeds.Configs),
            new("npy", "ArrayFiles.ReadFloat and ArrayFiles.ReadBytes of a .npy", ParseNpy, [typeof(InvalidDataException), typeof(CheckpointException)], FuzzSeeds.Npys),
            new("image", "ImageLoader.Decode (PNG, JPEG, WebP)", ParseImage, [typeof(InvalidDataException)], FuzzSeeds.Images),
            new("mask", "ImageFiles.ReadMask (eval's mask reader)", ParseMask, [typeof(ImageFileException)], FuzzSeeds.Masks),
            new("train-mask", "DatasetFeatures.Labels of ImageFiles.ReadMask (train-head dataset mode's masks at S×S)", ParseTrainMask, [typeof(ImageFileException)], FuzzSeeds.Masks),
            new("features", "FeatureDataset.Load (train-head's features file)", ParseFeatures, trainHead, () => FuzzSeeds.Features()),
            new("checkpoint", "HeadTrainer.Resume (train-head's .ckpt)", ParseCheckpoint, trainHead, CheckpointSeeds),
        ];
    }

    /// <summary>Every target.</summary>
    public IReadOnlyList<FuzzTarget> All { get; }

    /// <summary>The target called <paramref name="name"/>, or an error listing the names.</summary>
    public FuzzTarget Get(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}'; targets: {string.Join(", ", All.Select(t => t.Name))}");

    private string Write(string name, byte[] data)
    {
        var p = Path.Combine(scratch, name);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, data);
        return p;
    }

    // A folder of scratch holding fixed copies of fixtures (written once).
    private string Fixed(string folder, params (string Fixture, string Name)[] files)
    {
        var dir = Path.Combine(scratch, folder);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            foreach (var (fixture, name) in files) File.Copy(FuzzSeeds.Fixture(fixture), Path.Combine(dir, name));
        }
        return dir;
    }

    private void ParseSafeTensors(byte[] data)
    {
        using var f = SafeTensorsFile.Open(Write("input.safetensors", data));
        foreach (var e in f.Tensors.Values) f.ReadFloat32(e.Name);
    }

    private void ParseIndex(byte[] data)
    {
        var dir = Fixed("sharded",
            ("weights/tiny_hf_sharded/model-00001-of-00002.safetensors", "model-00001-of-00002.safetensors"),
            ("weights/tiny_hf_sharded/model-00002-of-00002.safetensors", "model-00002-of-00002.safetensors"));
        var index = Path.Combine(dir, "model.safetensors.index.json");
        File.WriteAllBytes(index, data);
        using var s = ShardedSafeTensors.Open(index);
        foreach (var name in s.Infos.Keys) s.GetSpan(name);
    }

    private static void ParsePickle(byte[] data) =>
        RestrictedUnpickler.Load("data.pkl", data, (dtype, key, numel, location) => new TorchStorage(dtype, key, numel, location));

    private void ParseTorchZip(byte[] data)
    {
        using var c = TorchCheckpoint.Open(Write("input.pth", data));
        foreach (var (name, info) in c.Infos)
        {
            long bytes = info.Shape.Aggregate(1L, (a, b) => a * b) * info.DType.SizeOf();
            if (bytes <= MaxTensorBytes) c.ReadBytes(name, 0, new byte[bytes]);
        }
    }

    private void ParseConfig(byte[] data)
    {
        var dir = Fixed("config", ("weights/tiny_hf/model.safetensors", "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "config.json"), data);
        using var ck = EomtCheckpoint.Load(dir);
    }

    private void ParseNpy(byte[] data)
    {
        var p = Write("input.npy", data);
        ArrayFiles.ReadFloat(p);
        ArrayFiles.ReadBytes(p);
    }

    private static void ParseImage(byte[] data)
    {
        if (TooLarge(data)) return;
        ImageLoader.Decode(data, "input.img");
    }

    private void ParseMask(byte[] data)
    {
        if (TooLarge(data)) return;
        ImageFiles.ReadMask(Write("mask.png", data));
    }

    private void ParseTrainMask(byte[] data)
    {
        if (TooLarge(data)) return;
        DatasetFeatures.Labels(ImageFiles.ReadMask(Write("train-mask.png", data)), 8);
    }

    private void ParseFeatures(byte[] data)
    {
        var p = Write("features.safetensors", data);
        FeatureDataset.Load(p, p);
    }

    private void ParseCheckpoint(byte[] data) => trainer.Value.Trainer.Resume(Write("head.ckpt", data));

    // The header's declared size, when ImageSharp can read one; unreadable headers go on to the parser under test.
    private static bool TooLarge(byte[] data)
    {
        try
        {
            var info = SixLabors.ImageSharp.Image.Identify(data);
            return info is not null && (long)info.Width * info.Height > MaxFuzzPixels;
        }
        catch (Exception)
        {
            return false;
        }
    }

    // A tiny plain head (4 → 8 → 4 → 1) on six pixels: its checkpoint is ~1 KB, and Resume checks its settings.
    private (ComputeDevice, HeadTrainer) CreateTrainer()
    {
        var device = ComputeDevice.Create(DeviceKind.Cpu);
        var data = FuzzSeeds.FeatureData();
        var init = AnomalyHead.Create(new AnomalyHeadOptions(NativeEngine.Models.Anomaly.AnomalyHeadLayout.Plain, Hidden1: 8, Hidden2: 4), 1);
        return (device, new HeadTrainer(device, init, data, new HeadTrainingOptions(2, 4, 0, Lr: 1e-3)));
    }

    private IEnumerable<(string, byte[])> CheckpointSeeds()
    {
        var t = trainer.Value.Trainer;
        var p = Path.Combine(scratch, "seed.ckpt");
        t.SaveCheckpoint(p);
        yield return ("step0.ckpt", File.ReadAllBytes(p));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (trainer.IsValueCreated)
        {
            trainer.Value.Trainer.Dispose();
            trainer.Value.Device.Dispose();
        }
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
            // a scratch folder left in /tmp is harmless
        }
    }
}
