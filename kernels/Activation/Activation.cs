// Activations, elementwise: y = gelu(x) (exact, erf form), y = sigmoid(x), y = relu(x), y = silu(a) * b (SwiGLU).
// PyTorch: F.gelu(x, approximate='none'), torch.sigmoid, torch.relu, F.silu(a) * b.
// v1: one thread per element, implicitly grouped. Memory bound: 8 B/element (12 for SiLUMul); an H100 at ~3.35 TB/s
//     moves ~400 G elements/s, so a 1600×4096 ViT-L MLP activation (6.5 M elements) costs ~16 µs unfused; the GEMM
//     epilogue (Gemm.Linear with GemmEpilogue.Gelu) removes that round trip.
//
// erf: ILGPU has no erf without LibDevice, so we carry our own float32 erf (accurate to ~1e-7 absolute):
//   |x| < 0.9         erf(x) = x · P(x²),          P of degree 5
//   0.9 ≤ |x| < 3.92  erf(x) = ±(1 − exp(Q(|x|))), Q of degree 10 approximating log(erfc(|x|))
//   |x| ≥ 3.92        erf(x) = ±1 (erfc(3.92) ≈ 5e-8 is below half an ulp of 1)
// The coefficients are our own near-minimax fits (Lawson-reweighted least squares on 4000 Chebyshev nodes against
// mpmath's erf, error weighted as absolute error of erf). Max |error| measured in float32 over [-5, 5]: 7.5e-8.
// NaN falls through both range tests to the polynomial branch and propagates; ±∞ gives ±1.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Elementwise activations: exact GELU, sigmoid, ReLU and the SwiGLU product silu(a)·b.</summary>
public static partial class Activation
{
    private const float InvSqrt2 = 0.70710678118654752f;

    /// <summary>float32 erf, ~1e-7 absolute error; callable from any kernel in this assembly.</summary>
    internal static float Erf(float x)
    {
        float a = XMath.Abs(x);
        if (a >= 3.92f) return x > 0 ? 1f : -1f;
        if (a >= 0.9f)
        {
            float q = -3.736386986e-07f;
            q = q * a + 7.789734809e-06f;
            q = q * a - 7.044360245e-05f;
            q = q * a + 3.435211838e-04f;
            q = q * a - 7.640205440e-04f;
            q = q * a - 1.552556991e-03f;
            q = q * a + 2.126202174e-02f;
            q = q * a - 1.044910923e-01f;
            q = q * a - 6.357253790e-01f;
            q = q * a - 1.128652096e+00f;
            q = q * a + 3.715492494e-05f;
            float r = 1f - XMath.Exp(q);
            return x > 0 ? r : -r;
        }
        float s = x * x;
        float p = -5.938382237e-04f;
        p = p * s + 4.977799952e-03f;
        p = p * s - 2.675091848e-02f;
        p = p * s + 1.128113419e-01f;
        p = p * s - 3.761237562e-01f;
        p = p * s + 1.128379107e+00f;
        return x * p;
    }

    /// <summary>Exact GELU 0.5·x·(1 + erf(x/√2)), as F.gelu(approximate='none'); gelu(−∞) is NaN, as in torch.</summary>
    internal static float GeluValue(float x) => 0.5f * x * (1f + Erf(x * InvSqrt2));

    /// <summary>1 / (1 + e^−x): saturates to 0 and 1 at ∓∞ without NaN.</summary>
    internal static float SigmoidValue(float x) => 1f / (1f + XMath.Exp(-x));

    [Kernel("gelu_erf")]
    internal static void GeluErfV1(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = GeluValue(x[i]);

    [Kernel("sigmoid")]
    internal static void SigmoidV1(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = SigmoidValue(x[i]);

    // x < 0 ? 0 : x keeps NaN (and −0) as torch.relu does; XMath.Max would turn NaN into 0 on the GPU (max.f32).
    [Kernel("relu")]
    internal static void ReluV1(Index1D i, ArrayView<float> x, ArrayView<float> y)
    {
        float v = x[i];
        y[i] = v < 0f ? 0f : v;
    }

    // silu(a) = a / (1 + e^−a), written as torch does so silu(−∞) is NaN there and here.
    [Kernel("silu_mul")]
    internal static void SiLUMulV1(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y)
    {
        float v = a[i];
        y[i] = v / (1f + XMath.Exp(-v)) * b[i];
    }

    /// <summary>y = gelu(x) with the exact erf form (F.gelu(x, approximate='none')); y may alias x.</summary>
    public static void GeluErf(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        SameLength("gelu_erf", x, y);
        if (choice.UseHost(x.Device)) { ActivationHost.GeluErf(x, y); return; }
        LaunchGeluErfV1(x.Device, (int)x.Length, x.View, y.View);
    }

    /// <summary>y = 1 / (1 + e^−x) (torch.sigmoid); y may alias x.</summary>
    public static void Sigmoid(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        SameLength("sigmoid", x, y);
        if (choice.UseHost(x.Device)) { ActivationHost.Sigmoid(x, y); return; }
        LaunchSigmoidV1(x.Device, (int)x.Length, x.View, y.View);
    }

    /// <summary>y = max(x, 0), NaN kept (torch.relu); y may alias x.</summary>
    public static void Relu(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        SameLength("relu", x, y);
        if (choice.UseHost(x.Device)) { ActivationHost.Relu(x, y); return; }
        LaunchReluV1(x.Device, (int)x.Length, x.View, y.View);
    }

    /// <summary>y = silu(a) · b (the SwiGLU gate, F.silu(a) * b); a, b, y have the same shape; y may alias a or b.</summary>
    public static void SiLUMul(Tensor a, Tensor b, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        SameLength("silu_mul", a, y);
        if (b.Length != a.Length)
            throw new ArgumentException($"silu_mul: b has shape {b.Shape}, expected the shape of a {a.Shape}", nameof(b));
        if (choice.UseHost(a.Device)) { ActivationHost.SiLUMul(a, b, y); return; }
        LaunchSiLUMulV1(a.Device, (int)a.Length, a.View, b.View, y.View);
    }

    private static void SameLength(string op, Tensor x, Tensor y)
    {
        if (y.Length != x.Length)
            throw new ArgumentException($"{op}: y has shape {y.Shape}, expected the shape of x {x.Shape}", nameof(y));
    }
}
