// Its own leaf assembly so Core (ILGPU) and weights-tools (no ILGPU, no Core) share this one type without depending on each other.
namespace NativeEngine.Tensors;

/// <summary>
/// Element types of tensors and of checkpoint files. Compute is float32; half types are storage for weights; the wider
/// and integer types occur in checkpoints (num_batches_tracked is I64) and label files.
/// </summary>
public enum DType
{
    /// <summary>IEEE binary32.</summary>
    Float32,
    /// <summary>IEEE binary16 (storage).</summary>
    Float16,
    /// <summary>bfloat16 (storage, kept as ushort: ILGPU 1.5 has no bf16 type).</summary>
    BFloat16,
    /// <summary>Unsigned byte (labels, masks).</summary>
    UInt8,
    /// <summary>32-bit signed integer.</summary>
    Int32,
    /// <summary>IEEE binary64 (files only).</summary>
    Float64,
    /// <summary>64-bit signed integer (files only).</summary>
    Int64,
    /// <summary>64-bit unsigned integer (files only).</summary>
    UInt64,
    /// <summary>32-bit unsigned integer (files only).</summary>
    UInt32,
    /// <summary>16-bit signed integer (files only).</summary>
    Int16,
    /// <summary>16-bit unsigned integer (files only).</summary>
    UInt16,
    /// <summary>8-bit signed integer (files only).</summary>
    Int8,
    /// <summary>Boolean, one byte (files only).</summary>
    Bool,
}

/// <summary>Sizes and names of <see cref="DType"/> values: the engine's short name and the safetensors name.</summary>
public static class DTypes
{
    // One row per type: the short name the CLI and messages use, and the name safetensors headers (and PyTorch storages) use.
    private static readonly (DType Type, int Size, string Name, string SafeTensorsName)[] Table =
    [
        (DType.Float32, 4, "f32", "F32"), (DType.Float16, 2, "f16", "F16"), (DType.BFloat16, 2, "bf16", "BF16"),
        (DType.UInt8, 1, "u8", "U8"), (DType.Int32, 4, "i32", "I32"), (DType.Float64, 8, "f64", "F64"),
        (DType.Int64, 8, "i64", "I64"), (DType.UInt64, 8, "u64", "U64"), (DType.UInt32, 4, "u32", "U32"),
        (DType.Int16, 2, "i16", "I16"), (DType.UInt16, 2, "u16", "U16"), (DType.Int8, 1, "i8", "I8"), (DType.Bool, 1, "bool", "BOOL"),
    ];

    private static ref readonly (DType Type, int Size, string Name, string SafeTensorsName) Row(DType t)
    {
        if ((uint)t >= (uint)Table.Length) throw new ArgumentOutOfRangeException(nameof(t), t, null);
        return ref Table[(int)t];
    }

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType t) => Row(t).Size;

    /// <summary>Short lower-case name (f32, f16, bf16, u8, i32, f64, i64…).</summary>
    public static string Name(this DType t) => Row(t).Name;

    /// <summary>The safetensors header name (F32, F16, BF16, U8, I32, F64, I64, U64, U32, I16, U16, I8, BOOL).</summary>
    public static string SafeTensorsName(this DType t) => Row(t).SafeTensorsName;

    /// <summary>Whether the type is floating point (F64, F32, F16, BF16).</summary>
    public static bool IsFloat(this DType t) => t is DType.Float32 or DType.Float16 or DType.BFloat16 or DType.Float64;

    /// <summary>The type a safetensors header names (exact, case-sensitive as the format is), or false.</summary>
    public static bool TryFromSafeTensorsName(string name, out DType type)
    {
        foreach (var row in Table)
            if (row.SafeTensorsName == name)
            {
                type = row.Type;
                return true;
            }
        type = default;
        return false;
    }

    /// <summary>Parses f32|f16|bf16|u8|i32 (also float32, float16, bfloat16): the types a tensor of the engine holds.</summary>
    public static DType Parse(string s) => s.Trim().ToLowerInvariant() switch
    {
        "f32" or "float32" or "float" => DType.Float32,
        "f16" or "float16" or "half" => DType.Float16,
        "bf16" or "bfloat16" => DType.BFloat16,
        "u8" or "uint8" => DType.UInt8,
        "i32" or "int32" => DType.Int32,
        _ => throw new ArgumentException($"unknown dtype '{s}': use f32, f16, bf16, u8 or i32"),
    };
}
