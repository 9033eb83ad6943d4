using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>Writes .safetensors files (atomically: a temporary file renamed into place).</summary>
public static class SafeTensorsWriter
{
    /// <summary>A tensor to write: dtype name (F32, F16, BF16, U8, I64…), shape and raw little-endian bytes.</summary>
    public sealed record Item(string Name, string DType, long[] Shape, byte[] Data);

    /// <summary>A float32 tensor item.</summary>
    public static Item F32(string name, float[] data, params long[] shape)
    {
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        return new Item(name, "F32", shape, bytes);
    }

    /// <summary>A uint8 tensor item.</summary>
    public static Item U8(string name, byte[] data, params long[] shape) => new(name, "U8", shape, data);

    /// <summary>Writes the items (sorted by name, as the reference implementation does) with optional metadata.</summary>
    public static void Write(string path, IEnumerable<Item> items, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = items.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var it in list)
            {
                long expected = it.Shape.Aggregate(1L, (a, b) => a * b) * DTypeConvert.SizeOf(it.DType);
                if (expected != it.Data.Length)
                    throw new ArgumentException($"{it.Name}: {it.DType} {string.Join("x", it.Shape)} needs {expected} bytes, got {it.Data.Length}");
                w.WriteStartObject(it.Name);
                w.WriteString("dtype", it.DType);
                w.WriteStartArray("shape");
                foreach (var d in it.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + it.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += it.Data.Length;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data is aligned, as the reference writer does.
        var header = ms.ToArray().ToList();
        while (header.Count % 8 != 0) header.Add((byte)' ');

        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(path) + ".tmp" + Environment.ProcessId);
        using (var fs = File.Create(tmp))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Count);
            fs.Write(len);
            fs.Write(header.ToArray());
            foreach (var it in list) fs.Write(it.Data);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
