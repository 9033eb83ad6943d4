namespace NativeEngine.Reference;

/// <summary>Patch extraction and token-sequence assembly.</summary>
public static class EmbedRef
{
    /// <summary>pixels (B, Ch, H, W) → cols (B, (H/p)(W/p), Ch·p·p), columns in (ch, kh, kw) order.</summary>
    public static float[] Im2Col(float[] pixels, int b, int ch, int h, int w, int p)
    {
        int gh = h / p, gw = w / p, k = ch * p * p;
        var cols = new float[b * gh * gw * k];
        for (int bi = 0; bi < b; bi++)
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++)
                    for (int c = 0; c < ch; c++)
                        for (int kh = 0; kh < p; kh++)
                            for (int kw = 0; kw < p; kw++)
                                cols[((bi * gh + gy) * gw + gx) * k + (c * p + kh) * p + kw] = pixels[((bi * ch + c) * h + gy * p + kh) * w + gx * p + kw];
        return cols;
    }

    /// <summary>[cls, registers (R), patches + pos] for each batch item → (B, 1+R+P, C).</summary>
    public static float[] Assemble(float[] patches, float[] pos, float[] cls, float[] registers, int b, int p, int c)
    {
        int r = registers.Length / c, t = 1 + r + p;
        var tokens = new float[b * t * c];
        for (int bi = 0; bi < b; bi++)
        {
            Array.Copy(cls, 0, tokens, bi * t * c, c);
            Array.Copy(registers, 0, tokens, (bi * t + 1) * c, r * c);
            for (int i = 0; i < p; i++)
                for (int e = 0; e < c; e++)
                    tokens[(bi * t + 1 + r + i) * c + e] = patches[(bi * p + i) * c + e] + pos[i * c + e];
        }
        return tokens;
    }

    /// <summary>[queries (Q, C), tokens (B, N, C)] → (B, Q+N, C).</summary>
    public static float[] InsertQueries(float[] tokens, float[] queries, int b, int n, int c)
    {
        int q = queries.Length / c;
        var output = new float[b * (q + n) * c];
        for (int bi = 0; bi < b; bi++)
        {
            Array.Copy(queries, 0, output, bi * (q + n) * c, q * c);
            Array.Copy(tokens, bi * n * c, output, (bi * (q + n) + q) * c, n * c);
        }
        return output;
    }

    /// <summary>x[:, start:start+m, :] of x (B, N, C).</summary>
    public static float[] SliceTokens(float[] x, int b, int n, int c, int start, int m)
    {
        var y = new float[b * m * c];
        for (int bi = 0; bi < b; bi++) Array.Copy(x, (bi * n + start) * c, y, bi * m * c, m * c);
        return y;
    }

    /// <summary>x[:, start:start+P, :] transposed to (B, C, P).</summary>
    public static float[] ToFeatureMap(float[] x, int b, int n, int c, int start, int pixels)
    {
        var map = new float[b * c * pixels];
        for (int bi = 0; bi < b; bi++)
            for (int e = 0; e < c; e++)
                for (int p = 0; p < pixels; p++)
                    map[(bi * c + e) * pixels + p] = x[(bi * n + start + p) * c + e];
        return map;
    }
}
