using NativeEngine.Weights.SafeTensors;
using NativeEngine.Weights.Torch;

namespace NativeEngine.Weights;

/// <summary>Opens any checkpoint this library reads, choosing the reader by content (never by extension alone).</summary>
public static class TensorSources
{
    /// <summary>The names a Hugging Face folder may hold its weights under, in the order they are tried.</summary>
    public static readonly IReadOnlyList<string> FolderWeightFiles =
        ["model.safetensors.index.json", "model.safetensors", "pytorch_model.bin"];

    /// <summary>
    /// Opens a file or folder: a Hugging Face folder (model.safetensors[.index.json] or pytorch_model.bin), a
    /// .safetensors file, a sharded index (*.index.json), a PyTorch zip checkpoint (.pt/.pth/.bin/.ckpt; Lightning
    /// dicts are unwrapped to their state_dict) or a shape manifest (.json). Refusals are <see cref="CheckpointException"/>.
    /// </summary>
    public static ITensorSource Open(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (var f in FolderWeightFiles)
            {
                var p = System.IO.Path.Combine(path, f);
                if (File.Exists(p)) return Open(p);
            }
            var st = Directory.GetFiles(path, "*.safetensors");
            if (st.Length == 1) return Open(st[0]);
            throw new CheckpointException(path, $"folder holds none of {string.Join(", ", FolderWeightFiles)}"
                + (st.Length > 1 ? $" and {st.Length} .safetensors files without an index" : ""));
        }
        if (!File.Exists(path)) throw new CheckpointException(path, "no such file or folder");

        var head = new byte[512];
        int n;
        using (var fs = File.OpenRead(path)) n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var name = System.IO.Path.GetFileName(path);
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return TorchCheckpoint.Open(path);
        if (name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
        {
            if (name.StartsWith("pytorch_model", StringComparison.Ordinal))
                throw new CheckpointException(path, "sharded pytorch_model.bin checkpoints are not supported; convert the shards to safetensors");
            return ShardedSafeTensors.Open(path);
        }
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return ManifestSource.Open(path);
        bool looksSafetensors = n >= 9 && head[8] == '{';
        if (looksSafetensors || name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return SafeTensorsFile.Open(path);
        if (n >= 2 && head[0] == 0x80) return TorchCheckpoint.Open(path); // a bare pickle: the legacy format, refused with details
        if (n >= 262 && System.Text.Encoding.ASCII.GetString(head, 257, 5) == "ustar")
            throw new CheckpointException(path, "legacy PyTorch tar checkpoint (torch < 0.4) is not supported; re-save it with torch >= 1.6 or convert it to safetensors");
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".pt" or ".pth" or ".bin" or ".ckpt")
            throw new CheckpointException(path, $"not a PyTorch zip checkpoint (first bytes {Convert.ToHexString(head, 0, Math.Min(n, 8))}; expected 'PK\\x03\\x04'; truncated or corrupt?)");
        throw new CheckpointException(path, $"unrecognised checkpoint format (first bytes {Convert.ToHexString(head, 0, Math.Min(n, 8))})");
    }
}
