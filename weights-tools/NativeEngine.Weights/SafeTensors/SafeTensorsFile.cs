using System.Buffers.Binary;
using System.Text.Json;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>One tensor's header entry: dtype as written in the file (F32, F16, BF16, U8, I64…), shape and byte range.</summary>
public sealed record TensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads a .safetensors file: 8-byte little-endian header length, a JSON header, then the raw little-endian data.
/// (Minimal first version; issue "weights-tools" hardens it: memory mapping, full validation, sharding.)
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly FileStream stream;
    private readonly long dataStart;

    private SafeTensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, TensorEntry> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        this.stream = stream;
        this.dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>Header entries by name.</summary>
    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }

    /// <summary>The optional __metadata__ map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and parses the header.</summary>
    public static SafeTensorsFile Open(string path)
    {
        var fs = File.OpenRead(path);
        try
        {
            Span<byte> len = stackalloc byte[8];
            if (fs.Read(len) != 8) throw new InvalidDataException($"{path}: not a safetensors file (shorter than 8 bytes)");
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
            if (n > 100_000_000 || (long)n > fs.Length - 8)
                throw new InvalidDataException($"{path}: safetensors header length {n} is invalid for a {fs.Length}-byte file");
            var header = new byte[n];
            fs.ReadExactly(header);
            var tensors = new Dictionary<string, TensorEntry>();
            var meta = new Dictionary<string, string>();
            using var doc = JsonDocument.Parse(header);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (var m in p.Value.EnumerateObject()) meta[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                var dtype = p.Value.GetProperty("dtype").GetString()!;
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                tensors[p.Name] = new TensorEntry(p.Name, dtype, shape, offs[0], offs[1]);
            }
            return new SafeTensorsFile(path, fs, 8 + (long)n, tensors, meta);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>The raw little-endian bytes of a tensor.</summary>
    public byte[] ReadBytes(string name)
    {
        var e = Get(name);
        var data = new byte[e.End - e.Begin];
        stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
        stream.ReadExactly(data);
        return data;
    }

    /// <summary>A tensor converted to float32 (F32, F16, BF16 and integer types are accepted).</summary>
    public float[] ReadFloat32(string name) => DTypeConvert.ToFloat32(Get(name).DType, ReadBytes(name));

    /// <summary>The header entry of a tensor, or a clear error naming it.</summary>
    public TensorEntry Get(string name) => Tensors.TryGetValue(name, out var e)
        ? e
        : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();
}
