namespace NativeEngine.Training.Synthetic;

/// <summary>Small host-side image helpers for the generator: resizes, feathering (blur + eroded interior), CIE L*a*b*.</summary>
internal static class Raster
{
    /// <summary>Bilinear resize of H·W·3 bytes (half-pixel centres, as cv2 INTER_LINEAR).</summary>
    public static byte[] ResizeBilinear(byte[] src, int w, int h, int ow, int oh)
    {
        var dst = new byte[ow * oh * 3];
        for (int y = 0; y < oh; y++)
        {
            double sy = Math.Clamp((y + 0.5) * h / oh - 0.5, 0, h - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, h - 1);
            double ly = sy - y0;
            for (int x = 0; x < ow; x++)
            {
                double sx = Math.Clamp((x + 0.5) * w / ow - 0.5, 0, w - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, w - 1);
                double lx = sx - x0;
                for (int c = 0; c < 3; c++)
                {
                    double v = (1 - ly) * ((1 - lx) * src[(y0 * w + x0) * 3 + c] + lx * src[(y0 * w + x1) * 3 + c])
                             + ly * ((1 - lx) * src[(y1 * w + x0) * 3 + c] + lx * src[(y1 * w + x1) * 3 + c]);
                    dst[(y * ow + x) * 3 + c] = (byte)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }
        return dst;
    }

    /// <summary>Nearest-neighbour resize of a mask (cv2 INTER_NEAREST: floor(dst·in/out)).</summary>
    public static bool[] ResizeNearest(bool[] src, int w, int h, int ow, int oh)
    {
        var dst = new bool[ow * oh];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                dst[y * ow + x] = src[Math.Min(y * h / oh, h - 1) * w + Math.Min(x * w / ow, w - 1)];
        return dst;
    }

    /// <summary>
    /// Soft alpha: the binary mask blurred with a k×k Gaussian (σ as cv2 picks for k: 0.3·((k−1)/2 − 1) + 0.8), then
    /// forced to 1 on the interior (the mask eroded by a k×k box).
    /// </summary>
    public static float[] Feather(bool[] mask, int w, int h, int k)
    {
        int r = k / 2;
        double sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8;
        var kernel = Enumerable.Range(-r, k).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double sum = kernel.Sum();
        for (int i = 0; i < k; i++) kernel[i] /= sum;
        var tmp = new double[w * h];
        var alpha = new float[w * h];
        // Separable blur; outside the patch counts as 0 (background).
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double a = 0;
                for (int i = -r; i <= r; i++) if (x + i >= 0 && x + i < w && mask[y * w + x + i]) a += kernel[i + r];
                tmp[y * w + x] = a;
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double a = 0;
                for (int i = -r; i <= r; i++) if (y + i >= 0 && y + i < h) a += kernel[i + r] * tmp[(y + i) * w + x];
                alpha[y * w + x] = (float)a;
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool interior = true;
                for (int dy = -r; dy <= r && interior; dy++)
                    for (int dx = -r; dx <= r && interior; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        interior = yy >= 0 && yy < h && xx >= 0 && xx < w && mask[yy * w + xx];
                    }
                if (interior) alpha[y * w + x] = 1f;
            }
        return alpha;
    }
}

/// <summary>sRGB (D65) ↔ CIE L*a*b*.</summary>
internal static class Lab
{
    private const double Xn = 0.95047, Yn = 1.0, Zn = 1.08883;

    public static (double L, double A, double B) FromRgb(byte r, byte g, byte b)
    {
        double R = Lin(r / 255.0), G = Lin(g / 255.0), B = Lin(b / 255.0);
        double x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / Xn, y = (0.2126 * R + 0.7152 * G + 0.0722 * B) / Yn, z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / Zn;
        double fx = F(x), fy = F(y), fz = F(z);
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    public static (byte R, byte G, byte B) ToRgb(double l, double a, double b)
    {
        double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
        double x = Xn * Finv(fx), y = Yn * Finv(fy), z = Zn * Finv(fz);
        double R = 3.2406 * x - 1.5372 * y - 0.4986 * z, G = -0.9689 * x + 1.8758 * y + 0.0415 * z, B = 0.0557 * x - 0.2040 * y + 1.0570 * z;
        return (Byte(R), Byte(G), Byte(B));
    }

    private static double Lin(double c) => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    private static double Gamma(double c) => c <= 0.0031308 ? 12.92 * c : 1.055 * Math.Pow(c, 1 / 2.4) - 0.055;
    private static byte Byte(double c) => (byte)Math.Clamp(Math.Round(Gamma(Math.Clamp(c, 0, 1)) * 255), 0, 255);
    private static double F(double t) => t > 216.0 / 24389 ? Math.Cbrt(t) : (24389.0 / 27 * t + 16) / 116;
    private static double Finv(double t) => t * t * t > 216.0 / 24389 ? t * t * t : (116 * t - 16) * 27 / 24389;
}
