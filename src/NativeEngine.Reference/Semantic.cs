namespace NativeEngine.Reference;

/// <summary>The semantic head: mask-logit einsum and the class-weighted sigmoid sum.</summary>
public static class SemanticRef
{
    /// <summary>logits[b, q, p] = Σ_c queries[b, q, c]·features[b, c, p].</summary>
    public static float[] MaskLogits(float[] queries, float[] features, int b, int q, int c, int pixels)
    {
        var logits = new float[b * q * pixels];
        for (int bi = 0; bi < b; bi++)
            for (int qi = 0; qi < q; qi++)
                for (int p = 0; p < pixels; p++)
                {
                    double acc = 0;
                    for (int e = 0; e < c; e++) acc += (double)queries[(bi * q + qi) * c + e] * features[(bi * c + e) * pixels + p];
                    logits[(bi * q + qi) * pixels + p] = (float)acc;
                }
        return logits;
    }

    /// <summary>map[b, k, p] = Σ_q softmax(class[b, q, :])[k]·σ(mask[b, q, p]) for k &lt; K (no-object dropped, not renormalised).</summary>
    public static float[] Map(float[] masks, float[] classLogits, int b, int q, int k, int pixels)
    {
        var acc = new double[b * k * pixels];
        var prob = new double[k + 1];
        for (int bi = 0; bi < b; bi++)
            for (int qi = 0; qi < q; qi++)
            {
                int row = (bi * q + qi) * (k + 1);
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j <= k; j++) max = Math.Max(max, classLogits[row + j]);
                for (int j = 0; j <= k; j++) sum += prob[j] = Math.Exp(classLogits[row + j] - max);
                for (int p = 0; p < pixels; p++)
                {
                    double s = 1 / (1 + Math.Exp(-(double)masks[(bi * q + qi) * pixels + p]));
                    for (int j = 0; j < k; j++) acc[(bi * k + j) * pixels + p] += prob[j] / sum * s;
                }
            }
        return acc.Select(v => (float)v).ToArray();
    }

    /// <summary>
    /// <see cref="Map"/> of the low-resolution mask logits (B, Q, h, w) first resized to (outH, outW) by
    /// <see cref="BilinearRef.Resize"/> (EoMT's semantic inference from the mask head's output).
    /// </summary>
    public static float[] MapUpsampled(float[] masks, float[] classLogits, int b, int q, int k, int h, int w, int outH, int outW) =>
        Map(BilinearRef.Resize(masks, b * q, h, w, outH, outW), classLogits, b, q, k, outH * outW);
}
