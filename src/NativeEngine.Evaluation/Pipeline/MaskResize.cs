namespace NativeEngine.Evaluation.Pipeline;

/// <summary>
/// Labels follow the image under the seed protocol: PIL <c>Resize(NEAREST)</c>. Anything that is a label, not an
/// intensity, is resized this way: masks, and the semantic class map shown at the image's size.
/// </summary>
public static class MaskResize
{
    /// <summary>
    /// PIL's nearest resize: output pixel x reads source floor((x + 0.5)·in/out) (Pillow's affine transform with
    /// sample centres; exact here because every dataset size over 1024 is a dyadic ratio).
    /// </summary>
    public static T[] Nearest<T>(T[] src, int w, int h, int outW, int outH)
    {
        if (src.Length != w * h) throw new ArgumentException($"label map has {src.Length} values, {w}×{h} expected", nameof(src));
        if (w == outW && h == outH) return src;
        var dst = new T[outW * outH];
        double sx = (double)w / outW, sy = (double)h / outH;
        var xs = new int[outW];
        for (int x = 0; x < outW; x++) xs[x] = Math.Min(w - 1, (int)((x + 0.5) * sx));
        for (int y = 0; y < outH; y++)
        {
            int row = Math.Min(h - 1, (int)((y + 0.5) * sy)) * w;
            for (int x = 0; x < outW; x++) dst[y * outW + x] = src[row + xs[x]];
        }
        return dst;
    }
}
