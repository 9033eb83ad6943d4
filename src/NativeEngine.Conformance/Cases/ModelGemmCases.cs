using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

// The GEMM-shaped model kernels: ConvTranspose2x2, MaskLogits, SemanticMap (+ its class softmax).
internal static class ModelGemmCases
{
    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // Tiles are 64 × 64 × 16: shapes below, across and not multiples of every tile edge.
        // Host rows add EoMT-B's 768 channels (small planes while the host GEMM may still be the simulator's) and a
        // plane width ≥ 16 with a ragged tail for the vectorised pixel shuffle.
        var convShapes = new[] { (1, 1, 1, 1, 1), (1, 17, 5, 3, 5), (2, 33, 17, 9, 9) };
        foreach (var (b, cin, cout, h, w) in convShapes.Concat([(1, 768, 768, 4, 4), (2, 9, 7, 5, 37)]))
            foreach (var (kernel, choice) in Versions("ConvTranspose2x2.ForwardV1", "ConvTranspose2x2.ForwardV2", "ConvTranspose2x2Host.Forward", convShapes.Contains((b, cin, cout, h, w))))
                yield return new("conv_transpose2x2", kernel, $"B{b} Cin{cin} Cout{cout} {h}x{w}", 1e-6 * cin + 1e-6, 1e-5, "reduction over Cin", d => HostRows.On(d, dev =>
                {
                    var x = Inputs.Uniform(b * cin * h * w, 1);
                    var wt = Inputs.Uniform(cin * cout * 4, 2);
                    var bias = Inputs.Uniform(cout, 3);
                    using var tx = Tensor.FromHost(dev, new Shape(b, cin, h, w), x);
                    using var tw = Tensor.FromHost(dev, new Shape(cin, cout, 2, 2), wt);
                    using var tb = Tensor.FromHost(dev, new Shape(cout), bias);
                    using var ty = Tensor.Empty(dev, new Shape(b, cout, 2 * h, 2 * w));
                    ConvTranspose2x2.Forward(tx, tw, tb, ty);
                    return new(ConvRef.ConvTranspose2x2(x, wt, bias, b, cin, cout, h, w), ty.ToHostFloat());
                }));

        var maskShapes = new[] { (1, 1, 1, 1, 1), (1, 5, 17, 3, 7), (2, 70, 33, 9, 8) };
        foreach (var (b, q, c, h, w) in maskShapes.Concat([(1, 100, 768, 16, 16)]))
            foreach (var (kernel, choice) in Versions("MaskLogits.ComputeV1", "MaskLogits.ComputeV2", "MaskLogitsHost.Compute", maskShapes.Contains((b, q, c, h, w))))
                yield return new("mask_logits", kernel, $"B{b} Q{q} C{c} {h}x{w}", 1e-6 * c + 1e-6, 1e-5, "reduction over C", d => HostRows.On(d, dev =>
                {
                    var qs = Inputs.Uniform(b * q * c, 1);
                    var f = Inputs.Uniform(b * c * h * w, 2);
                    using var tq = Tensor.FromHost(dev, new Shape(b, q, c), qs);
                    using var tf = Tensor.FromHost(dev, new Shape(b, c, h, w), f);
                    using var tl = Tensor.Empty(dev, new Shape(b, q, h, w));
                    MaskLogits.Compute(tq, tf, tl);
                    return new(SemanticRef.MaskLogits(qs, f, b, q, c, h * w), tl.ToHostFloat());
                }));

        // The class softmax (SemanticMap.ClassProbsV1) runs inside both kernel versions.
        var mapShapes = new[] { (1, 1, 1, 1, 1), (1, 7, 3, 5, 6), (2, 20, 19, 9, 8), (1, 3, 70, 2, 33) };
        foreach (var (b, q, k, h, w) in mapShapes.Concat([(1, 100, 19, 40, 40), (2, 100, 19, 7, 9)])) // EoMT's Q = 100, K = 19
        {
            bool small = mapShapes.Contains((b, q, k, h, w));
            var versions = small
                ? new[] { ("SemanticMap.MapV1", VersionKind.Simple), ("SemanticMap.MapV2", VersionKind.Grouped) }
                : [];
            foreach (var (kernel, choice) in versions.Concat([("SemanticMapHost.Map", VersionKind.Host)]))
                yield return new("semantic_map", kernel, $"B{b} Q{q} K{k} {h}x{w}",
                    1e-6 * q + 1e-6, 1e-5, "softmax over K+1, sum over Q of values ≤ 1", d => HostRows.On(d, dev =>
                    {
                        var m = Inputs.Uniform(b * q * h * w, 1, -8, 8);
                        var cl = Inputs.Uniform(b * q * (k + 1), 2, -4, 4);
                        using var tm = Tensor.FromHost(dev, new Shape(b, q, h, w), m);
                        using var tc = Tensor.FromHost(dev, new Shape(b, q, k + 1), cl);
                        using var ts = Tensor.Empty(dev, new Shape(b, k, h, w));
                        SemanticMap.Forward(tm, tc, ts);
                        return new(SemanticRef.Map(m, cl, b, q, k, h * w), ts.ToHostFloat());
                    }));
        }
    }

    // semantic_map_upsampled: low-resolution mask logits (B, Q, h, w) → map (B, K, H, W). Shapes: narrower than a vector
    // (scalar taps), EoMT's ×4 with a ragged last vector (72 = 4.5 vectors), a non-integer scale, downsampling (the
    // scalar taps again), EoMT-S/B's Q = 100, K = 19 at 40² → 160², and ±inf/NaN low-resolution logits.
    [ConformanceCases]
    private static IEnumerable<ConformanceCase> UpsampledCases()
    {
        var resizeThenMap = SemanticMap.UpsampledOp.Version("resize-then-map");
        var host = SemanticMap.UpsampledOp.Version("host");
        var small = new[] { (1, 7, 3, 5, 6, 20, 24), (2, 5, 19, 20, 18, 80, 72), (1, 4, 5, 17, 23, 50, 61), (1, 3, 2, 33, 30, 9, 17) };
        foreach (var (b, q, k, h, w, oh, ow) in small.Concat([(1, 100, 19, 40, 40, 160, 160)]))
            foreach (var v in small.Contains((b, q, k, h, w, oh, ow)) ? new[] { resizeThenMap, host } : [host])
                yield return UpsampledRow(v, b, q, k, h, w, oh, ow, false);
        yield return UpsampledRow(host, 1, 6, 3, 16, 17, 64, 68, true);
        yield return UpsampledRow(host, 1, 100, 19, 160, 160, 640, 640, false) with { Bench = true };
    }

    private static ConformanceCase UpsampledRow(OpVersion v, int b, int q, int k, int h, int w, int oh, int ow, bool special) =>
        new(v, $"B{b} Q{q} K{k} {h}x{w}→{oh}x{ow}{(special ? " ±inf/NaN logits" : "")}", 1e-6 * q + 1e-6, 1e-5,
            "bilinear taps (≤ 1 ulp), softmax over K+1, sum over Q of values ≤ 1", d => HostRows.On(d, dev =>
            {
                var m = Inputs.Uniform(b * q * h * w, 1, -8, 8);
                if (special)
                {
                    m[0] = float.PositiveInfinity;
                    m[h * w + 3 * w + 5] = float.NegativeInfinity;
                    m[2 * h * w + 7] = float.NaN;
                }
                var cl = Inputs.Uniform(b * q * (k + 1), 2, -4, 4);
                using var tm = Tensor.FromHost(dev, new Shape(b, q, h, w), m);
                using var tc = Tensor.FromHost(dev, new Shape(b, q, k + 1), cl);
                using var ts = Tensor.Empty(dev, new Shape(b, k, oh, ow));
                SemanticMap.ForwardUpsampled(tm, tc, ts);
                return new(SemanticRef.MapUpsampled(m, cl, b, q, k, h, w, oh, ow), ts.ToHostFloat());
            }));

    // v1 and v2 on the small shapes, the host version on every shape.
    private static IEnumerable<(string Kernel, VersionKind Choice)> Versions(string v1, string v2, string host, bool small)
    {
        if (small)
        {
            yield return (v1, VersionKind.Simple);
            yield return (v2, VersionKind.Grouped);
        }
        yield return (host, VersionKind.Host);
    }
}
