using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>
/// Element types by their safetensors names (F32, F16, BF16, F64, I64, I32, I16, I8, U8, U16, U32, U64, BOOL) and
/// conversions between raw little-endian bytes and float32. PyTorch storages map onto the same names.
/// </summary>
public static class DTypeConvert
{
    private static readonly string[] Known = ["F64", "I64", "U64", "F32", "I32", "U32", "F16", "BF16", "I16", "U16", "U8", "I8", "BOOL"];

    // Types the safetensors format defines but the engine cannot use: named in the refusal so the user knows why.
    private static readonly string[] KnownUnsupported = ["F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64"];

    /// <summary>Whether <paramref name="dtype"/> is a dtype this library reads.</summary>
    public static bool IsSupported(string dtype) => Array.IndexOf(Known, dtype) >= 0;

    /// <summary>Whether the dtype is a floating type (F64, F32, F16, BF16).</summary>
    public static bool IsFloat(string dtype) => dtype is "F64" or "F32" or "F16" or "BF16";

    /// <summary>Bytes per element of a safetensors dtype name.</summary>
    public static int SizeOf(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "U8" or "I8" or "BOOL" => 1,
        _ when Array.IndexOf(KnownUnsupported, dtype) >= 0 =>
            throw new NotSupportedException($"safetensors dtype '{dtype}' is valid but not supported by this engine (use F32, F16 or BF16)"),
        _ => throw new NotSupportedException($"unknown safetensors dtype '{dtype}'"),
    };

    /// <summary>Converts raw bytes of <paramref name="dtype"/> to float32.</summary>
    public static float[] ToFloat32(string dtype, ReadOnlySpan<byte> data)
    {
        var r = new float[data.Length / SizeOf(dtype)];
        ToFloat32(dtype, data, r);
        return r;
    }

    /// <summary>Converts raw little-endian bytes of <paramref name="dtype"/> into <paramref name="destination"/> (one float per element).</summary>
    public static void ToFloat32(string dtype, ReadOnlySpan<byte> data, Span<float> destination)
    {
        int size = SizeOf(dtype);
        if (data.Length != destination.Length * (long)size)
            throw new ArgumentException($"{dtype}: {data.Length} bytes do not hold {destination.Length} elements");
        switch (dtype)
        {
            case "F32":
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(data).CopyTo(destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
                return;
            case "F16":
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
                return;
            case "BF16":
                // bfloat16 is the upper half of a float32: widening is exact (NaN payloads included).
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(i * 2)..]) << 16);
                return;
        }
        for (int i = 0; i < destination.Length; i++)
        {
            var s = data.Slice(i * size, size);
            destination[i] = dtype switch
            {
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(s),
                "U64" => BinaryPrimitives.ReadUInt64LittleEndian(s),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(s),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(s),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(s),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(s),
                "U8" or "BOOL" => s[0],
                "I8" => (sbyte)s[0],
                _ => throw new NotSupportedException($"cannot convert {dtype} to float32"),
            };
        }
    }

    /// <summary>
    /// Encodes float32 values as F32, F16 or BF16 little-endian bytes. F16 rounds to nearest even (System.Half);
    /// BF16 rounds to nearest even exactly as PyTorch's <c>tensor.to(torch.bfloat16)</c> (NaN becomes 0x7FC0).
    /// </summary>
    public static byte[] FromFloat32(string dtype, ReadOnlySpan<float> values)
    {
        var r = new byte[values.Length * SizeOf(dtype)];
        switch (dtype)
        {
            case "F32":
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(r.AsSpan(i * 4), values[i]);
                break;
            case "F16":
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(r.AsSpan(i * 2), (Half)values[i]);
                break;
            case "BF16":
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(i * 2), ToBFloat16Bits(values[i]));
                break;
            default:
                throw new NotSupportedException($"cannot encode float32 as {dtype} (use F32, F16 or BF16)");
        }
        return r;
    }

    /// <summary>The bfloat16 bit pattern of <paramref name="value"/>, rounded to nearest even (PyTorch's c10::BFloat16 rule).</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
