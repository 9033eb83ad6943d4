namespace NativeEngine.Reference;

/// <summary>LayerNorm then Linear, unfused: the two references one after the other.</summary>
public static class LayerNormLinearRef
{
    /// <summary>y(rows, N) = [GELU](LayerNorm(x)·Wᵀ + bias): x (rows, K), γ, β (K), W (N, K), bias (N) or null.</summary>
    public static float[] Forward(float[] x, float[] normGamma, float[] normBeta, float eps, float[] w, float[]? bias,
        int rows, int n, int k, bool gelu = false) =>
        GemmRef.Linear(LayerNormRef.Forward(x, normGamma, normBeta, k, eps), w, bias, rows, n, k, gelu);
}
