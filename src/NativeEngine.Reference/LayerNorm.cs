namespace NativeEngine.Reference;

/// <summary>LayerNorm reference: float64 two-pass mean and biased variance per row, as F.layer_norm.</summary>
public static class LayerNormRef
{
    /// <summary>y = (x − μ)/√(σ² + eps)·γ + β over the last dimension of a row-major (rows, cols) array.</summary>
    public static float[] Forward(float[] x, float[] gamma, float[] beta, int cols, float eps)
    {
        var y = new float[x.Length];
        for (int start = 0; start < x.Length; start += cols)
        {
            double mean = 0;
            for (int j = 0; j < cols; j++) mean += x[start + j];
            mean /= cols;
            double var = 0;
            for (int j = 0; j < cols; j++) var += (x[start + j] - mean) * (x[start + j] - mean);
            var /= cols;
            double rstd = 1 / Math.Sqrt(var + eps);
            for (int j = 0; j < cols; j++) y[start + j] = (float)((x[start + j] - mean) * rstd * gamma[j] + beta[j]);
        }
        return y;
    }
}
