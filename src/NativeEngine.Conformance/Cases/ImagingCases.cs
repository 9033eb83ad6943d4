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
        // v1 on awkward windows; the host versions on the same plus a camera-sized frame (a 480×640 image's native
        // window, 3 windows of 480 stitched along a 1280-wide map).
        foreach (var (kernel, choice, real) in new[] { ("V1", KernelChoice.Simple, false), ("Host", KernelChoice.Host, true) })
        {
            var windows = new List<(int, int, int, int, int, int)> { (1, 1, 0, 0, 1, 1), (40, 68, 0, 28, 40, 40), (33, 31, 2, 0, 31, 31) };
            if (real) windows.Add((480, 640, 0, 160, 480, 480));
            foreach (var (h, w, top, left, rows, cols) in windows)
                yield return new("normalize_rgb", kernel == "Host" ? "ImagingHost.NormalizeRgb" : "Imaging.NormalizeRgbV1", $"[{h},{w},3] window {rows}x{cols} at ({top},{left})", 1e-6, 1e-6,
                    "float32 (p/255 − mean)/std against float64: two roundings", d => HostDevice.Run(d, choice, hd => Normalize(hd, h, w, top, left, rows, cols, choice)));
            var stitches = new List<(int, int, int, int[], bool)> { (1, 1, 1, new[] { 0 }, false), (3, 8, 14, new[] { 0, 6 }, false), (2, 5, 13, new[] { 0, 4, 8 }, true) };
            if (real) stitches.Add((19, 480, 1280, new[] { 0, 400, 800 }, false));
            foreach (var (k, s, len, starts, along) in stitches)
                yield return new("stitch_windows", kernel == "Host" ? "ImagingHost.StitchWindows" : "Imaging.StitchWindowsV1", $"K{k} S{s} long side {len}, {starts.Length} windows", 1e-6, 1e-6,
                    "at most a few float32 adds and one division", d => HostDevice.Run(d, choice, hd => Stitch(hd, k, s, len, starts, along, choice)));
        }
    }

    private static CaseResult Normalize(ComputeDevice d, int h, int w, int top, int left, int rows, int cols, KernelChoice choice)
    {
        var img = Inputs.Uniform(h * w * 3, 4, 0, 256).Select(v => (byte)v).ToArray();
        img[0] = 0;
        img[^1] = 255;
        using var ti = Tensor.FromSpan<byte>(d, new Shape(h, w, 3), img);
        using var ty = Tensor.Empty(d, new Shape(3, rows, cols));
        Imaging.NormalizeRgb(ti, top, left, ty, choice);
        return new(ImagingRef.NormalizeRgb(img, w, top, left, rows, cols), ty.ToHostFloat());
    }

    private static CaseResult Stitch(ComputeDevice d, int k, int s, int len, int[] starts, bool alongHeight, KernelChoice choice)
    {
        int n = starts.Length, h = alongHeight ? len : s, w = alongHeight ? s : len;
        var scores = Inputs.Uniform(n * k * s * s, 5, 0, 1);
        using var ts = Tensor.FromHost(d, new Shape(n, k, s, s), scores);
        using var tst = Tensor.FromSpan<int>(d, new Shape(n), starts);
        using var ta = Tensor.Empty(d, new Shape(k, h, w));
        Imaging.StitchWindows(ts, tst, alongHeight, ta, choice);
        return new(ImagingRef.StitchWindows(scores, starts, k, s, h, w, alongHeight), ta.ToHostFloat());
    }
}
