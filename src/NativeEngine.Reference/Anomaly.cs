namespace NativeEngine.Reference;

/// <summary>
/// References for the EoMT-EXT anomaly ops (seed.md §1.2, §1.3, §3.5), written the way the seed's PyTorch computes
/// them (two-pass softmax, literal clamps), in double, returned as float.
/// </summary>
public static class AnomalyRef
{
    /// <summary>Semantic map s (B,K,H,W) = Σ_q sigmoid(m) (B,Q,H,W) · p[:, :, :K] (B,Q,K+1).</summary>
    public static float[] SemanticMap(float[] maskLogits, float[] classProbs, int b, int q, int k, int hw)
    {
        var s = new float[b * k * hw];
        for (int n = 0; n < b; n++)
            for (int c = 0; c < k; c++)
                for (int r = 0; r < hw; r++)
                {
                    double v = 0;
                    for (int j = 0; j < q; j++)
                        v += classProbs[(n * q + j) * (k + 1) + c] / (1 + Math.Exp(-maskLogits[(n * q + j) * hw + r]));
                    s[(n * k + c) * hw + r] = (float)v;
                }
        return s;
    }

    /// <summary>stats (B,4,H,W): max_prob, entropy with clamp 1e-7, energy Σ s, msp = 1 − max_prob.</summary>
    public static float[] Stats(float[] s, int b, int k, int hw)
    {
        var o = new float[b * 4 * hw];
        for (int n = 0; n < b; n++)
            for (int r = 0; r < hw; r++)
            {
                double max = double.NegativeInfinity, ent = 0, sum = 0;
                for (int c = 0; c < k; c++)
                {
                    double v = s[(n * k + c) * hw + r];
                    max = Math.Max(max, v);
                    sum += v;
                    double cl = Math.Max(v, 1e-7);
                    ent -= cl * Math.Log(cl);
                }
                o[(n * 4 + 0) * hw + r] = (float)max;
                o[(n * 4 + 1) * hw + r] = (float)ent;
                o[(n * 4 + 2) * hw + r] = (float)sum;
                o[(n * 4 + 3) * hw + r] = (float)(1 - max);
            }
        return o;
    }

    /// <summary>Baseline score (B,H,W); method 0 MSP, 1 MaxLogit, 2 Entropy, 3 RbA, on z = s/T.</summary>
    public static float[] Baseline(float[] s, int b, int k, int hw, int method, double temperature)
    {
        var o = new float[b * hw];
        var z = new double[k];
        for (int n = 0; n < b; n++)
            for (int r = 0; r < hw; r++)
            {
                for (int c = 0; c < k; c++) z[c] = s[(n * k + c) * hw + r] / temperature;
                double m = z.Max();
                double se = z.Sum(v => Math.Exp(v - m));
                double result = method switch
                {
                    0 => 1 - 1 / se,
                    1 => -m,
                    2 => -z.Sum(v => { double p = Math.Exp(v - m) / se; return p * Math.Log(p + 1e-12); }),
                    _ => -z.Sum(v => Math.Tanh(Math.Max(v, 0))),
                };
                o[n * hw + r] = (float)result;
            }
        return o;
    }

    /// <summary>
    /// Eval-mode head on pixel-major inputs x (N, Cin): Linear–ReLU–[BN]–Linear–ReLU–Linear. BN (after the first
    /// ReLU) is applied when <paramref name="bn"/> is given: (gamma, beta, runningMean, runningVar, eps).
    /// </summary>
    public static float[] Head(float[] x, int n, int cin, float[] w1, float[] b1, float[] w2, float[] b2, float[] w3, float b3,
        (float[] Gamma, float[] Beta, float[] Mean, float[] Var, double Eps)? bn = null)
    {
        int h1 = b1.Length, h2 = b2.Length;
        var y = new float[n];
        var a1 = new double[h1];
        for (int p = 0; p < n; p++)
        {
            for (int i = 0; i < h1; i++)
            {
                double v = b1[i];
                for (int c = 0; c < cin; c++) v += (double)w1[i * cin + c] * x[p * cin + c];
                v = Math.Max(v, 0);
                if (bn is { } t) v = (v - t.Mean[i]) / Math.Sqrt(t.Var[i] + t.Eps) * t.Gamma[i] + t.Beta[i];
                a1[i] = v;
            }
            double o = b3;
            for (int j = 0; j < h2; j++)
            {
                double v = b2[j];
                for (int i = 0; i < h1; i++) v += (double)w2[j * h1 + i] * a1[i];
                o += w3[j] * Math.Max(v, 0);
            }
            y[p] = (float)o;
        }
        return y;
    }

    /// <summary>(B,C,HW) channel planes → (B·HW, C) pixel rows.</summary>
    public static float[] ToPixelMajor(float[] x, int b, int c, int hw)
    {
        var o = new float[x.Length];
        for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
                for (int r = 0; r < hw; r++)
                    o[(n * hw + r) * c + ch] = x[(n * c + ch) * hw + r];
        return o;
    }

    /// <summary>Windows' logits averaged where they overlap, then the sigmoid (the seed's 2-channel softmax).</summary>
    public static float[] StitchedScore(IReadOnlyList<(float[] Logit, int H, int W, int Y0, int X0)> windows, int height, int width)
    {
        var sum = new double[height * width];
        var count = new int[height * width];
        foreach (var (l, h, w, y0, x0) in windows)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    sum[(y0 + y) * width + x0 + x] += l[y * w + x];
                    count[(y0 + y) * width + x0 + x]++;
                }
        return sum.Select((s, i) => (float)(1 / (1 + Math.Exp(-s / Math.Max(count[i], 1))))).ToArray();
    }
}
