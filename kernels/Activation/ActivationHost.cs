// Host versions of the activations: exact GELU (erf form), sigmoid, ReLU and the SwiGLU product silu(a)·b, with the
// semantics of Activation.cs (same erf polynomials, same NaN/±∞ behaviour: gelu(−∞) = NaN, relu keeps NaN and −0).
// Bound: memory for sigmoid/relu/silu (8–12 B per element, one exp at most). GELU is the one with real ALU work: the
// erf evaluates both branches per vector (a degree-5 and a degree-10 polynomial, one exp, two selects ≈ 25 vector
// ops per 16 elements ≈ 1.6 ops per element) — on one Zen 5 core that is ~2 cycles per 16 elements of ALU against
// ~20 cycles of memory at ~25 GB/s, so it still streams at copy speed. ViT-B-640 fc1 output: 1605 × 3072 floats =
// 19.7 MB in + out ≈ 1.6 ms at ~25 GB/s (the GEMM epilogue removes it entirely once fused).
// Versions (host):
//   host  ElementwiseHost.Map/Map2 (chunks of 64 K floats over the cores, ISimd widths); branch-free erf: both
//         polynomials are evaluated and blended with selects, so NaN falls through to the small-|x| branch as in v1.
using System.Runtime.CompilerServices;

namespace NativeEngine.Kernels;

/// <summary>Host (SIMD, multi-core) activations: GELU (erf), sigmoid, ReLU, silu(a)·b.</summary>
public static unsafe class ActivationHost
{
    private const float InvSqrt2 = 0.70710678118654752f;

    // Internal: GemmHost's fused GELU epilogue applies the same lanes.
    internal struct GeluOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged
        {
            TV t = TS.Mul(x, TS.Splat(InvSqrt2));
            TV a = TS.Abs(t);
            // |t| < 0.9: t · P(t²)
            TV s = TS.Mul(t, t);
            TV p = TS.Fma(TS.Splat(-5.938382237e-04f), s, TS.Splat(4.977799952e-03f));
            p = TS.Fma(p, s, TS.Splat(-2.675091848e-02f));
            p = TS.Fma(p, s, TS.Splat(1.128113419e-01f));
            p = TS.Fma(p, s, TS.Splat(-3.761237562e-01f));
            p = TS.Fma(p, s, TS.Splat(1.128379107e+00f));
            TV small = TS.Mul(t, p);
            // 0.9 ≤ |t| < 3.92: ±(1 − exp(Q(|t|)))
            TV q = TS.Fma(TS.Splat(-3.736386986e-07f), a, TS.Splat(7.789734809e-06f));
            q = TS.Fma(q, a, TS.Splat(-7.044360245e-05f));
            q = TS.Fma(q, a, TS.Splat(3.435211838e-04f));
            q = TS.Fma(q, a, TS.Splat(-7.640205440e-04f));
            q = TS.Fma(q, a, TS.Splat(-1.552556991e-03f));
            q = TS.Fma(q, a, TS.Splat(2.126202174e-02f));
            q = TS.Fma(q, a, TS.Splat(-1.044910923e-01f));
            q = TS.Fma(q, a, TS.Splat(-6.357253790e-01f));
            q = TS.Fma(q, a, TS.Splat(-1.128652096e+00f));
            q = TS.Fma(q, a, TS.Splat(3.715492494e-05f));
            TV r = TS.Sub(TS.Splat(1f), TS.Exp(q));
            TV positive = TS.GreaterThan(t, TS.Zero);
            TV large = TS.Select(positive, r, TS.Sub(TS.Zero, r));
            TV one = TS.Select(positive, TS.Splat(1f), TS.Splat(-1f));
            TV erf = TS.Select(TS.GreaterThanOrEqual(a, TS.Splat(3.92f)), one,
                TS.Select(TS.GreaterThanOrEqual(a, TS.Splat(0.9f)), large, small));
            return TS.Mul(TS.Mul(TS.Splat(0.5f), x), TS.Add(TS.Splat(1f), erf));
        }
    }

    private struct SigmoidOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged =>
            TS.Div(TS.Splat(1f), TS.Add(TS.Splat(1f), TS.Exp(TS.Sub(TS.Zero, x))));
    }

    // x < 0 ? 0 : x: NaN and −0 pass through, as torch.relu and v1.
    private struct ReluOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged =>
            TS.Select(TS.LessThan(x, TS.Zero), TS.Zero, x);
    }

    // a / (1 + e^−a) · b, written as torch does so silu(−∞) is NaN (−∞/∞).
    private struct SiLUMulOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV a, TV b) where TS : struct, ISimd<TV> where TV : unmanaged =>
            TS.Mul(TS.Div(a, TS.Add(TS.Splat(1f), TS.Exp(TS.Sub(TS.Zero, a)))), b);
    }

    /// <summary>y = gelu(x) (erf form) over n floats; y may alias x.</summary>
    public static void GeluErf(float* x, float* y, long n) => ElementwiseHost.Map<GeluOp>(x, y, n);

    /// <summary>y = 1 / (1 + e^−x) over n floats; y may alias x.</summary>
    public static void Sigmoid(float* x, float* y, long n) => ElementwiseHost.Map<SigmoidOp>(x, y, n);

    /// <summary>y = x &lt; 0 ? 0 : x over n floats; y may alias x.</summary>
    public static void Relu(float* x, float* y, long n) => ElementwiseHost.Map<ReluOp>(x, y, n);

    /// <summary>y = silu(a)·b over n floats; y may alias a or b.</summary>
    public static void SiLUMul(float* a, float* b, float* y, long n) => ElementwiseHost.Map2<SiLUMulOp>(a, b, y, n);

    /// <summary>Tensor form of <see cref="Activation.GeluErf"/>.</summary>
    public static void GeluErf(Tensors.Tensor x, Tensors.Tensor y) => GeluErf(x.HostPointer<float>(), y.HostPointer<float>(), y.Length);

    /// <summary>Tensor form of <see cref="Activation.Sigmoid"/>.</summary>
    public static void Sigmoid(Tensors.Tensor x, Tensors.Tensor y) => Sigmoid(x.HostPointer<float>(), y.HostPointer<float>(), y.Length);

    /// <summary>Tensor form of <see cref="Activation.Relu"/>.</summary>
    public static void Relu(Tensors.Tensor x, Tensors.Tensor y) => Relu(x.HostPointer<float>(), y.HostPointer<float>(), y.Length);

    /// <summary>Tensor form of <see cref="Activation.SiLUMul"/>.</summary>
    public static void SiLUMul(Tensors.Tensor a, Tensors.Tensor b, Tensors.Tensor y) =>
        SiLUMul(a.HostPointer<float>(), b.HostPointer<float>(), y.HostPointer<float>(), y.Length);
}
