namespace NativeEngine.Tensors;

/// <summary>
/// The arithmetic a model's matrix products run in, chosen by the user (`--precision`). Accumulation is always
/// float32; the choice says how the operands are rounded (as the tensor cores round them) and, for bf16/fp16, the type
/// the matmul weights are stored in on the device. Statistics, the heads and the metrics stay float32 in every mode.
/// </summary>
public enum Precision
{
    /// <summary>float32 operands and products: the exact path (the default).</summary>
    Fp32,
    /// <summary>float32 storage, GEMM operands rounded to tf32 (10-bit mantissa, nearest, ties away: cvt.rna.tf32.f32).
    /// Attention stays float32 (there is no tf32 flash kernel).</summary>
    Tf32,
    /// <summary>bfloat16 weights and operands (8-bit exponent, 7-bit mantissa, nearest even).</summary>
    Bf16,
    /// <summary>IEEE half weights and operands (5-bit exponent, 10-bit mantissa, nearest even).</summary>
    Fp16,
}

/// <summary>Names, parsing and storage types of <see cref="Precision"/>.</summary>
public static class Precisions
{
    /// <summary>Every precision, in the order the CLI lists them.</summary>
    public static IReadOnlyList<Precision> All { get; } = [Precision.Fp32, Precision.Tf32, Precision.Bf16, Precision.Fp16];

    /// <summary>"fp32", "tf32", "bf16", "fp16" (what `--precision` takes).</summary>
    public static string Name(this Precision p) => p switch
    {
        Precision.Fp32 => "fp32",
        Precision.Tf32 => "tf32",
        Precision.Bf16 => "bf16",
        Precision.Fp16 => "fp16",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary>Parses a name (case-insensitive); null when it is none of them.</summary>
    public static Precision? TryParse(string? text) =>
        All.Cast<Precision?>().FirstOrDefault(p => string.Equals(p!.Value.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a name or throws naming <paramref name="what"/> and the choices.</summary>
    public static Precision Parse(string? text, string what = "precision") =>
        TryParse(text) ?? throw new ArgumentException($"{what}: unknown precision '{text}'; choices: {string.Join(", ", All.Select(Name))}");

    /// <summary>The storage type of matmul weights in this precision: bf16/f16 for the half modes, f32 otherwise.</summary>
    public static DType WeightType(this Precision p) => p switch
    {
        Precision.Bf16 => DType.BFloat16,
        Precision.Fp16 => DType.Float16,
        _ => DType.Float32,
    };

    /// <summary>True for bf16 and fp16 (16-bit storage).</summary>
    public static bool IsHalf(this Precision p) => p is Precision.Bf16 or Precision.Fp16;
}
