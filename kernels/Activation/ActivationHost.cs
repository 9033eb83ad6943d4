// Host versions of the activations: exact GELU (erf form), sigmoid, ReLU and the SwiGLU product silu(a)·b, with the
// semantics of Activation.cs (same NaN/±∞ behaviour: gelu(−∞) = NaN, gelu(+∞) = +∞, relu keeps NaN and −0).
// Bound: memory for sigmoid/relu/silu (8–12 B per element, one exp at most). GELU is the one with real ALU work.
// ViT-B-640 fc1 output: 1605 × 3072 floats = 19.7 MB in + out ≈ 1.6 ms at ~25 GB/s (the GEMM epilogue removes it
// entirely once fused).
// GELU's erf: the first host version evaluated both branches of the CUDA kernels' erf (a degree-5 polynomial, a
// degree-10 one, one exp, three selects ≈ 45 vector ops + the exp's ~18 per vector) and ran at ~30 % of copy
// bandwidth on the 2-core Zen 5. Now one branch-free form: 1 + erf(x/√2) = erfc(−x/√2), so with a = |x|/√2
// gelu = x·½erfc(a) for x < 0 and x·(1 − ½erfc(a)) otherwise, and erfc(a) = e^(−a²)·R(u) with u = 1/(1 + p·a) and R a
// degree-7 polynomial fitted here for least relative error of erfc(a)·e^(a²) on [0, 4.5] (3.2e-8; derivation and
// check: erfc_fit.py beside this file). One divide, 8 FMAs, one exp, one select ≈ 32 vector ops per 16 elements,
// and the negative tail keeps its relative accuracy (no 1 − erf cancellation). GELU vs float64: ≤ 3.9e-7 absolute.
// Versions (host):
//   host  ElementwiseHost.Map/Map2 (chunks of 64 K floats over the cores, ISimd widths); the erfc form above.
using System.Runtime.CompilerServices;

namespace NativeEngine.Kernels;

/// <summary>Host (SIMD, multi-core) activations: GELU (erf), sigmoid, ReLU, silu(a)·b.</summary>
public static unsafe class ActivationHost
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float ErfcP = 0.465f; // u = 1/(1 + p·a) of the erfc fit (tools: kernels/Activation/erfc_fit.py)

    // Internal: GemmHost's fused GELU epilogue applies the same lanes.
    internal struct GeluOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged
        {
            // 1 + erf(t) = erfc(−t): x < 0 → erfc(a), else 2 − erfc(a), a = |t|, erfc(a) = e^(−a²)·R(u), u = 1/(1 + p·a).
            TV a = TS.Abs(TS.Mul(x, TS.Splat(InvSqrt2)));
            TV u = TS.Div(TS.One, TS.Fma(a, TS.Splat(ErfcP), TS.One));
            TV r = TS.Fma(TS.Splat(9.99741181731224e-02f), u, TS.Splat(-4.8920944333076477e-01f));
            r = TS.Fma(r, u, TS.Splat(7.694382071495056e-01f));
            r = TS.Fma(r, u, TS.Splat(-2.9621198773384094e-01f));
            r = TS.Fma(r, u, TS.Splat(4.3671533465385437e-01f));
            r = TS.Fma(r, u, TS.Splat(2.0980891585350037e-01f));
            r = TS.Fma(r, u, TS.Splat(2.699587047100067e-01f));
            r = TS.Fma(r, u, TS.Splat(-4.738174902740866e-04f));
            TV erfc = TS.Mul(TS.Exp(TS.Neg(TS.Mul(a, a))), r);
            TV half = TS.Mul(TS.Splat(0.5f), erfc);
            // x < 0: x·½erfc(a) (no cancellation: the tail keeps its relative accuracy, −∞·0 = NaN as torch);
            // x ≥ 0: x·(1 − ½erfc(a)) (+∞ stays +∞: e^(−∞) = 0 keeps the factor finite); NaN falls through.
            return TS.Mul(x, TS.Select(TS.LessThan(x, TS.Zero), half, TS.Sub(TS.One, half)));
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
