namespace NativeEngine.Reference;

/// <summary>The upscale block's convolutions, written as the textbook sums.</summary>
public static class ConvRef
{
    /// <summary>ConvTranspose2d k2 s2: y[b, o, 2y+i, 2x+j] = bias[o] + Σ_c w[c, o, i, j]·x[b, c, y, x].</summary>
    public static float[] ConvTranspose2x2(float[] x, float[] weight, float[] bias, int b, int cin, int cout, int h, int w)
    {
        var y = new float[b * cout * 4 * h * w];
        for (int bi = 0; bi < b; bi++)
            for (int o = 0; o < cout; o++)
                for (int yy = 0; yy < h; yy++)
                    for (int xx = 0; xx < w; xx++)
                        for (int i = 0; i < 2; i++)
                            for (int j = 0; j < 2; j++)
                            {
                                double acc = bias[o];
                                for (int c = 0; c < cin; c++)
                                    acc += (double)weight[((c * cout + o) * 2 + i) * 2 + j] * x[((bi * cin + c) * h + yy) * w + xx];
                                y[((bi * cout + o) * 2 * h + 2 * yy + i) * 2 * w + 2 * xx + j] = (float)acc;
                            }
        return y;
    }

    /// <summary>Depthwise 3×3, zero padding 1, no bias: y[b,c,h,w] = Σ w[c,0,i,j]·x[b,c,h+i−1,w+j−1].</summary>
    public static float[] DepthwiseConv3x3(float[] x, float[] weight, int b, int c, int h, int w)
    {
        var y = new float[x.Length];
        for (int bi = 0; bi < b; bi++)
            for (int e = 0; e < c; e++)
                for (int yy = 0; yy < h; yy++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        double acc = 0;
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++)
                            {
                                int sy = yy + i - 1, sx = xx + j - 1;
                                if (sy >= 0 && sy < h && sx >= 0 && sx < w)
                                    acc += (double)weight[e * 9 + i * 3 + j] * x[((bi * c + e) * h + sy) * w + sx];
                            }
                        y[((bi * c + e) * h + yy) * w + xx] = (float)acc;
                    }
        return y;
    }
}
