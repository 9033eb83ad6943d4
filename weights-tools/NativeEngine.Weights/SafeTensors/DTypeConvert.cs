using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.SafeTensors;

/// <summary>
/// <see cref="DType"/> by its safetensors name (F32, F16, BF16, F64, I64, I32, I16, I8, U8, U16, U32, U64, BOOL; PyTorch
/// storages map onto the same types) and conversions between raw little-endian bytes and float32.
/// </summary>
public static class DTypeConvert
{
    // Types the safetensors format defines but the engine cannot use: named in the refusal so the user knows why.
    private static readonly string[] KnownUnsupported = ["F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64"];

    /// <summary>
    /// The type a safetensors header or manifest names for tensor <paramref name="tensor"/> of <paramref name="path"/>;
    /// any other name is a <see cref="CheckpointException"/> saying whether the format defines it.
    /// </summary>
    public static DType FromSafeTensorsName(string name, string path, string tensor) =>
        DTypes.TryFromSafeTensorsName(name, out var t) ? t
        : throw new CheckpointException(path, Array.IndexOf(KnownUnsupported, name) >= 0
            ? $"tensor '{tensor}': safetensors dtype '{name}' is valid but not supported by this engine (use F32, F16 or BF16)"
            : $"tensor '{tensor}': unknown safetensors dtype '{name}'");

    /// <summary>Converts raw bytes of <paramref name="dtype"/> to float32.</summary>
    public static float[] ToFloat32(DType dtype, ReadOnlySpan<byte> data)
    {
        var r = new float[data.Length / dtype.SizeOf()];
        ToFloat32(dtype, data, r);
        return r;
    }

    /// <summary>Converts raw little-endian bytes of <paramref name="dtype"/> into <paramref name="destination"/> (one float per element).</summary>
    public static void ToFloat32(DType dtype, ReadOnlySpan<byte> data, Span<float> destination)
    {
        int size = dtype.SizeOf();
        if (data.Length != destination.Length * (long)size)
            throw new ArgumentException($"{dtype.SafeTensorsName()}: {data.Length} bytes do not hold {destination.Length} elements");
        switch (dtype)
        {
            case DType.Float32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(data).CopyTo(destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
                return;
            case DType.Float16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
                return;
            case DType.BFloat16:
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
                DType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                DType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(s),
                DType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(s),
                DType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(s),
                DType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(s),
                DType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(s),
                DType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(s),
                DType.UInt8 or DType.Bool => s[0],
                DType.Int8 => (sbyte)s[0],
                _ => throw new NotSupportedException($"cannot convert {dtype.SafeTensorsName()} to float32"),
            };
        }
    }

    /// <summary>
    /// Encodes float32 values as F32, F16 or BF16 little-endian bytes. F16 rounds to nearest even (System.Half);
    /// BF16 rounds to nearest even exactly as PyTorch's <c>tensor.to(torch.bfloat16)</c> (NaN becomes 0x7FC0).
    /// </summary>
    public static byte[] FromFloat32(DType dtype, ReadOnlySpan<float> values)
    {
        var r = new byte[values.Length * dtype.SizeOf()];
        switch (dtype)
        {
            case DType.Float32:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(r.AsSpan(i * 4), values[i]);
                break;
            case DType.Float16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(r.AsSpan(i * 2), (Half)values[i]);
                break;
            case DType.BFloat16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(i * 2), ToBFloat16Bits(values[i]));
                break;
            default:
                throw new NotSupportedException($"cannot encode float32 as {dtype.SafeTensorsName()} (use F32, F16 or BF16)");
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
