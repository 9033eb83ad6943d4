using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

// LayerScale, LayerNorm2d, depthwise 3×3 and bilinear resize: the model's small memory-bound kernels.
internal static class ModelElementwiseCases
{
    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var (kernel, choice, shapes) in new[] { ("LayerScale.AddScaledV1", (OpVersion?)null, new[] { (1, 1), (3, 33), (17, 64) }),
                     ("LayerScaleHost.AddScaled", (OpVersion?)null, new[] { (1, 1), (3, 33), (17, 64), (5, 17), (1705, 768) }) })
            foreach (var (r, c) in shapes)
                yield return new("layer_scale_add", kernel, $"[{r},{c}]", 1e-6, 1e-5, "one FMA per element", dev => HostDevice.Run(dev, choice, hd =>
                {
                    var x = Inputs.Uniform(r * c, 1);
                    var h = Inputs.Uniform(r * c, 2);
                    var g = Inputs.Uniform(c, 3);
                    using var tx = Tensor.FromHost(hd, new Shape(r, c), x);
                    using var th = Tensor.FromHost(hd, new Shape(r, c), h);
                    using var tg = Tensor.FromHost(hd, new Shape(c), g);
                    LayerScale.AddScaled(tx, th, tg, tx); // in place, as the model uses it
                    return new(LayerScaleRef.AddScaled(x, h, g), tx.ToHostFloat());
                }));

        // Each op: the simulator kernel (Simple) on small shapes, the host version on those and EoMT-B-sized ones
        // (768 channels; pixel counts that are not multiples of the 16-lane vectors or the 128-pixel blocks).
        var lnShapes = new[] { (1, 1, 2, 2), (2, 33, 3, 5), (1, 64, 4, 4) };
        foreach (var (b, c, h, w) in lnShapes.Concat([(2, 768, 13, 11), (1, 768, 40, 40)]))
            foreach (var (kernel, choice) in Versions("LayerNorm2d.ForwardV1", "LayerNorm2dHost.Forward", lnShapes.Contains((b, c, h, w))))
                yield return new("layernorm2d", kernel, $"[{b},{c},{h},{w}]", 2e-6 * Math.Sqrt(c) + 1e-6, 1e-5,
                    "mean and variance reduce over C", d => HostRows.On(d, dev =>
                    {
                        var x = Inputs.Uniform(b * c * h * w, 1, -3, 5);
                        var g = Inputs.Uniform(c, 2);
                        var be = Inputs.Uniform(c, 3);
                        using var tx = Tensor.FromHost(dev, new Shape(b, c, h, w), x);
                        using var tg = Tensor.FromHost(dev, new Shape(c), g);
                        using var tb = Tensor.FromHost(dev, new Shape(c), be);
                        using var ty = Tensor.Empty(dev, new Shape(b, c, h, w));
                        LayerNorm2d.Forward(tx, tg, tb, ty, 1e-6f);
                        return new(LayerNorm2dRef.Forward(x, g, be, b, c, h * w), ty.ToHostFloat());
                    }));

        var dwShapes = new[] { (1, 1, 1, 1), (2, 3, 5, 7), (1, 17, 8, 3) };
        foreach (var (b, c, h, w) in dwShapes.Concat([(1, 3, 4, 17), (2, 5, 9, 50), (1, 768, 20, 20)]))
            foreach (var (kernel, choice) in Versions("DepthwiseConv3x3.ForwardV1", "DepthwiseConv3x3Host.Forward", dwShapes.Contains((b, c, h, w))))
                yield return new("depthwise_conv3x3", kernel, $"[{b},{c},{h},{w}]", 1e-5, 1e-5, "9-term sums", d => HostRows.On(d, dev =>
                {
                    var x = Inputs.Uniform(b * c * h * w, 1);
                    var wt = Inputs.Uniform(c * 9, 2);
                    using var tx = Tensor.FromHost(dev, new Shape(b, c, h, w), x);
                    using var tw = Tensor.FromHost(dev, new Shape(c, 1, 3, 3), wt);
                    using var ty = Tensor.Empty(dev, new Shape(b, c, h, w));
                    DepthwiseConv3x3.Forward(tx, tw, ty);
                    return new(ConvRef.DepthwiseConv3x3(x, wt, b, c, h, w), ty.ToHostFloat());
                }));

        // Up, down, identity, non-square, to and from a single pixel.
        var resizeShapes = new[] { (4, 4, 16, 16), (5, 7, 13, 3), (16, 12, 4, 5), (6, 6, 6, 6), (1, 3, 4, 2), (3, 4, 1, 1) };
        foreach (var (h, w, oh, ow) in resizeShapes.Concat([(40, 40, 160, 160), (37, 21, 100, 75), (160, 160, 40, 40)]))
            foreach (var (kernel, choice) in Versions("Bilinear.ResizeV1", "BilinearHost.Resize", resizeShapes.Contains((h, w, oh, ow))))
                yield return new("bilinear_resize", kernel, $"{h}x{w}->{oh}x{ow}", 2e-6 + 2.4e-7 * Math.Max(h, w), 1e-5,
                    "three lerps; float vs double source coordinates (|src|·2⁻²⁴ error times |Δx| ≤ 2)", d => HostRows.On(d, dev =>
                    {
                        const int planes = 3;
                        var x = Inputs.Uniform(planes * h * w, 1);
                        using var tx = Tensor.FromHost(dev, new Shape(1, planes, h, w), x);
                        using var ty = Tensor.Empty(dev, new Shape(1, planes, oh, ow));
                        Bilinear.Resize(tx, ty);
                        return new(BilinearRef.Resize(x, planes, h, w, oh, ow), ty.ToHostFloat());
                    }));

        // Bench workload (host): EoMT's mask logits 100 × 160² → 640² (the semantic map's input).
        yield return new ConformanceCase("bilinear_resize", "BilinearHost.Resize", "[1,100,160,160]->[640,640]", 2e-6 + 2.4e-7 * 160, 1e-5,
            "three lerps; float vs double source coordinates", d => HostRows.On(d, dev =>
            {
                var x = Inputs.Uniform(100 * 160 * 160, 1);
                using var tx = Tensor.FromHost(dev, new Shape(1, 100, 160, 160), x);
                using var ty = Tensor.Empty(dev, new Shape(1, 100, 640, 640));
                Bilinear.Resize(tx, ty);
                return new(BilinearRef.Resize(x, 100, 160, 160, 640, 640), ty.ToHostFloat());
            })) { Bench = true };
    }

    // The simulator kernel on the small shapes, the host version on every shape.
    private static IEnumerable<(string Kernel, VersionKind Choice)> Versions(string v1, string host, bool small)
    {
        if (small) yield return (v1, VersionKind.Simple);
        yield return (host, VersionKind.Host);
    }
}
