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
        LaunchFromFloatV1(src.Device, (int)src.Length, src.View, dst.Cast<ushort>(), dst.DType == DType.BFloat16 ? 1 : 0);
    }
}
