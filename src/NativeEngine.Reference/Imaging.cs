namespace NativeEngine.Reference;

/// <summary>Imaging references: ImageNet normalisation of a uint8 window, the window-average stitch.</summary>
public static class ImagingRef
{
    private static readonly double[] Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225];

    /// <summary>y (3, rows, cols) = (img[top + r, left + x, c] / 255 − mean[c]) / std[c], computed in float64.</summary>
    public static float[] NormalizeRgb(byte[] image, int width, int top, int left, int rows, int cols)
    {
        var y = new float[3 * rows * cols];
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < rows; r++)
                for (int x = 0; x < cols; x++)
                    y[(c * rows + r) * cols + x] = (float)((image[((top + r) * width + left + x) * 3 + c] / 255.0 - Mean[c]) / Std[c]);
        return y;
    }

    /// <summary>avg (K, h, w): sum of the (n, K, S, S) window scores placed at starts along one axis, divided by the cover count.</summary>
    public static float[] StitchWindows(float[] scores, int[] starts, int k, int s, int h, int w, bool alongHeight)
    {
        var sum = new double[k * h * w];
        var count = new int[h * w];
        for (int j = 0; j < starts.Length; j++)
            for (int c = 0; c < k; c++)
                for (int r = 0; r < s; r++)
                    for (int x = 0; x < s; x++)
                    {
                        int rr = alongHeight ? r + starts[j] : r, xx = alongHeight ? x : x + starts[j];
                        sum[(c * h + rr) * w + xx] += scores[((j * k + c) * s + r) * s + x];
                        if (c == 0) count[rr * w + xx]++;
                    }
        return sum.Select((v, i) => count[i % (h * w)] == 0 ? 0f : (float)(v / count[i % (h * w)])).ToArray();
    }
}
