using System.Security.Cryptography;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.Eomt;

/// <summary>
/// Converts any checkpoint <see cref="EomtCheckpoint.Load"/> accepts into one safetensors file in the engine's
/// canonical naming: EoMT tensors under their Hugging Face names, the seed's head under <c>anomaly_head.</c>, and the
/// architecture as config.json text in the __metadata__ (key <see cref="EomtCheckpoint.MetadataConfigKey"/>), so the
/// converted file loads without a folder. The write is atomic and the result is re-opened and validated.
/// </summary>
public static class EomtConverter
{
    /// <summary>
    /// Converts <paramref name="input"/> to <paramref name="output"/>. <paramref name="dtype"/> is Float32, Float16, BFloat16 or
    /// null (keep every tensor's stored dtype, bit for bit). Integer buffers (num_batches_tracked) stay as they are.
    /// Returns the number of tensors written. <paramref name="configPath"/> declares the architecture (a config.json)
    /// for a checkpoint that carries none; an architecture that would otherwise be guessed is refused.
    /// </summary>
    public static int Convert(string input, string output, DType? dtype = null, string? configPath = null)
    {
        if (dtype is not (null or DType.Float32 or DType.Float16 or DType.BFloat16)) throw new ArgumentException($"--dtype must be f32, f16 or bf16, not {dtype.Value.Name()}");
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new ArgumentException("input and output are the same file");
        using var ck = EomtCheckpoint.Load(input, configPath);
        ck.RequireKnownConfig();
        if (!ck.Source.HasData) throw new CheckpointException(input, "a shape-only manifest has no data to convert");

        var items = new List<SafeTensorsWriter.StreamItem>();
        foreach (var name in ck.Names)
        {
            var from = ck.SourceDType(name);
            var to = dtype ?? from;
            var n = name;
            items.Add(new SafeTensorsWriter.StreamItem(name, to, ck.Shape(name), s =>
            {
                var (srcType, raw) = ck.ReadRaw(n);
                s.Write(srcType == to ? raw : DTypeConvert.FromFloat32(to, DTypeConvert.ToFloat32(srcType, raw)));
            }));
        }
        foreach (var (headName, stored) in ck.AnomalyHeadSourceNames)
        {
            var info = ck.Source.Infos[stored];
            var to = dtype is { } d && info.DType.IsFloat() ? d : info.DType;
            items.Add(new SafeTensorsWriter.StreamItem(EomtKeyMap.AnomalyHeadPrefix + headName, to, info.Shape, s =>
            {
                var raw = ck.Source.ReadAllBytes(stored);
                s.Write(info.DType == to ? raw : DTypeConvert.FromFloat32(to, DTypeConvert.ToFloat32(info.DType, raw)));
            }));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [EomtCheckpoint.MetadataConfigKey] = ck.Config.ToConfigJson(),
            ["eomt.source"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(input)),
            ["eomt.source_format"] = ck.Source.Format,
            ["eomt.source_naming"] = ck.Naming,
            ["eomt.converted_by"] = "weights-tools convert",
        };
        if (File.Exists(input)) metadata["eomt.source_sha256"] = Sha256(input);
        SafeTensorsWriter.Write(output, items, metadata);

        using var check = EomtCheckpoint.Load(output);
        if (check.Config != ck.Config) throw new CheckpointException(output, $"converted file reads back as {check.Config.Describe()}, not {ck.Config.Describe()}");
        return items.Count;
    }

    private static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return System.Convert.ToHexStringLower(SHA256.HashData(fs));
    }
}
