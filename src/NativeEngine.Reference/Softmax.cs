namespace NativeEngine.Reference;

/// <summary>Softmax reference: float64, three plain passes per row, special values as torch.softmax.</summary>
public static class SoftmaxRef
{
    /// <summary>Softmax over the last dimension of a row-major (rows, cols) array.</summary>
    public static float[] Rows(float[] x, int cols)
    {
        var y = new float[x.Length];
        for (int start = 0; start < x.Length; start += cols)
        {
            // max: NaN is skipped here but reaches the sum below, which makes the whole row NaN as in torch.
            double m = double.NegativeInfinity;
            for (int j = 0; j < cols; j++) m = Math.Max(m, double.IsNaN(x[start + j]) ? m : x[start + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(x[start + j] - m); // all −∞ row or +∞: ∞ − ∞ = NaN, as torch
            for (int j = 0; j < cols; j++) y[start + j] = (float)(Math.Exp(x[start + j] - m) / sum);
        }
        return y;
    }
}
