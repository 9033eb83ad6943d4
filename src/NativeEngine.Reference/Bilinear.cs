namespace NativeEngine.Reference;

/// <summary>PyTorch's bilinear interpolation (align_corners = False, no antialias), one axis at a time in the math.</summary>
public static class BilinearRef
{
    /// <summary>Resize every (H, W) plane of x to (outH, outW).</summary>
    public static float[] Resize(float[] x, int planes, int h, int w, int outH, int outW)
    {
        var y = new float[planes * outH * outW];
        for (int pl = 0; pl < planes; pl++)
            for (int oy = 0; oy < outH; oy++)
            {
                var (y0, y1, ly) = Source(oy, h, outH);
                for (int ox = 0; ox < outW; ox++)
                {
                    var (x0, x1, lx) = Source(ox, w, outW);
                    double top = (1 - lx) * x[(pl * h + y0) * w + x0] + lx * x[(pl * h + y0) * w + x1];
                    double bottom = (1 - lx) * x[(pl * h + y1) * w + x0] + lx * x[(pl * h + y1) * w + x1];
                    y[(pl * outH + oy) * outW + ox] = (float)((1 - ly) * top + ly * bottom);
                }
            }
        return y;
    }

    // src = (dst + 0.5)·in/out − 0.5, clamped at 0 (PyTorch's area_pixel_compute_source_index for linear modes);
    // the right neighbour is clamped to the last pixel.
    private static (int I0, int I1, double Lambda) Source(int dst, int size, int outSize)
    {
        double src = Math.Max((dst + 0.5) * size / outSize - 0.5, 0);
        int i0 = Math.Min((int)src, size - 1);
        int i1 = Math.Min(i0 + 1, size - 1);
        return (i0, i1, Math.Min(src - i0, 1));
    }
}
