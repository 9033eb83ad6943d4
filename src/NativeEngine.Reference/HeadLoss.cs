namespace NativeEngine.Reference;

/// <summary>
/// The anomaly head's training loss in float64, written straight from the definitions (seed.md §1.3–§1.4, §2.4):
/// the oracle for central-difference gradient checks. Parameters are keyed by the seed's names.
/// </summary>
public static class HeadLossRef
{
    /// <summary>
    /// Masked mean BCE (pos_weight) of the head in training mode with dropout 0 (BN on batch statistics) on pixel
    /// rows <paramref name="stats"/> (N,4). Hybrid heads also take tokens (B, gh·gw, C) and the sizes.
    /// </summary>
    public static double Loss(IReadOnlyDictionary<string, double[]> p, double[] stats, byte[] labels, double posWeight,
        double[]? tokens = null, int batch = 0, int gridH = 0, int gridW = 0, int height = 0, int width = 0)
    {
        bool bn = p.ContainsKey("mlp.2.running_mean");
        bool hybrid = p.ContainsKey("feature_proj.0.weight");
        string l2 = bn ? "mlp.4" : "mlp.3", l3 = bn ? "mlp.7" : "mlp.6";
        int n = labels.Length;
        double[] x = stats;
        int cin = 4;
        if (hybrid)
        {
            int pd = p["feature_proj.0.bias"].Length, c = p["feature_proj.0.weight"].Length / pd;
            var f = Relu(Linear(tokens!, p["feature_proj.0.weight"], p["feature_proj.0.bias"], batch * gridH * gridW, c, pd));
            var up = Upsample(f, batch, gridH, gridW, pd, height, width);
            x = new double[n * (4 + pd)];
            for (int r = 0; r < n; r++)
            {
                Array.Copy(stats, r * 4, x, r * (4 + pd), 4);
                Array.Copy(up, r * pd, x, r * (4 + pd) + 4, pd);
            }
            cin = 4 + pd;
        }
        int h1 = p["mlp.0.bias"].Length, h2 = p[l2 + ".bias"].Length;
        var a = Relu(Linear(x, p["mlp.0.weight"], p["mlp.0.bias"], n, cin, h1));
        if (bn) a = BatchNorm(a, n, h1, p["mlp.2.weight"], p["mlp.2.bias"]);
        var b2 = Relu(Linear(a, p[l2 + ".weight"], p[l2 + ".bias"], n, h1, h2));
        var logits = Linear(b2, p[l3 + ".weight"], p[l3 + ".bias"], n, h2, 1);
        double sum = 0;
        int valid = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i] == 255) continue;
            valid++;
            double t = labels[i] == 1 ? 1 : 0, s = 1 / (1 + Math.Exp(-logits[i]));
            sum -= posWeight * t * Math.Log(s) + (1 - t) * Math.Log(1 - s);
        }
        return sum / valid;
    }

    private static double[] Linear(double[] x, double[] w, double[] b, int n, int inDim, int outDim)
    {
        var y = new double[n * outDim];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < outDim; o++)
            {
                double acc = b[o];
                for (int k = 0; k < inDim; k++) acc += x[r * inDim + k] * w[o * inDim + k];
                y[r * outDim + o] = acc;
            }
        return y;
    }

    private static double[] Relu(double[] x) => x.Select(v => Math.Max(v, 0)).ToArray();

    private static double[] BatchNorm(double[] x, int n, int c, double[] gamma, double[] beta)
    {
        var y = new double[x.Length];
        for (int k = 0; k < c; k++)
        {
            double mean = 0, var = 0;
            for (int r = 0; r < n; r++) mean += x[r * c + k] / n;
            for (int r = 0; r < n; r++) var += (x[r * c + k] - mean) * (x[r * c + k] - mean) / n;
            for (int r = 0; r < n; r++) y[r * c + k] = (x[r * c + k] - mean) / Math.Sqrt(var + 1e-5) * gamma[k] + beta[k];
        }
        return y;
    }

    // Channels-last bilinear, align_corners=False (torch's source index, clamped at 0).
    private static double[] Upsample(double[] x, int b, int h, int w, int c, int oh, int ow)
    {
        var y = new double[b * oh * ow * c];
        for (int n = 0; n < b; n++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double sy = Math.Max((oy + 0.5) * h / oh - 0.5, 0), sx = Math.Max((ox + 0.5) * w / ow - 0.5, 0);
                    int y0 = Math.Min((int)sy, h - 1), x0 = Math.Min((int)sx, w - 1);
                    int y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
                    double ly = sy - y0, lx = sx - x0;
                    for (int ch = 0; ch < c; ch++)
                    {
                        double V(int yy, int xx) => x[((n * h + yy) * w + xx) * c + ch];
                        y[((n * oh + oy) * ow + ox) * c + ch] = (1 - ly) * ((1 - lx) * V(y0, x0) + lx * V(y0, x1)) + ly * ((1 - lx) * V(y1, x0) + lx * V(y1, x1));
                    }
                }
        return y;
    }
}
