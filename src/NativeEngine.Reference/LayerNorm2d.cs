namespace NativeEngine.Reference;

/// <summary>LayerNorm over channels per pixel of NCHW (double statistics).</summary>
public static class LayerNorm2dRef
{
    /// <summary>y = (x − μ_c)/√(σ²_c + eps)·gamma + beta at every (b, pixel); biased variance.</summary>
    public static float[] Forward(float[] x, float[] gamma, float[] beta, int b, int c, int pixels, double eps = 1e-6)
    {
        var y = new float[x.Length];
        for (int bi = 0; bi < b; bi++)
            for (int p = 0; p < pixels; p++)
            {
                double mean = 0, var = 0;
                for (int e = 0; e < c; e++) mean += x[(bi * c + e) * pixels + p];
                mean /= c;
                for (int e = 0; e < c; e++) var += Math.Pow(x[(bi * c + e) * pixels + p] - mean, 2);
                double rstd = 1 / Math.Sqrt(var / c + eps);
                for (int e = 0; e < c; e++)
                {
                    int k = (bi * c + e) * pixels + p;
                    y[k] = (float)((x[k] - mean) * rstd * gamma[e] + beta[e]);
                }
            }
        return y;
    }
}
