namespace NativeEngine.Reference;

/// <summary>Activation references in float64: exact GELU (with a float64 erf), sigmoid, ReLU, silu(a)·b.</summary>
public static class ActivationRef
{
    /// <summary>
    /// erf in float64 from the everywhere-convergent series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)),
    /// whose terms are all positive (no cancellation); erfc(6) ≈ 2e-17, so |x| ≥ 6 returns ±1.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (Math.Abs(x) >= 6) return Math.Sign(x);
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; Math.Abs(term) > 1e-18 * Math.Abs(sum); n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
    }

    /// <summary>0.5·x·(1 + erf(x/√2)); −∞ gives NaN (∞·0), as F.gelu does.</summary>
    public static float[] GeluErf(float[] x) => x.Select(v => (float)(0.5 * v * (1 + Erf(v / Math.Sqrt(2))))).ToArray();

    /// <summary>1 / (1 + e^−x).</summary>
    public static float[] Sigmoid(float[] x) => x.Select(v => (float)(1 / (1 + Math.Exp(-(double)v)))).ToArray();

    /// <summary>max(x, 0) with NaN kept.</summary>
    public static float[] Relu(float[] x) => x.Select(v => v < 0 ? 0f : v).ToArray();

    /// <summary>a / (1 + e^−a) · b; silu(−∞) is NaN (−∞/∞), as F.silu does.</summary>
    public static float[] SiLUMul(float[] a, float[] b) => a.Select((v, i) => (float)(v / (1 + Math.Exp(-(double)v)) * b[i])).ToArray();
}
