using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>One tensor's header entry: dtype as written in the file (F32, F16, BF16, U8, I64…), shape and byte range.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">Start offset in the data buffer (bytes, relative to 8 + header length).</param>
/// <param name="End">End offset (exclusive).</param>
public sealed record TensorEntry(string Name, DType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads a .safetensors file: 8-byte little-endian header length N, an N-byte JSON header, then the raw
/// little-endian data. The file is memory-mapped: tensors are handed out as spans over the mapping, so a 1.2 GB
/// checkpoint is never copied through managed arrays. Opening validates everything the reference implementation
/// (huggingface/safetensors tensor.rs) validates: N ≤ 100 MB and inside the file, UTF-8 JSON, no duplicate names,
/// known dtypes, offsets contiguous from 0 and non-overlapping, dtype size × shape = byte length (with overflow
/// checks), and the last offset equal to the data length.
/// </summary>
public sealed class SafeTensorsFile : ISpanTensorSource
{
    /// <summary>The reference implementation's header cap (MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderSize = 100_000_000;

    // The JSON schema bounds integers by 2^48; larger values cannot describe a real file.
    private const long MaxJsonInteger = 1L << 48;

    private readonly MappedFile file;
    private readonly long dataStart;
    private readonly long dataLength;
    private readonly Dictionary<string, TensorInfo> infos;
    private bool disposed;

    private SafeTensorsFile(MappedFile file, long dataStart, long dataLength,
        Dictionary<string, TensorEntry> tensors, Dictionary<string, string> metadata)
    {
        this.file = file;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
        Tensors = tensors;
        Metadata = metadata;
        infos = tensors.ToDictionary(kv => kv.Key, kv => new TensorInfo(kv.Key, kv.Value.DType, kv.Value.Shape));
    }

    /// <summary>The file path.</summary>
    public string Path => file.Path;

    /// <summary>Header entries by name.</summary>
    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }

    /// <summary>The optional __metadata__ map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc/>
    public string Format => "safetensors";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, TensorInfo> Infos => infos;

    /// <inheritdoc/>
    public bool HasData => true;

    /// <summary>Opens, validates and memory-maps the file. Throws <see cref="CheckpointException"/> naming the problem.</summary>
    public static SafeTensorsFile Open(string path)
    {
        var file = new MappedFile(path);
        try
        {
            long fileLength = file.Length;
            if (fileLength < 8) throw new CheckpointException(path, $"not a safetensors file (only {fileLength} bytes; the 8-byte header length is missing)");
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
            if (n > MaxHeaderSize)
                throw new CheckpointException(path, $"safetensors header length {n} exceeds the {MaxHeaderSize}-byte cap (corrupt or hostile file)");
            if ((long)n > fileLength - 8)
                throw new CheckpointException(path, $"safetensors header length {n} runs past the end of the {fileLength}-byte file (truncated?)");
            long dataStart = 8 + (long)n;
            var (tensors, metadata) = ParseHeader(path, file.Span(8, (long)n).ToArray(), fileLength - dataStart);
            return new SafeTensorsFile(file, dataStart, fileLength - dataStart, tensors, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Parses and validates a header against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    internal static (Dictionary<string, TensorEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(header);
        }
        catch (DecoderFallbackException)
        {
            throw new CheckpointException(path, "safetensors header is not valid UTF-8");
        }
        if (!text.StartsWith('{'))
            throw new CheckpointException(path, "safetensors header does not start with '{' (not a safetensors file?)");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"safetensors header is not valid JSON: {e.Message}");
        }

        var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, "safetensors header is not a JSON object");
            bool sawMetadata = false;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (sawMetadata) throw new CheckpointException(path, "safetensors header has two __metadata__ entries");
                    sawMetadata = true;
                    if (p.Value.ValueKind != JsonValueKind.Object)
                        throw new CheckpointException(path, "__metadata__ must be an object of strings");
                    foreach (var m in p.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new CheckpointException(path, $"__metadata__ value '{m.Name}' is not a string");
                        if (!meta.TryAdd(m.Name, m.Value.GetString()!))
                            throw new CheckpointException(path, $"__metadata__ key '{m.Name}' appears twice");
                    }
                    continue;
                }
                if (tensors.ContainsKey(p.Name)) throw new CheckpointException(path, $"tensor '{p.Name}' appears twice in the header");
                tensors[p.Name] = ParseEntry(path, p.Name, p.Value);
            }
        }

        // Offsets: sorted by begin they must tile [0, dataLength) exactly.
        long expectedBegin = 0;
        foreach (var e in tensors.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin != expectedBegin)
                throw new CheckpointException(path, e.Begin < expectedBegin
                    ? $"tensor '{e.Name}' data [{e.Begin},{e.End}) overlaps the previous tensor (which ends at {expectedBegin})"
                    : $"tensor '{e.Name}' data starts at {e.Begin} but the previous tensor ends at {expectedBegin} (gap in the data)");
            expectedBegin = e.End;
        }
        if (expectedBegin != dataLength)
            throw new CheckpointException(path, expectedBegin > dataLength
                ? $"tensor offsets run to byte {expectedBegin} but the file holds only {dataLength} data bytes (truncated or offsets past the end)"
                : $"tensor offsets end at byte {expectedBegin} but the file holds {dataLength} data bytes (trailing garbage)");
        return (tensors, meta);
    }

    private static TensorEntry ParseEntry(string path, string name, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, $"header entry '{name}' is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new CheckpointException(path, $"tensor '{name}' has no string 'dtype'");
        var dtype = DTypeConvert.FromSafeTensorsName(dt.GetString()!, path, name);
        var shape = ReadIntArray(path, name, v, "shape");
        var offs = ReadIntArray(path, name, v, "data_offsets");
        if (offs.Length != 2) throw new CheckpointException(path, $"tensor '{name}': data_offsets must hold 2 integers, not {offs.Length}");
        if (offs[1] < offs[0]) throw new CheckpointException(path, $"tensor '{name}': data_offsets [{offs[0]},{offs[1]}] end before they begin");
        long bytes;
        try
        {
            long elements = 1;
            foreach (var d in shape) elements = checked(elements * d);
            bytes = checked(elements * dtype.SizeOf());
        }
        catch (OverflowException)
        {
            throw new CheckpointException(path, $"tensor '{name}': shape ({string.Join(",", shape)}) overflows");
        }
        if (bytes != offs[1] - offs[0])
            throw new CheckpointException(path,
                $"tensor '{name}': {dtype.SafeTensorsName()} ({string.Join(",", shape)}) needs {bytes} bytes but data_offsets [{offs[0]},{offs[1]}] give {offs[1] - offs[0]}");
        return new TensorEntry(name, dtype, shape, offs[0], offs[1]);
    }

    private static long[] ReadIntArray(string path, string name, JsonElement v, string field)
    {
        if (!v.TryGetProperty(field, out var a) || a.ValueKind != JsonValueKind.Array)
            throw new CheckpointException(path, $"tensor '{name}' has no '{field}' array");
        var r = new long[a.GetArrayLength()];
        int i = 0;
        foreach (var e in a.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var x) || x < 0 || x > MaxJsonInteger)
                throw new CheckpointException(path, $"tensor '{name}': '{field}' holds {e.GetRawText()}, not an integer in [0, 2^48]");
            r[i++] = x;
        }
        return r;
    }

    /// <summary>The tensor's bytes as a span over the memory mapping (valid until the file is disposed).</summary>
    public ReadOnlySpan<byte> GetSpan(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var e = Get(name);
        long n = e.End - e.Begin;
        if (n == 0) return ReadOnlySpan<byte>.Empty;
        if (n > int.MaxValue) throw new NotSupportedException($"{Path}: tensor '{name}' is {n} bytes; spans are limited to 2 GB (use ReadBytes with an offset)");
        return file.Span(dataStart + e.Begin, n);
    }

    /// <summary>The raw little-endian bytes of a tensor (a copy).</summary>
    public byte[] ReadBytes(string name) => GetSpan(name).ToArray();

    /// <inheritdoc/>
    public void ReadBytes(string name, long byteOffset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var e = Get(name);
        if (byteOffset < 0 || byteOffset + destination.Length > e.End - e.Begin)
            throw new ArgumentOutOfRangeException(nameof(byteOffset), $"{Path}: bytes [{byteOffset},{byteOffset + destination.Length}) are outside tensor '{name}' ({e.End - e.Begin} bytes)");
        file.Span(dataStart + e.Begin + byteOffset, destination.Length).CopyTo(destination);
    }

    /// <summary>A tensor converted to float32 (F32, F16, BF16 and integer types are accepted).</summary>
    public float[] ReadFloat32(string name) => DTypeConvert.ToFloat32(Get(name).DType, GetSpan(name));

    /// <summary>The header entry of a tensor, or a clear error naming it.</summary>
    public TensorEntry Get(string name) => Tensors.TryGetValue(name, out var e)
        ? e
        : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Total bytes of tensor data.</summary>
    public long DataLength => dataLength;

    /// <inheritdoc/>
    public void Dispose()
    {
        disposed = true;
        file.Dispose();
    }
}
