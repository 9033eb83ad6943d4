using NativeEngine.Kernels;
using ImagingKernels = NativeEngine.Kernels.Imaging;
using NativeEngine.Models.Eomt;
using NativeEngine.Tensors;

namespace NativeEngine.Models.Imaging;

/// <summary>How an image of any size becomes model windows.</summary>
public enum WindowProtocol
{
    /// <summary>
    /// The original EoMT semantic inference (eomt.md §4.2): short side resized to the crop size S (PIL bilinear,
    /// round()), S×S windows along the long side, scores averaged over overlaps, bilinear resize back to H×W.
    /// </summary>
    Native,

    /// <summary>The seed's evaluation (seed.md §3.2): squashed to S×S (PIL bilinear, aspect not kept), one window.</summary>
    Seed,
}

/// <summary>Where the windows of an image go (eomt.md §4.2 steps 1-2).</summary>
/// <param name="Height">Resized height h'.</param>
/// <param name="Width">Resized width w'.</param>
/// <param name="Starts">Window starts along the long side.</param>
/// <param name="AlongHeight">True when the windows run down the height (h' &gt; w').</param>
public sealed record WindowPlan(int Height, int Width, int[] Starts, bool AlongHeight)
{
    /// <summary>The plan for an H×W image and crop size S.</summary>
    public static WindowPlan For(int height, int width, int size, WindowProtocol protocol)
    {
        if (protocol == WindowProtocol.Seed) return new WindowPlan(size, size, [0], false);
        double factor = Math.Max((double)size / height, (double)size / width);
        int h = (int)Math.Round(height * factor, MidpointRounding.ToEven); // Python round(): banker's rounding
        int w = (int)Math.Round(width * factor, MidpointRounding.ToEven);
        int longSide = Math.Max(h, w);
        int n = (longSide + size - 1) / size;
        int overlap = n * size - longSide;
        double step = overlap > 0 ? (double)overlap / (n - 1) : 0.0;
        var starts = Enumerable.Range(0, n).Select(j => (int)(j * (size - step))).ToArray(); // int(): truncation
        return new WindowPlan(h, w, starts, h > w);
    }
}

/// <summary>An image to a per-pixel class-score map with an <see cref="EomtModel"/>: resize, windows, forward, stitch.</summary>
public static class SemanticInference
{
    /// <summary>
    /// Called after each batched forward with the model outputs, the windows' pixel values (n, 3, S, S), their
    /// semantic scores (n, K, S, S) and the index of the first window: the place where per-window extras (e.g. the
    /// anomaly statistics) are computed while the activations are live.
    /// </summary>
    public delegate void WindowObserver(EomtOutput output, Tensor pixels, Tensor scores, int firstWindow);

    /// <summary>
    /// Runs the whole image path and returns a new (1, K, H, W) map (native: the image's own size) or (1, K, S, S)
    /// (seed). Windows are run in batches of at most <paramref name="maxBatch"/>. The caller disposes the result.
    /// </summary>
    public static Tensor Run(EomtModel model, RgbImage image, WindowProtocol protocol, int maxBatch = 4, WindowObserver? observer = null)
    {
        var device = model.Device;
        int s = model.Config.ImageSize, k = model.Config.Classes;
        var plan = WindowPlan.For(image.Height, image.Width, s, protocol);
        var resized = PilResize.Bilinear(image.Pixels, image.Width, image.Height, plan.Width, plan.Height);
        int n = plan.Starts.Length;
        using var img = Tensor.FromSpan<byte>(device, new Shape(plan.Height, plan.Width, 3), resized);
        using var scores = Tensor.Empty(device, new Shape(n, k, s, s));
        // One pixel buffer per image for the largest batch; a batch of windows takes its leading rows (no allocation
        // per window).
        using var batchPixels = Tensor.Empty(device, new Shape(Math.Min(maxBatch, n), 3, s, s));
        for (int first = 0; first < n; first += maxBatch)
        {
            int count = Math.Min(maxBatch, n - first);
            var pixels = batchPixels.Slice(0, count);
            for (int j = 0; j < count; j++)
            {
                int start = plan.Starts[first + j];
                ImagingKernels.NormalizeRgb(img, plan.AlongHeight ? start : 0, plan.AlongHeight ? 0 : start, pixels.Slice(j, 1).Reshape(3, s, s));
            }
            var output = model.Forward(pixels);
            var windowScores = scores.Slice(first, count);
            model.SemanticMap(output, windowScores);
            observer?.Invoke(output, pixels, windowScores, first);
        }
        if (protocol == WindowProtocol.Seed)
        {
            var map = Tensor.Empty(device, new Shape(1, k, s, s));
            scores.CopyTo(map);
            return map;
        }
        using var starts = Tensor.FromSpan<int>(device, new Shape(n), plan.Starts);
        using var avg = Tensor.Empty(device, new Shape(k, plan.Height, plan.Width));
        ImagingKernels.StitchWindows(scores, starts, plan.AlongHeight, avg);
        var result = Tensor.Empty(device, new Shape(1, k, image.Height, image.Width));
        Bilinear.Resize(avg.Reshape(1, k, plan.Height, plan.Width), result);
        return result;
    }
}
