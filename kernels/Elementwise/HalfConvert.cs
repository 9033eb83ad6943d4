// float32 → bfloat16 / IEEE half storage, round to nearest even (NaN stays NaN, overflow of fp16 goes to ±inf).
// PyTorch: x.bfloat16(), x.half(). The operands of the bf16/fp16 tensor-core kernels.
// v1: one thread per element; 6 B/element (L-1024 activations 4201×1024: 25.8 MB, ~8 µs on an H100).
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Conversions into the 16-bit storage types the tensor-core kernels read.</summary>
public static partial class HalfConvert
{
    [Kernel("to_half", Version = "v1 one thread per element")]
    internal static void FromFloatV1(Index1D i, ArrayView<float> x, ArrayView<ushort> y, int bf16) =>
        y[i] = (ushort)(bf16 != 0 ? TensorCoreOps.FloatToBf16(x[i]) : TensorCoreOps.FloatToHalf(x[i]));

    /// <summary>dst = src rounded to dst's type (bf16 or f16, round to nearest even); same shape.</summary>
    public static void FromFloat(Tensor src, Tensor dst)
    {
        if (src.DType != DType.Float32) throw new ArgumentException($"to half: src must be f32, got {src.DType.Name()}", nameof(src));
        if (dst.DType is not (DType.BFloat16 or DType.Float16))
            throw new ArgumentException($"to half: dst must be bf16 or f16, got {dst.DType.Name()}", nameof(dst));
        if (!src.Shape.Equals(dst.Shape)) throw new ArgumentException($"to half: dst {dst.Shape} must match src {src.Shape}", nameof(dst));
        Int32Extent.Check(src, "to half src");
        if (src.Length == 0) return;
        Op.Run(src.Device, (src, dst));
    }

    /// <summary>
    /// float32 values → bf16 or f16 bits on the host, with the kernel's own rounding (nearest even): how a model stores
    /// its matmul weights in a half precision once, at load, without a float32 copy on the device.
    /// </summary>
    public static ushort[] ToBits(ReadOnlySpan<float> src, DType dtype)
    {
        if (dtype is not (DType.BFloat16 or DType.Float16))
            throw new ArgumentException($"to half: dtype must be bf16 or f16, got {dtype.Name()}", nameof(dtype));
        var bits = new ushort[src.Length];
        bool bf16 = dtype == DType.BFloat16;
        for (int i = 0; i < src.Length; i++)
            bits[i] = (ushort)(bf16 ? TensorCoreOps.FloatToBf16(src[i]) : TensorCoreOps.FloatToHalf(src[i]));
        return bits;
    }

    /// <summary>The op row: a few integer ops per element; 4 bytes read and 2 written per element.</summary>
    public static readonly Op<(Tensor Src, Tensor Dst)> Op = OpRows.PerElement<(Tensor Src, Tensor Dst)>("to_half",
        "dst = src rounded to bf16 or f16, round to nearest even (x.bfloat16(), x.half())", "PrecisionRef.Round", a => a.Src.Length, 4, 6,
        "HalfConvert.FromFloatV1", a => LaunchFromFloatV1(a.Src.Device, (int)a.Src.Length, a.Src.View, a.Dst.Cast<ushort>(), a.Dst.DType == DType.BFloat16 ? 1 : 0));
}
