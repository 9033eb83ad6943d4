namespace NativeEngine.Reference;

/// <summary>Multi-head attention on a fused QKV tensor, materialising each score row (double accumulation).</summary>
public static class AttentionRef
{
    /// <summary>
    /// qkv (B, N, 3C) → out (B, N, C): softmax(q·kᵀ/√D)·v per head; allowed (B, N, N) optional, 0 = the key scores −1e9
    /// (Hugging Face EoMT's additive mask; a fully-masked row becomes the mean of V).
    /// </summary>
    public static float[] Forward(float[] qkv, int b, int n, int heads, int d, byte[]? allowed = null)
    {
        int c = heads * d;
        var output = new float[b * n * c];
        double scale = 1.0 / Math.Sqrt(d);
        var scores = new double[n];
        for (int bi = 0; bi < b; bi++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < n; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (int e = 0; e < d; e++)
                            s += (double)qkv[(bi * n + i) * 3 * c + h * d + e] * qkv[(bi * n + j) * 3 * c + c + h * d + e];
                        s *= scale;
                        if (allowed is not null && allowed[(bi * n + i) * n + j] == 0) s = -1e9;
                        scores[j] = s;
                        max = Math.Max(max, s);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) sum += scores[j] = Math.Exp(scores[j] - max);
                    for (int e = 0; e < d; e++)
                    {
                        double acc = 0;
                        for (int j = 0; j < n; j++) acc += scores[j] * qkv[(bi * n + j) * 3 * c + 2 * c + h * d + e];
                        output[(bi * n + i) * c + h * d + e] = (float)(acc / sum);
                    }
                }
        return output;
    }

    /// <summary>EoMT's masked-attention mask: 1 except query rows i &lt; Q × patch columns j ≥ firstPatch, where it is logit &gt; 0.</summary>
    public static byte[] QueryPatchMask(float[] gridLogits, int b, int n, int q, int firstPatch)
    {
        var allowed = new byte[b * n * n];
        int patches = n - firstPatch;
        for (int bi = 0; bi < b; bi++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    allowed[(bi * n + i) * n + j] = (byte)(i >= q || j < firstPatch || gridLogits[(bi * q + i) * patches + j - firstPatch] > 0 ? 1 : 0);
        return allowed;
    }

    /// <summary>The same mask as bits: (B, Q, ⌈P/32⌉) words, bit p of query i set where gridLogits[b, i, p] &gt; 0 (P patches).</summary>
    public static uint[] QueryPatchBits(float[] gridLogits, int b, int q, int patches)
    {
        int words = (patches + 31) / 32;
        var bits = new uint[b * q * words];
        for (int row = 0; row < b * q; row++)
            for (int p = 0; p < patches; p++)
                if (gridLogits[row * patches + p] > 0) bits[row * words + p / 32] |= 1u << (p % 32);
        return bits;
    }
}
