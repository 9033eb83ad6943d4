using System.Buffers.Binary;
using System.Numerics;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.Torch;

/// <summary>
/// A PyTorch zip checkpoint (torch.save since 1.6: <c>.pt/.pth/.bin/.ckpt</c>) opened without executing anything:
/// the archive's <c>data.pkl</c> goes through <see cref="RestrictedUnpickler"/>, storages are read from the
/// memory-mapped <c>data/&lt;key&gt;</c> records, byte order follows the <c>byteorder</c> record, and views
/// (storage offset, strides, shared storages) are honoured. A Lightning checkpoint is unwrapped to its
/// <c>state_dict</c>. TorchScript archives, the legacy (pre-1.6) format and everything outside the allowlist are refused.
/// </summary>
public sealed class TorchCheckpoint : ITensorSource
{
    private readonly MappedFile file;
    private readonly Dictionary<string, TorchTensor> tensors;
    private readonly Dictionary<string, TensorInfo> infos;
    private readonly Dictionary<string, StoredZip.Entry> storageRecords;
    private readonly bool bigEndian;

    private TorchCheckpoint(MappedFile file, string format, Dictionary<string, TorchTensor> tensors,
        Dictionary<string, StoredZip.Entry> storageRecords, bool bigEndian, IReadOnlyList<string> topLevelKeys, bool lightning)
    {
        this.file = file;
        Format = format;
        this.tensors = tensors;
        this.storageRecords = storageRecords;
        this.bigEndian = bigEndian;
        TopLevelKeys = topLevelKeys;
        IsLightning = lightning;
        infos = tensors.ToDictionary(kv => kv.Key, kv => new TensorInfo(kv.Key, kv.Value.Storage.DType, kv.Value.Size), StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public string Path => file.Path;

    /// <inheritdoc/>
    public string Format { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, TensorInfo> Infos => infos;

    /// <inheritdoc/>
    public bool HasData => true;

    /// <summary>The keys of the top-level dict (a Lightning checkpoint: epoch, global_step, state_dict, …).</summary>
    public IReadOnlyList<string> TopLevelKeys { get; }

    /// <summary>Whether the tensors came from a nested <c>state_dict</c> (a Lightning checkpoint).</summary>
    public bool IsLightning { get; }

    /// <summary>The tensor views by stored name.</summary>
    public IReadOnlyDictionary<string, TorchTensor> Views => tensors;

    /// <summary>Opens a checkpoint; every refusal is a <see cref="CheckpointException"/> naming what was found.</summary>
    public static TorchCheckpoint Open(string path)
    {
        var file = new MappedFile(path);
        try
        {
            return Read(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static TorchCheckpoint Read(MappedFile file)
    {
        string path = file.Path;
        var head = file.Span(0, Math.Min(file.Length, 4));
        if (head.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(head) != 0x04034b50) RefuseNonZip(file);

        var zip = StoredZip.Read(file);
        var pkls = zip.Entries.Keys.Where(n => n.EndsWith("data.pkl", StringComparison.Ordinal) && n.Count(c => c == '/') <= 1).ToList();
        bool torchScript = zip.Entries.Keys.Any(n => n.EndsWith("constants.pkl", StringComparison.Ordinal) || n.Contains("/code/", StringComparison.Ordinal));
        if (torchScript)
            throw new CheckpointException(path, "TorchScript archive (torch.jit.save: it holds code/ and constants.pkl) is not a weights checkpoint; "
                + "load it in Python and torch.save(model.state_dict()) or convert it to safetensors");
        if (pkls.Count != 1)
            throw new CheckpointException(path, pkls.Count == 0
                ? $"zip is not a PyTorch checkpoint: no data.pkl among {zip.Entries.Count} records"
                : $"zip holds {pkls.Count} data.pkl records ({string.Join(", ", pkls)})");
        var prefix = pkls[0][..^"data.pkl".Length];
        var pklEntry = zip.Entries[pkls[0]];
        if (pklEntry.Method != 0) throw new CheckpointException(path, $"record '{pklEntry.Name}' is compressed (method {pklEntry.Method}); torch.save writes stored records only");
        if (pklEntry.Length > RestrictedUnpickler.MaxPickleBytes) throw new CheckpointException(path, $"data.pkl is {pklEntry.Length} bytes (limit {RestrictedUnpickler.MaxPickleBytes})");

        bool bigEndian = false;
        if (zip.Entries.TryGetValue(prefix + "byteorder", out var bo))
        {
            var text = System.Text.Encoding.ASCII.GetString(file.Span(bo.DataOffset, Math.Min(bo.Length, 16))).Trim();
            bigEndian = text switch
            {
                "little" => false,
                "big" => true,
                _ => throw new CheckpointException(path, $"byteorder record says '{text}', expected 'little' or 'big'"),
            };
        }

        var records = new Dictionary<string, StoredZip.Entry>(StringComparer.Ordinal);
        TorchStorage MakeStorage(DType dtype, string key, long numel, string location)
        {
            if (key.Contains('/') || key.Contains("..", StringComparison.Ordinal)) throw new CheckpointException(path, $"storage key '{key}' is not a plain name");
            if (!zip.Entries.TryGetValue(prefix + "data/" + key, out var rec))
                throw new CheckpointException(path, $"storage '{key}' has no record {prefix}data/{key}");
            if (rec.Method != 0) throw new CheckpointException(path, $"storage record '{rec.Name}' is compressed (method {rec.Method}); refusing (torch.save writes stored records; possible zip bomb)");
            long need;
            try
            {
                need = checked(numel * dtype.SizeOf());
            }
            catch (OverflowException)
            {
                throw new CheckpointException(path, $"storage '{key}' declares {numel} elements, which overflows");
            }
            if (rec.Length < need)
                throw new CheckpointException(path, $"storage '{key}' declares {numel} × {dtype.SafeTensorsName()} = {need} bytes but its record holds only {rec.Length} (truncated or corrupt)");
            records[key] = rec;
            return new TorchStorage(dtype, key, numel, location);
        }

        var pickle = file.Span(pklEntry.DataOffset, pklEntry.Length).ToArray();
        var root = RestrictedUnpickler.Load(path, pickle, MakeStorage);

        var (stateDict, topKeys, lightning) = FindStateDict(path, root);
        var found = new Dictionary<string, TorchTensor>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (var (k, v) in stateDict.Items)
        {
            if (k is not string name) { bad.Add($"key {PickleText.Short(k)} is not a string"); continue; }
            if (v is TorchTensor t) found[name] = t;
            else bad.Add($"'{name}' is a {PickleText.TypeOf(v)}, not a tensor");
        }
        if (bad.Count > 0)
            throw new CheckpointException(path, "state dict holds non-tensor entries: " + string.Join("; ", bad.Take(10)) + (bad.Count > 10 ? $"; … {bad.Count - 10} more" : ""));
        var format = $"pytorch zip{(lightning ? " (Lightning checkpoint, state_dict)" : "")}{(bigEndian ? ", big-endian" : "")}";
        return new TorchCheckpoint(file, format, found, records, bigEndian, topKeys, lightning);
    }

    // Lightning: {"state_dict": {...}, "epoch": …}; plain torch.save(model.state_dict()): the dict itself.
    private static (PyDict, IReadOnlyList<string>, bool) FindStateDict(string path, object? root)
    {
        if (root is not PyDict top)
            throw new CheckpointException(path, $"checkpoint holds a {PickleText.TypeOf(root)}, not a dict of tensors");
        var keys = top.Items.Select(kv => kv.Key as string ?? PickleText.Short(kv.Key)).ToList();
        foreach (var key in new[] { "state_dict", "model", "model_state_dict", "module" })
            if (top.TryGet(key, out var inner) && inner is PyDict sd && sd.Items.Any(kv => kv.Value is TorchTensor))
                return (sd, keys, key == "state_dict");
        if (top.Count == 0 || top.Items.Any(kv => kv.Value is TorchTensor)) return (top, keys, false);
        throw new CheckpointException(path, $"checkpoint dict has no tensors and no state_dict (keys: {string.Join(", ", keys.Take(12))})");
    }

    // Not a zip: the legacy torch format (a pickled magic number first), a bare pickle, or something else.
    private static void RefuseNonZip(MappedFile file)
    {
        string path = file.Path;
        var head = file.Span(0, Math.Min(file.Length, 512));
        if (head.Length >= 2 && head[0] == 0x80)
        {
            object? first;
            try
            {
                // The legacy format pickles several objects back to back; the first is the magic number.
                first = RestrictedUnpickler.Load(path, file.Span(0, Math.Min(file.Length, RestrictedUnpickler.MaxPickleBytes)).ToArray(), null);
            }
            catch (CheckpointException e) when (!e.Reason.Contains("STOP with", StringComparison.Ordinal))
            {
                throw new CheckpointException(path, "not a PyTorch zip checkpoint: a bare pickle, " + e.Reason);
            }
            catch (CheckpointException)
            {
                first = null;
            }
            if (first is BigInteger b && b == BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber))
                throw new CheckpointException(path, "legacy PyTorch serialization format (torch < 1.6 or _use_new_zipfile_serialization=False) is not supported; "
                    + "re-save it with torch >= 1.6 or convert it to safetensors");
            throw new CheckpointException(path, $"not a PyTorch zip checkpoint: a bare pickle holding a {PickleText.TypeOf(first)}");
        }
        if (file.Length >= 262 && System.Text.Encoding.ASCII.GetString(file.Span(257, 5)) == "ustar")
            throw new CheckpointException(path, "legacy PyTorch tar checkpoint is not supported; re-save it with torch >= 1.6 or convert it to safetensors");
        throw new CheckpointException(path, $"not a PyTorch zip checkpoint (first bytes {Convert.ToHexString(head[..Math.Min(head.Length, 8)])})");
    }

    /// <inheritdoc/>
    public void ReadBytes(string name, long byteOffset, Span<byte> destination)
    {
        var t = tensors.TryGetValue(name, out var x) ? x : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        int size = t.Storage.DType.SizeOf();
        long total = t.Elements * size;
        if (byteOffset < 0 || byteOffset + destination.Length > total)
            throw new ArgumentOutOfRangeException(nameof(byteOffset), $"{Path}: bytes [{byteOffset},{byteOffset + destination.Length}) are outside tensor '{name}' ({total} bytes)");
        if (destination.Length == 0) return;
        var rec = storageRecords[t.Storage.Key];
        if (t.IsContiguous)
        {
            file.Span(rec.DataOffset + t.StorageOffset * size + byteOffset, destination.Length).CopyTo(destination);
        }
        else
        {
            // A strided view: gather whole elements in row-major order, then hand out the requested byte range.
            var storage = file.Span(rec.DataOffset, t.Storage.Elements * size);
            var dense = new byte[total];
            var idx = new long[t.Size.Length];
            for (long e = 0; e < t.Elements; e++)
            {
                long src = t.StorageOffset;
                for (int d = 0; d < idx.Length; d++) src += idx[d] * t.Stride[d];
                storage.Slice((int)(src * size), size).CopyTo(dense.AsSpan((int)(e * size), size));
                for (int d = idx.Length - 1; d >= 0; d--)
                {
                    if (++idx[d] < t.Size[d]) break;
                    idx[d] = 0;
                }
            }
            dense.AsSpan((int)byteOffset, destination.Length).CopyTo(destination);
        }
        if (bigEndian && size > 1)
        {
            if (byteOffset % size != 0 || destination.Length % size != 0)
                throw new ArgumentException($"{Path}: big-endian tensor '{name}' must be read in whole elements");
            for (int i = 0; i < destination.Length; i += size) destination.Slice(i, size).Reverse();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();
}
