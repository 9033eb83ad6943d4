namespace NativeEngine.Reference;

/// <summary>
/// Plain-loop double-precision references for the anomaly head's training ops (kernels/Train): linear and its
/// gradients, ReLU, dropout, layout changes, bilinear upsampling and its adjoint, BatchNorm1d, masked BCE, Adam.
/// Row-major (N, C) everywhere.
/// </summary>
public static class TrainRef
{
    /// <summary>y (N,O) = x (N,I)·Wᵀ + b.</summary>
    public static float[] Linear(float[] x, float[] w, float[]? b, int n, int inDim, int outDim)
    {
        var y = new float[n * outDim];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < outDim; o++)
            {
                double acc = b?[o] ?? 0;
                for (int k = 0; k < inDim; k++) acc += (double)x[r * inDim + k] * w[o * inDim + k];
                y[r * outDim + o] = (float)acc;
            }
        return y;
    }

    /// <summary>dx (N,I) = dy (N,O)·W.</summary>
    public static float[] LinearGradInput(float[] dy, float[] w, int n, int inDim, int outDim)
    {
        var dx = new float[n * inDim];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < inDim; k++)
            {
                double acc = 0;
                for (int o = 0; o < outDim; o++) acc += (double)dy[r * outDim + o] * w[o * inDim + k];
                dx[r * inDim + k] = (float)acc;
            }
        return dx;
    }

    /// <summary>dW (O,I) = dyᵀ·x.</summary>
    public static float[] LinearGradWeight(float[] dy, float[] x, int n, int inDim, int outDim)
    {
        var dw = new float[outDim * inDim];
        for (int o = 0; o < outDim; o++)
            for (int k = 0; k < inDim; k++)
            {
                double acc = 0;
                for (int r = 0; r < n; r++) acc += (double)dy[r * outDim + o] * x[r * inDim + k];
                dw[o * inDim + k] = (float)acc;
            }
        return dw;
    }

    /// <summary>y (C) = scale·Σ_n x (N,C).</summary>
    public static float[] ColumnSums(float[] x, int cols, double scale = 1)
    {
        var s = new double[cols];
        for (int i = 0; i < x.Length; i++) s[i % cols] += x[i];
        return s.Select(v => (float)(v * scale)).ToArray();
    }

    /// <summary>Σ x² in double, rounded once (gradient-norm clipping).</summary>
    public static float SumSquares(float[] x) => (float)x.Sum(v => (double)v * v);

    /// <summary>dy where y &gt; 0 (the forward is ActivationRef.Relu).</summary>
    public static float[] ReluBackward(float[] y, float[] dy) => y.Select((v, i) => v > 0 ? dy[i] : 0f).ToArray();

    /// <summary>The dropout draw: lowbias32-mixed (seed, stream, index) → uniform [0,1) with 24 bits.</summary>
    public static double DropoutUniform(uint seed, uint stream, uint index)
    {
        static uint Mix(uint x)
        {
            unchecked
            {
                x ^= x >> 16; x *= 0x7feb352dU; x ^= x >> 15; x *= 0x846ca68bU; x ^= x >> 16;
                return x;
            }
        }
        return (Mix(unchecked(Mix(seed ^ Mix(unchecked(stream + 0x9e3779b9U))) + index)) >> 8) / 16777216.0;
    }

    /// <summary>x·keep/(1−p), keep = uniform ≥ p.</summary>
    public static float[] Dropout(float[] x, float p, int seed, int stream) =>
        x.Select((v, i) => DropoutUniform((uint)seed, (uint)stream, (uint)i) >= p ? (float)(v / (1.0 - p)) : 0f).ToArray();

    /// <summary>[a | b] along columns.</summary>
    public static float[] Concat(float[] a, float[] b, int n, int ca, int cb)
    {
        var y = new float[n * (ca + cb)];
        for (int r = 0; r < n; r++)
        {
            Array.Copy(a, r * ca, y, r * (ca + cb), ca);
            Array.Copy(b, r * cb, y, r * (ca + cb) + ca, cb);
        }
        return y;
    }

    /// <summary>y[:, offset:offset+width].</summary>
    public static float[] Slice(float[] y, int n, int total, int offset, int width)
    {
        var o = new float[n * width];
        for (int r = 0; r < n; r++) Array.Copy(y, r * total + offset, o, r * width, width);
        return o;
    }

    // torch upsample_bilinear2d, align_corners=False: source = max((dst + 0.5)·in/out − 0.5, 0).
    private static (int I0, int I1, double L1) Taps(int dst, int inSize, int outSize)
    {
        double src = Math.Max((dst + 0.5) * inSize / outSize - 0.5, 0);
        int i0 = Math.Min((int)Math.Floor(src), inSize - 1);
        return (i0, Math.Min(i0 + 1, inSize - 1), src - i0);
    }

    /// <summary>Bilinear (align_corners=False) channels-last (B,h,w,C) → (B,H,W,C).</summary>
    public static float[] Upsample(float[] x, int b, int h, int w, int c, int oh, int ow)
    {
        var y = new float[b * oh * ow * c];
        ForEachTap(b, h, w, c, oh, ow, (o, i, wt) => y[o] += (float)(wt * x[i]));
        return y;
    }

    /// <summary>The adjoint of <see cref="Upsample"/>: dx (B,h,w,C) from dy (B,H,W,C).</summary>
    public static float[] UpsampleBackward(float[] dy, int b, int h, int w, int c, int oh, int ow)
    {
        var dx = new double[b * h * w * c];
        ForEachTap(b, h, w, c, oh, ow, (o, i, wt) => dx[i] += wt * dy[o]);
        return dx.Select(v => (float)v).ToArray();
    }

    private static void ForEachTap(int b, int h, int w, int c, int oh, int ow, Action<int, int, double> tap)
    {
        for (int n = 0; n < b; n++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    var (y0, y1, ly) = Taps(y, h, oh);
                    var (x0, x1, lx) = Taps(x, w, ow);
                    for (int ch = 0; ch < c; ch++)
                    {
                        int o = ((n * oh + y) * ow + x) * c + ch;
                        tap(o, ((n * h + y0) * w + x0) * c + ch, (1 - ly) * (1 - lx));
                        tap(o, ((n * h + y0) * w + x1) * c + ch, (1 - ly) * lx);
                        tap(o, ((n * h + y1) * w + x0) * c + ch, ly * (1 - lx));
                        tap(o, ((n * h + y1) * w + x1) * c + ch, ly * lx);
                    }
                }
    }

    /// <summary>BatchNorm1d training forward: y, and the updated running mean and (unbiased) variance.</summary>
    public static (float[] Y, float[] RunningMean, float[] RunningVar) BatchNormTrain(float[] x, int n, int c, float[] gamma, float[] beta,
        float[] runningMean, float[] runningVar, double eps = 1e-5, double momentum = 0.1)
    {
        var (mean, var) = Moments(x, n, c);
        var y = new float[x.Length];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < c; k++)
                y[r * c + k] = (float)((x[r * c + k] - mean[k]) / Math.Sqrt(var[k] + eps) * gamma[k] + beta[k]);
        var rm = runningMean.Select((v, k) => (float)((1 - momentum) * v + momentum * mean[k])).ToArray();
        var rv = runningVar.Select((v, k) => (float)((1 - momentum) * v + momentum * var[k] * n / (n - 1))).ToArray();
        return (y, rm, rv);
    }

    /// <summary>BatchNorm1d training backward: dx, dγ, dβ.</summary>
    public static (float[] Dx, float[] DGamma, float[] DBeta) BatchNormBackward(float[] x, float[] dy, int n, int c, float[] gamma, double eps = 1e-5)
    {
        var (mean, var) = Moments(x, n, c);
        var dg = new double[c];
        var db = new double[c];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < c; k++)
            {
                double xhat = (x[r * c + k] - mean[k]) / Math.Sqrt(var[k] + eps);
                db[k] += dy[r * c + k];
                dg[k] += dy[r * c + k] * xhat;
            }
        var dx = new float[x.Length];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < c; k++)
            {
                double rs = 1 / Math.Sqrt(var[k] + eps), xhat = (x[r * c + k] - mean[k]) * rs;
                dx[r * c + k] = (float)(gamma[k] * rs * (dy[r * c + k] - db[k] / n - xhat * dg[k] / n));
            }
        return (dx, dg.Select(v => (float)v).ToArray(), db.Select(v => (float)v).ToArray());
    }

    private static (double[] Mean, double[] Var) Moments(float[] x, int n, int c)
    {
        var mean = new double[c];
        var var = new double[c];
        for (int i = 0; i < x.Length; i++) mean[i % c] += x[i] / (double)n;
        for (int i = 0; i < x.Length; i++) var[i % c] += (x[i] - mean[i % c]) * (x[i] - mean[i % c]) / n;
        return (mean, var);
    }

    /// <summary>Masked mean BCE with logits and pos_weight: (loss, ∂loss/∂x); labels 255 are void.</summary>
    public static (double Loss, float[] Grad) Bce(float[] x, byte[] labels, double posWeight)
    {
        int valid = labels.Count(l => l != 255);
        double sum = 0;
        var g = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            if (labels[i] == 255) continue;
            double t = labels[i] == 1 ? 1 : 0, s = 1 / (1 + Math.Exp(-x[i]));
            sum += -(posWeight * t * Math.Log(s) + (1 - t) * Math.Log(1 - s));
            g[i] = (float)((posWeight * t * (s - 1) + (1 - t) * s) / valid);
        }
        return (valid > 0 ? sum / valid : 0, g);
    }

    /// <summary>One torch Adam/AdamW step; returns (p, m, v).</summary>
    public static (float[] P, float[] M, float[] V) Adam(float[] p, float[] grad, float[] m, float[] v, int step, double lr,
        double beta1, double beta2, double eps, double wd, bool decoupled, double gradScale = 1)
    {
        var po = new float[p.Length];
        var mo = new float[p.Length];
        var vo = new float[p.Length];
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        for (int i = 0; i < p.Length; i++)
        {
            double w = decoupled ? p[i] * (1 - lr * wd) : p[i];
            double g = grad[i] * gradScale + (decoupled ? 0 : wd * w);
            double mi = beta1 * m[i] + (1 - beta1) * g, vi = beta2 * v[i] + (1 - beta2) * g * g;
            po[i] = (float)(w - lr / bc1 * mi / (Math.Sqrt(vi) / Math.Sqrt(bc2) + eps));
            mo[i] = (float)mi;
            vo[i] = (float)vi;
        }
        return (po, mo, vo);
    }
}
