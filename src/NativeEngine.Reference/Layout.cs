namespace NativeEngine.Reference;

/// <summary>Layout references: token rows, tokens → channels, the masked-attention query mask.</summary>
public static class LayoutRef
{
    /// <summary>y[b, r, c] = x[b, start + r, c] for r &lt; count; x is (B, N, C).</summary>
    public static float[] TokenRows(float[] x, int b, int n, int c, int start, int count)
    {
        var y = new float[b * count * c];
        for (int i = 0; i < b; i++)
            Array.Copy(x, (i * n + start) * c, y, i * count * c, count * c);
        return y;
    }

    /// <summary>y[b, ch, p] = x[b, start + p, ch] for p &lt; pixels.</summary>
    public static float[] TokensToChannels(float[] x, int b, int n, int c, int start, int pixels)
    {
        var y = new float[b * c * pixels];
        for (int i = 0; i < b; i++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < pixels; p++)
                    y[(i * c + ch) * pixels + p] = x[(i * n + start + p) * c + ch];
        return y;
    }

    /// <summary>allowed (B, N, N): 1, except rows &lt; Q × columns ≥ start where it is logits (B, Q, N − start) &gt; 0.</summary>
    public static byte[] QueryMask(float[] logits, int b, int n, int q, int start)
    {
        var a = new byte[b * n * n];
        for (int i = 0; i < b; i++)
            for (int r = 0; r < n; r++)
                for (int j = 0; j < n; j++)
                    a[(i * n + r) * n + j] = r < q && j >= start ? (byte)(logits[(i * q + r) * (n - start) + j - start] > 0 ? 1 : 0) : (byte)1;
        return a;
    }
}
