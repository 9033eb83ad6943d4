using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Models.Eomt;

/// <summary>
/// Where an <see cref="EomtModel"/> reads its weights from: the architecture and float32 data of every tensor by its
/// canonical Hugging Face name (eomt.md §5.2). Implemented by checkpoint readers and by <see cref="EomtRandomWeights"/>.
/// </summary>
public interface IEomtWeightSource : IDisposable
{
    /// <summary>The architecture.</summary>
    EomtConfig Config { get; }

    /// <summary>A description for messages (the file or folder path).</summary>
    string Origin { get; }

    /// <summary>True when the tensor exists.</summary>
    bool Contains(string name);

    /// <summary>The stored shape.</summary>
    int[] Shape(string name);

    /// <summary>The data converted to float32 (F32, F16 and BF16 files).</summary>
    float[] ReadFloat32(string name);
}

/// <summary>Opening checkpoints for the model.</summary>
public static class EomtWeights
{
    /// <summary>
    /// Opens any EoMT checkpoint weights-tools reads (HF folder or safetensors, original .bin/.pth, Lightning .ckpt; any
    /// naming scheme mapped to the canonical HF names; F32/F16/BF16). <paramref name="configPath"/> (a config.json)
    /// declares the architecture of a checkpoint without one. A checkpoint whose architecture would be guessed (no
    /// config and shapes that do not settle it, e.g. the head count of an unpublished width) is refused with the ways
    /// to give it: running it on a guess would give wrong outputs with exit 0.
    /// </summary>
    public static IEomtWeightSource Open(string path, string? configPath = null)
    {
        var checkpoint = EomtCheckpoint.Load(path, configPath);
        try
        {
            checkpoint.RequireKnownConfig();
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
        return new CheckpointWeights(checkpoint);
    }

    /// <summary>attn_mask_probs (one per query block; zeros when the checkpoint has none).</summary>
    public static float[] AttnMaskProbs(IEomtWeightSource w) => w.Contains("attn_mask_probs")
        ? w.ReadFloat32("attn_mask_probs")
        : new float[w.Config.QueryBlocks];

    /// <summary>Uploads every weight of <paramref name="source"/> as a safetensors file (used to materialise random checkpoints).</summary>
    public static void WriteSafeTensors(IEomtWeightSource source, IEnumerable<string> names, string path) =>
        SafeTensorsWriter.Write(path, names.Select(n =>
            SafeTensorsWriter.F32(n, source.ReadFloat32(n), source.Shape(n).Select(d => (long)d).ToArray())));
}

/// <summary>
/// Weights read by prefix path (STYLE.md): <c>w.Sub("layers.3").Load("norm1.weight", C)</c> asserts the shape with the
/// full name in the message and uploads the data once.
/// </summary>
public sealed class WeightPath(IEomtWeightSource source, ComputeDevice device, string prefix = "")
{
    /// <summary>A child path ("layers.3" → "layers.3.").</summary>
    public WeightPath Sub(string name) => new(source, device, prefix + name + ".");

    /// <summary>The full name of a tensor under this path.</summary>
    public string Name(string name) => prefix + name;

    /// <summary>Reads a tensor on the host after checking its shape.</summary>
    public float[] Host(string name, params int[] dims)
    {
        string full = prefix + name;
        if (!source.Contains(full))
            throw new InvalidDataException($"{source.Origin}: missing weight '{full}' (expected shape [{string.Join(",", dims)}])");
        var got = source.Shape(full);
        if (!got.SequenceEqual(dims))
            throw new InvalidDataException($"{source.Origin}: weight '{full}' has shape [{string.Join(",", got)}], expected [{string.Join(",", dims)}]");
        return source.ReadFloat32(full);
    }

    /// <summary>Reads, checks and uploads a tensor.</summary>
    public Tensor Load(string name, params int[] dims) => Tensor.FromHost(device, new Shape(dims), Host(name, dims));
}

/// <summary>weights-tools' <see cref="EomtCheckpoint"/> as a model weight source.</summary>
internal sealed class CheckpointWeights(EomtCheckpoint checkpoint) : IEomtWeightSource
{
    public EomtConfig Config => checkpoint.Config;
    public string Origin => checkpoint.Path;
    public bool Contains(string name) => checkpoint.Contains(name);
    public int[] Shape(string name) => checkpoint.Shape(name).Select(d => checked((int)d)).ToArray();
    public float[] ReadFloat32(string name) => checkpoint.ReadFloat32(name);
    public void Dispose() => checkpoint.Dispose();
}
