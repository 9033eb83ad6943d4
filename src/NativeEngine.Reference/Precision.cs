namespace NativeEngine.Reference;

/// <summary>
/// What a tensor core sees of a float32 operand, written independently of the kernels (with System.Half and integer
/// arithmetic on the bits): tf32 keeps 10 mantissa bits (nearest, ties away from zero: cvt.rna.tf32.f32, as cuBLAS
/// rounds), bf16 keeps 7 (nearest even, torch's x.bfloat16()), fp16 is IEEE binary16 (nearest even, x.half()).
/// </summary>
public static class PrecisionRef
{
    /// <summary>Unit roundoff of each operand format: tf32 and fp16 2⁻¹¹, bf16 2⁻⁸.</summary>
    public static double UnitRoundoff(string precision) => precision switch
    {
        "tf32" or "fp16" => Math.Pow(2, -11),
        "bf16" => Math.Pow(2, -8),
        _ => throw new ArgumentException($"unknown precision {precision}"),
    };

    /// <summary>x rounded to tf32, bf16 or fp16 and widened back to float32.</summary>
    public static float Round(float x, string precision) => precision switch
    {
        "tf32" => Tf32(x),
        "bf16" => Bf16(x),
        "fp16" => (float)(Half)x,
        _ => throw new ArgumentException($"unknown precision {precision}"),
    };

    /// <summary>Every element of <paramref name="x"/> rounded (a new array).</summary>
    public static float[] Round(float[] x, string precision) => x.Select(v => Round(v, precision)).ToArray();

    private static float Tf32(float x)
    {
        if (!float.IsFinite(x)) return x;
        // Round the magnitude to a multiple of 2^(e−10), ties away from zero.
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint sign = bits & 0x80000000u, mag = bits & 0x7FFFFFFFu;
        uint rounded = (mag + (1u << 12)) & ~((1u << 13) - 1);
        return BitConverter.UInt32BitsToSingle(sign | rounded);
    }

    private static float Bf16(float x)
    {
        if (float.IsNaN(x)) return x;
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint lsb = (bits >> 16) & 1;
        return BitConverter.UInt32BitsToSingle(((bits + 0x7FFFu + lsb) >> 16) << 16);
    }

    /// <summary>The stored bits (bf16 or f16) of <paramref name="x"/>, for building 16-bit inputs on the host.</summary>
    public static ushort Bits(float x, string precision) => precision switch
    {
        "bf16" => (ushort)(BitConverter.SingleToUInt32Bits(Bf16(x)) >> 16),
        "fp16" => BitConverter.HalfToUInt16Bits((Half)x),
        _ => throw new ArgumentException($"{precision} has no 16-bit storage"),
    };
}
