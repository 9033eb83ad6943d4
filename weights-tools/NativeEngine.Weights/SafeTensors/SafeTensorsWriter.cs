using System.Buffers.Binary;
using System.Text.Json;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>
/// Writes .safetensors files atomically (a temporary file beside the target, renamed into place only when complete,
/// deleted on failure). Tensors are written sorted by name; the header is padded with spaces to a multiple of 8.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>A tensor to write: dtype, shape and raw little-endian bytes.</summary>
    public sealed record Item(string Name, DType DType, long[] Shape, byte[] Data);

    /// <summary>
    /// A tensor whose bytes are produced while writing (so a converter holds one tensor in memory at a time):
    /// <paramref name="WriteData"/> must write exactly the dtype size × elements bytes.
    /// </summary>
    public sealed record StreamItem(string Name, DType DType, long[] Shape, Action<Stream> WriteData);

    /// <summary>A float32 tensor item.</summary>
    public static Item F32(string name, float[] data, params long[] shape) => new(name, DType.Float32, shape, DTypeConvert.FromFloat32(DType.Float32, data));

    /// <summary>A float16 tensor item (values rounded to nearest even).</summary>
    public static Item F16(string name, float[] data, params long[] shape) => new(name, DType.Float16, shape, DTypeConvert.FromFloat32(DType.Float16, data));

    /// <summary>A bfloat16 tensor item (values rounded to nearest even, as PyTorch does).</summary>
    public static Item BF16(string name, float[] data, params long[] shape) => new(name, DType.BFloat16, shape, DTypeConvert.FromFloat32(DType.BFloat16, data));

    /// <summary>An int64 tensor item.</summary>
    public static Item I64(string name, long[] data, params long[] shape)
    {
        var bytes = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), data[i]);
        return new Item(name, DType.Int64, shape, bytes);
    }

    /// <summary>A uint8 tensor item.</summary>
    public static Item U8(string name, byte[] data, params long[] shape) => new(name, DType.UInt8, shape, data);

    /// <summary>Writes the items (sorted by name) with optional metadata.</summary>
    public static void Write(string path, IEnumerable<Item> items, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = items.ToList();
        foreach (var it in list)
        {
            long expected = checked(it.Shape.Aggregate(1L, (a, b) => checked(a * b)) * it.DType.SizeOf());
            if (expected != it.Data.Length)
                throw new ArgumentException($"{it.Name}: {it.DType.SafeTensorsName()} ({string.Join(",", it.Shape)}) needs {expected} bytes, got {it.Data.Length}");
        }
        Write(path, list.Select(it => new StreamItem(it.Name, it.DType, it.Shape, s => s.Write(it.Data))), metadata);
    }

    /// <summary>Writes streamed items (sorted by name) with optional metadata; each item's byte count is verified.</summary>
    public static void Write(string path, IEnumerable<StreamItem> items, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = items.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        var dup = list.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"tensor '{dup.Key}' is written twice");
        var lengths = list.Select(it => checked(it.Shape.Aggregate(1L, (a, b) => checked(a * b)) * it.DType.SizeOf())).ToList();

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            for (int i = 0; i < list.Count; i++)
            {
                var it = list[i];
                w.WriteStartObject(it.Name);
                w.WriteString("dtype", it.DType.SafeTensorsName());
                w.WriteStartArray("shape");
                foreach (var d in it.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + lengths[i]);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += lengths[i];
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data is aligned, as the reference writer does.
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');

        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)ms.Length);
                fs.Write(len);
                ms.Position = 0;
                ms.CopyTo(fs);
                for (int i = 0; i < list.Count; i++)
                {
                    long before = fs.Position;
                    list[i].WriteData(fs);
                    if (fs.Position - before != lengths[i])
                        throw new InvalidOperationException($"tensor '{list[i].Name}' wrote {fs.Position - before} bytes, expected {lengths[i]}");
                }
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); } catch (IOException) { }
            // Name the file the user asked for, never the internal temp file.
            if (e is IOException or UnauthorizedAccessException) throw new IOException($"{full}: cannot write it ({e.Message.Replace(tmp, full)})", e);
            throw;
        }
    }
}
