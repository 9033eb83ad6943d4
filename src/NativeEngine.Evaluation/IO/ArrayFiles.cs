using System.Buffers.Binary;
using System.Text;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Evaluation.IO;

/// <summary>A host array read from a file, with its shape.</summary>
public sealed record HostArray<T>(T[] Data, long[] Shape) where T : unmanaged;

/// <summary>
/// Reads and writes score maps and masks as safetensors or NumPy .npy (by extension). Writes are atomic: a temp file in
/// the same folder, then a rename, so a file that exists is always complete.
/// </summary>
public static class ArrayFiles
{
    /// <summary>Reads a float tensor (F32/F16/BF16/F64/integers → float32). <paramref name="name"/> picks a safetensors entry; null = the only one, or "scores".</summary>
    public static HostArray<float> ReadFloat(string path, string? name = null)
    {
        RequireFile(path);
        if (IsNpy(path))
        {
            var (descr, shape, data) = ReadNpy(path);
            var dtype = descr switch
            {
                "<f4" => DType.Float32, "<f2" => DType.Float16, "<f8" => DType.Float64, "|u1" => DType.UInt8, "<i4" => DType.Int32, "<i8" => DType.Int64,
                _ => throw new InvalidDataException($"{path}: .npy dtype '{descr}' is not supported (use float32)"),
            };
            return new(DTypeConvert.ToFloat32(dtype, data), shape);
        }
        using var f = SafeTensorsFile.Open(path);
        var e = Pick(f, name, "scores");
        return new(f.ReadFloat32(e.Name), e.Shape);
    }

    /// <summary>Reads a uint8 tensor (U8, or integer types whose values fit 0..255; floating-point labels are refused). <paramref name="name"/> as in <see cref="ReadFloat"/>, default "labels".</summary>
    public static HostArray<byte> ReadBytes(string path, string? name = null)
    {
        RequireFile(path);
        float[] values;
        long[] shape;
        if (IsNpy(path))
        {
            var (descr, s, data) = ReadNpy(path);
            if (descr is "|u1" or "|b1") return new(data, s);
            if (descr is "<f2" or "<f4" or "<f8")
                throw new InvalidDataException($"{path}: .npy dtype '{descr}' is floating point; labels must be integers 0..255 (uint8), the raw mask values the label rule maps (a label such as 0.5 has no class)");
            values = ReadFloat(path).Data;
            shape = s;
        }
        else
        {
            using var f = SafeTensorsFile.Open(path);
            var e = Pick(f, name, "labels");
            if (e.DType is DType.UInt8 or DType.Bool) return new(f.ReadBytes(e.Name), e.Shape);
            if (e.DType is not (DType.Int8 or DType.Int32 or DType.Int64 or DType.UInt16 or DType.Int16))
                throw new InvalidDataException($"{path}: tensor '{e.Name}' is {e.DType.SafeTensorsName()}; labels must be uint8 (or integers 0..255)");
            values = f.ReadFloat32(e.Name);
            shape = e.Shape;
        }
        var r = new byte[values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            if (values[i] is < 0 or > 255) throw new InvalidDataException($"{path}: label {values[i]} at element {i} is outside 0..255; labels are raw mask values the label rule maps");
            r[i] = (byte)values[i];
        }
        return new(r, shape);
    }

    /// <summary>Writes a float32 map as .npy or .safetensors (by extension; tensor name <paramref name="name"/>), atomically.</summary>
    public static void WriteFloat(string path, float[] data, long[] shape, string name = "scores", IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (IsNpy(path))
        {
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
            Atomic(path, tmp => WriteNpy(tmp, "<f4", shape, bytes));
        }
        else Atomic(path, tmp => SafeTensorsWriter.Write(tmp, [SafeTensorsWriter.F32(name, data, shape)], metadata));
    }

    /// <summary>Writes a uint8 array as .npy or .safetensors, atomically.</summary>
    public static void WriteBytes(string path, byte[] data, long[] shape, string name = "labels")
    {
        if (IsNpy(path)) Atomic(path, tmp => WriteNpy(tmp, "|u1", shape, data));
        else Atomic(path, tmp => SafeTensorsWriter.Write(tmp, [SafeTensorsWriter.U8(name, data, shape)]));
    }

    /// <summary>Runs <paramref name="write"/> on a temp file beside <paramref name="path"/>, then renames it over <paramref name="path"/>.</summary>
    public static void Atomic(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".tmp{Environment.ProcessId}";
        try
        {
            write(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Name the file the user asked for, never the internal temp file.
            var why = e.Message.Replace(tmp, full);
            throw new IOException(why.StartsWith(full, StringComparison.Ordinal) ? why : $"{full}: cannot write it ({why})", e);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static bool IsNpy(string path) => path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    private static void RequireFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
    }

    private static TensorEntry Pick(SafeTensorsFile f, string? name, string preferred)
    {
        if (name is not null) return f.Get(name);
        if (f.Tensors.Count == 1) return f.Tensors.Values.First();
        if (f.Tensors.TryGetValue(preferred, out var e)) return e;
        throw new InvalidDataException($"{f.Path}: {f.Tensors.Count} tensors ({string.Join(", ", f.Tensors.Keys)}) and none named '{preferred}'; name one");
    }

    // .npy v1/v2/v3: magic, version, header length, a Python dict literal {'descr','fortran_order','shape'}, data.
    // Every malformed part is an InvalidDataException naming the file (found by tests/fuzz: the npy target).
    private static (string Descr, long[] Shape, byte[] Data) ReadNpy(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> head = stackalloc byte[12];
        if (fs.ReadAtLeast(head[..10], 10, throwOnEndOfStream: false) != 10 || head[0] != 0x93 || Encoding.ASCII.GetString(head.Slice(1, 5)) != "NUMPY")
            throw new InvalidDataException($"{path}: not a .npy file");
        int major = head[6];
        if (major is < 1 or > 3) throw new InvalidDataException($"{path}: .npy format version {major} is not 1, 2 or 3");
        long hlen = BinaryPrimitives.ReadUInt16LittleEndian(head[8..]);
        if (major > 1)
        {
            if (fs.ReadAtLeast(head[10..], 2, throwOnEndOfStream: false) != 2) throw new InvalidDataException($"{path}: .npy is truncated in its header");
            hlen = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        }
        if (hlen > 1 << 20 || hlen > fs.Length - fs.Position) throw new InvalidDataException($"{path}: .npy header of {hlen} bytes is invalid");
        var hdr = new byte[hlen];
        fs.ReadExactly(hdr);
        var text = Encoding.ASCII.GetString(hdr);
        string descr = Field(path, text, "descr").Trim().Trim('\'', '"');
        if (descr is not ("<f4" or "<f2" or "<f8" or "|u1" or "|b1" or "<i4" or "<i8"))
            throw new InvalidDataException($"{path}: .npy dtype '{descr}' is not supported (use float32, or uint8 for labels)");
        if (Field(path, text, "fortran_order").Trim() != "False") throw new InvalidDataException($"{path}: Fortran-order .npy is not supported");
        var shapeText = Field(path, text, "shape").Trim().TrimStart('(').TrimEnd(')');
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
                : throw new InvalidDataException($"{path}: .npy shape ({shapeText}) is not a tuple of non-negative integers"))
            .ToArray();
        int size = descr[^1] - '0';
        long available = fs.Length - fs.Position, count = 1;
        foreach (var d in shape)
            if (d != 0 && count > available / d) { count = long.MaxValue; break; }
            else count *= d;
        if (count > available / size) throw new InvalidDataException($"{path}: .npy is truncated ({available} data bytes for shape ({shapeText}) of {descr})");
        var data = new byte[count * size];
        fs.ReadExactly(data);
        return (descr, shape, data);
    }

    // The text after 'key': up to the next ',' (for shape: the closing ')'), or a clear error.
    private static string Field(string path, string header, string key)
    {
        int i = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        int colon = i < 0 ? -1 : header.IndexOf(':', i);
        int end = colon < 0 ? -1 : key == "shape" ? header.IndexOf(')', colon) + 1 : header.IndexOf(',', colon);
        if (end <= colon) throw new InvalidDataException($"{path}: .npy header has no readable '{key}': {header.Trim()}");
        return header[(colon + 1)..end];
    }

    private static void WriteNpy(string path, string descr, long[] shape, byte[] data)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + dict.Length + 1;
        dict += new string(' ', (64 - total % 64) % 64) + "\n";
        using var fs = File.Create(path);
        fs.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)dict.Length);
        fs.Write(len);
        fs.Write(Encoding.ASCII.GetBytes(dict));
        fs.Write(data);
    }
}
