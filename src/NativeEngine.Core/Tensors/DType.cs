namespace NativeEngine.Tensors;

/// <summary>Element types a tensor can hold. Compute is float32; half types are storage for weights.</summary>
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
}

/// <summary>Sizes and names of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType t) => t switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 => 2,
        DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    /// <summary>Short lower-case name (f32, f16, bf16, u8, i32).</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "f32",
        DType.Float16 => "f16",
        DType.BFloat16 => "bf16",
        DType.UInt8 => "u8",
        DType.Int32 => "i32",
        _ => t.ToString(),
    };

    /// <summary>Parses f32|f16|bf16|u8|i32 (also float32, float16, bfloat16).</summary>
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
