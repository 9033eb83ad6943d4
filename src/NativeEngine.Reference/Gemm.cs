namespace NativeEngine.Reference;

/// <summary>GEMM reference: triple loop with float64 accumulation over row-major (optionally transposed) operands.</summary>
public static class GemmRef
{
    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C + bias for <paramref name="batch"/> matrices; A holds batch·M·K values stored (M, K)
    /// or (K, M) when <paramref name="transA"/>; B holds K·N values per batch (or one shared matrix when
    /// <paramref name="sharedB"/>) stored (K, N) or (N, K); C (batch, M, N) is read only when beta ≠ 0; bias (N) may be
    /// null; <paramref name="gelu"/> applies exact GELU last.
    /// </summary>
    public static float[] Matmul(float[] a, float[] b, float[]? c, int batch, int m, int n, int k, bool transA, bool transB,
        bool sharedB = false, float[]? bias = null, float alpha = 1, float beta = 0, bool gelu = false)
    {
        var y = new float[batch * m * n];
        for (int z = 0; z < batch; z++)
        {
            int aBase = z * m * k, bBase = sharedB ? 0 : z * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int t = 0; t < k; t++)
                    {
                        double av = a[aBase + (transA ? t * m + i : i * k + t)];
                        double bv = b[bBase + (transB ? j * k + t : t * n + j)];
                        acc += av * bv;
                    }
                    int at = (z * m + i) * n + j;
                    double v = alpha * acc;
                    if (beta != 0) v += beta * c![at];
                    if (bias is not null) v += bias[j];
                    if (gelu) v = 0.5 * v * (1 + ActivationRef.Erf(v / Math.Sqrt(2)));
                    y[at] = (float)v;
                }
        }
        return y;
    }

    /// <summary>y(rows, N) = x(rows, K)·Wᵀ + bias, W (N, K) as nn.Linear.</summary>
    public static float[] Linear(float[] x, float[] w, float[]? bias, int rows, int n, int k, bool gelu = false) =>
        Matmul(x, w, null, 1, rows, n, k, transA: false, transB: true, bias: bias, gelu: gelu);

    /// <summary>y(rows, N) = residual + gamma ⊙ (x·Wᵀ + bias): the LayerScale + residual epilogue, written unfused as the
    /// block does it (F.linear, then x + gamma * h).</summary>
    public static float[] LinearLayerScale(float[] x, float[] w, float[]? bias, float[] gamma, float[] residual, int rows, int n, int k) =>
        LayerScaleRef.AddScaled(residual, Linear(x, w, bias, rows, n, k), gamma);
}
