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
        foreach (var (b, cin, cout, h, w) in new[] { (1, 1, 1, 1, 1), (1, 17, 5, 3, 5), (2, 33, 17, 9, 9) })
            foreach (var choice in ConvTranspose2x2.Op.Versions)
                yield return new(choice, $"B{b} Cin{cin} Cout{cout} {h}x{w}", 1e-6 * cin + 1e-6, 1e-5, "reduction over Cin", dev =>
                {
                    var x = Inputs.Uniform(b * cin * h * w, 1);
                    var wt = Inputs.Uniform(cin * cout * 4, 2);
                    var bias = Inputs.Uniform(cout, 3);
                    using var tx = Tensor.FromHost(dev, new Shape(b, cin, h, w), x);
                    using var tw = Tensor.FromHost(dev, new Shape(cin, cout, 2, 2), wt);
                    using var tb = Tensor.FromHost(dev, new Shape(cout), bias);
                    using var ty = Tensor.Empty(dev, new Shape(b, cout, 2 * h, 2 * w));
                    ConvTranspose2x2.Forward(tx, tw, tb, ty, choice);
                    return new(ConvRef.ConvTranspose2x2(x, wt, bias, b, cin, cout, h, w), ty.ToHostFloat());
                });

        foreach (var (b, q, c, h, w) in new[] { (1, 1, 1, 1, 1), (1, 5, 17, 3, 7), (2, 70, 33, 9, 8) })
            foreach (var choice in MaskLogits.Op.Versions)
                yield return new(choice, $"B{b} Q{q} C{c} {h}x{w}", 1e-6 * c + 1e-6, 1e-5, "reduction over C", dev =>
                {
                    var qs = Inputs.Uniform(b * q * c, 1);
                    var f = Inputs.Uniform(b * c * h * w, 2);
                    using var tq = Tensor.FromHost(dev, new Shape(b, q, c), qs);
                    using var tf = Tensor.FromHost(dev, new Shape(b, c, h, w), f);
                    using var tl = Tensor.Empty(dev, new Shape(b, q, h, w));
                    MaskLogits.Compute(tq, tf, tl, choice);
                    return new(SemanticRef.MaskLogits(qs, f, b, q, c, h * w), tl.ToHostFloat());
                });

        // The class softmax (SemanticMap.ClassProbsV1) runs inside both versions.
        foreach (var (b, q, k, h, w) in new[] { (1, 1, 1, 1, 1), (1, 7, 3, 5, 6), (2, 20, 19, 9, 8), (1, 3, 70, 2, 33) })
            foreach (var choice in SemanticMap.Op.Versions)
                yield return new(choice, $"B{b} Q{q} K{k} {h}x{w}",
                    1e-6 * q + 1e-6, 1e-5, "softmax over K+1, sum over Q of values ≤ 1", dev =>
                    {
                        var m = Inputs.Uniform(b * q * h * w, 1, -8, 8);
                        var cl = Inputs.Uniform(b * q * (k + 1), 2, -4, 4);
                        using var tm = Tensor.FromHost(dev, new Shape(b, q, h, w), m);
                        using var tc = Tensor.FromHost(dev, new Shape(b, q, k + 1), cl);
                        using var ts = Tensor.Empty(dev, new Shape(b, k, h, w));
                        SemanticMap.Forward(tm, tc, ts, choice);
                        return new(SemanticRef.Map(m, cl, b, q, k, h * w), ts.ToHostFloat());
                    });
    }
}
