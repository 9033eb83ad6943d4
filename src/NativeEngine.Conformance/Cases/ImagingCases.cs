using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class ImagingCases
{
    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var (h, w, top, left, rows, cols) in new[] { (1, 1, 0, 0, 1, 1), (40, 68, 0, 28, 40, 40), (33, 31, 2, 0, 31, 31) })
            yield return new(Imaging.NormalizeRgbOp.Plain, $"[{h},{w},3] window {rows}x{cols} at ({top},{left})", 1e-6, 1e-6,
                "float32 (p/255 − mean)/std against float64: two roundings", d => Normalize(d, h, w, top, left, rows, cols));
        foreach (var (k, s, len, starts, along) in new[] { (1, 1, 1, new[] { 0 }, false), (3, 8, 14, new[] { 0, 6 }, false), (2, 5, 13, new[] { 0, 4, 8 }, true) })
            yield return new(Imaging.StitchWindowsOp.Plain, $"K{k} S{s} long side {len}, {starts.Length} windows", 1e-6, 1e-6,
                "at most a few float32 adds and one division", d => Stitch(d, k, s, len, starts, along));
    }

    private static CaseResult Normalize(ComputeDevice d, int h, int w, int top, int left, int rows, int cols)
    {
        var img = Inputs.Uniform(h * w * 3, 4, 0, 256).Select(v => (byte)v).ToArray();
        img[0] = 0;
        img[^1] = 255;
        using var ti = Tensor.FromSpan<byte>(d, new Shape(h, w, 3), img);
        using var ty = Tensor.Empty(d, new Shape(3, rows, cols));
        Imaging.NormalizeRgb(ti, top, left, ty);
        return new(ImagingRef.NormalizeRgb(img, w, top, left, rows, cols), ty.ToHostFloat());
    }

    private static CaseResult Stitch(ComputeDevice d, int k, int s, int len, int[] starts, bool alongHeight)
    {
        int n = starts.Length, h = alongHeight ? len : s, w = alongHeight ? s : len;
        var scores = Inputs.Uniform(n * k * s * s, 5, 0, 1);
        using var ts = Tensor.FromHost(d, new Shape(n, k, s, s), scores);
        using var tst = Tensor.FromSpan<int>(d, new Shape(n), starts);
        using var ta = Tensor.Empty(d, new Shape(k, h, w));
        Imaging.StitchWindows(ts, tst, alongHeight, ta);
        return new(ImagingRef.StitchWindows(scores, starts, k, s, h, w, alongHeight), ta.ToHostFloat());
    }
}
