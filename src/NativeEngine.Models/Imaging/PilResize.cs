namespace NativeEngine.Models.Imaging;

/// <summary>
/// HOST CODE, on purpose: Pillow's <c>Image.resize(BILINEAR)</c> on an RGB uint8 image, bit-exact (Pillow 9.x
/// <c>libImaging/Resample.c</c>; eomt.md §4.2 step 1). It is integer fixed-point arithmetic on a few megapixels once per
/// image, so exactness and readability beat a kernel here. The algorithm:
/// <list type="bullet">
/// <item>two separable passes, horizontal first, the intermediate rounded to uint8;</item>
/// <item>a triangle filter whose support is scaled by max(1, in/out) (antialiased when downscaling), sample centre
/// (i + 0.5)·in/out, taps [(int)(centre − support + 0.5), (int)(centre + support + 0.5)) clipped to the image;</item>
/// <item>weights normalised to sum 1 in float64, then quantised to 22-bit fixed point with round-half-away;</item>
/// <item>each output = clip((2²¹ + Σ pixel·weight) &gt;&gt; 22, 0, 255).</item>
/// </list>
/// </summary>
public static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="rgb"/> (height×width×3, row-major) to newHeight×newWidth×3.</summary>
    public static byte[] Bilinear(byte[] rgb, int width, int height, int newWidth, int newHeight)
    {
        if (rgb.Length != (long)width * height * 3) throw new ArgumentException($"rgb has {rgb.Length} bytes, {width}x{height}x3 expected");
        if (newWidth <= 0 || newHeight <= 0) throw new ArgumentException($"cannot resize to {newWidth}x{newHeight}");
        if (newWidth == width && newHeight == height) return (byte[])rgb.Clone();
        var src = rgb;
        if (newWidth != width)
        {
            var (bounds, k, ksize) = Coefficients(width, newWidth);
            var tmp = new byte[(long)newWidth * height * 3];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < newWidth; x++)
                {
                    int min = bounds[2 * x], count = bounds[2 * x + 1];
                    for (int c = 0; c < 3; c++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int t = 0; t < count; t++) ss += src[((long)y * width + min + t) * 3 + c] * k[x * ksize + t];
                        tmp[((long)y * newWidth + x) * 3 + c] = Clip8(ss);
                    }
                }
            src = tmp;
        }
        if (newHeight == height) return src;
        {
            var (bounds, k, ksize) = Coefficients(height, newHeight);
            var dst = new byte[(long)newWidth * newHeight * 3];
            for (int y = 0; y < newHeight; y++)
            {
                int min = bounds[2 * y], count = bounds[2 * y + 1];
                for (int x = 0; x < newWidth; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int t = 0; t < count; t++) ss += src[((long)(min + t) * newWidth + x) * 3 + c] * k[y * ksize + t];
                        dst[((long)y * newWidth + x) * 3 + c] = Clip8(ss);
                    }
            }
            return dst;
        }
    }

    private static byte Clip8(int v)
    {
        int s = v >> PrecisionBits; // arithmetic shift, as C on the negative sums of negative taps
        return (byte)(s < 0 ? 0 : s > 255 ? 255 : s);
    }

    /// <summary>Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output index (first tap, tap count) and fixed-point weights.</summary>
    private static (int[] Bounds, int[] K, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale; // bilinear support 1
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var k = new int[outSize * ksize];
        var w = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double sum = 0;
            for (int x = 0; x < xmax; x++)
            {
                double a = Math.Abs((x + xmin - center + 0.5) * ss);
                w[x] = a < 1.0 ? 1.0 - a : 0.0;
                sum += w[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = sum != 0.0 ? w[x] / sum : w[x];
                k[xx * ksize + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return (bounds, k, ksize);
    }
}
