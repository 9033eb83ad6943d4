using System.Buffers.Binary;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>Conversions of raw little-endian tensor bytes to float32.</summary>
public static class DTypeConvert
{
    /// <summary>Bytes per element of a safetensors dtype name.</summary>
    public static int SizeOf(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "U8" or "I8" or "BOOL" => 1,
        _ => throw new NotSupportedException($"safetensors dtype '{dtype}' is not supported"),
    };

    /// <summary>Converts raw bytes of <paramref name="dtype"/> to float32.</summary>
    public static float[] ToFloat32(string dtype, ReadOnlySpan<byte> data)
    {
        int size = SizeOf(dtype);
        var r = new float[data.Length / size];
        for (int i = 0; i < r.Length; i++)
        {
            var s = data.Slice(i * size, size);
            r[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(s),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(s),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s) << 16),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(s),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(s),
                "U8" or "BOOL" => s[0],
                "I8" => (sbyte)s[0],
                _ => throw new NotSupportedException($"cannot convert {dtype} to float32"),
            };
        }
        return r;
    }
}
