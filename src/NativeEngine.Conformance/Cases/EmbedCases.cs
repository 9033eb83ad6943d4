using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class EmbedCases
{
    private const string Copy = "pure data movement: exact";

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var (b, ch, h, w, p) in new[] { (1, 3, 4, 4, 2), (2, 3, 16, 24, 8), (1, 2, 6, 3, 3) })
            yield return new(PatchEmbed.Op.Plain, $"[{b},{ch},{h},{w}] p{p}", 0, 0, Copy, dev =>
            {
                var x = Inputs.Uniform(b * ch * h * w, 1);
                using var tx = Tensor.FromHost(dev, new Shape(b, ch, h, w), x);
                using var tc = Tensor.Empty(dev, new Shape(b, h / p * (w / p), ch * p * p));
                PatchEmbed.Im2Col(tx, tc, p);
                return new(EmbedRef.Im2Col(x, b, ch, h, w, p), tc.ToHostFloat());
            });

        foreach (var (b, p, r, c) in new[] { (1, 4, 4, 8), (2, 9, 0, 5), (2, 6, 1, 33) })
            yield return new(Tokens.AssembleOp.Plain, $"B{b} P{p} R{r} C{c}", 1e-6, 1e-5, "one add per element", dev =>
            {
                var patches = Inputs.Uniform(b * p * c, 1);
                var pos = Inputs.Uniform(p * c, 2);
                var cls = Inputs.Uniform(c, 3);
                var regs = Inputs.Uniform(r * c, 4);
                using var tp = Tensor.FromHost(dev, new Shape(b, p, c), patches);
                using var tpos = Tensor.FromHost(dev, new Shape(p, c), pos);
                using var tcls = Tensor.FromHost(dev, new Shape(1, 1, c), cls);
                using var treg = Tensor.FromHost(dev, new Shape(1, r, c), regs);
                using var tt = Tensor.Empty(dev, new Shape(b, 1 + r + p, c));
                Tokens.Assemble(tp, tpos, tcls, treg, tt);
                return new(EmbedRef.Assemble(patches, pos, cls, regs, b, p, c), tt.ToHostFloat());
            });

        foreach (var (b, n, q, c) in new[] { (1, 5, 3, 4), (2, 14, 7, 33) })
        {
            yield return new(Tokens.InsertQueriesOp.Plain, $"B{b} N{n} Q{q} C{c}", 0, 0, Copy, dev =>
            {
                var x = Inputs.Uniform(b * n * c, 1);
                var qs = Inputs.Uniform(q * c, 2);
                using var tx = Tensor.FromHost(dev, new Shape(b, n, c), x);
                using var tq = Tensor.FromHost(dev, new Shape(q, c), qs);
                using var ty = Tensor.Empty(dev, new Shape(b, q + n, c));
                Tokens.InsertQueries(tx, tq, ty);
                return new(EmbedRef.InsertQueries(x, qs, b, n, c), ty.ToHostFloat());
            });
            yield return new(Tokens.SliceOp.Plain, $"B{b} N{n} [{q - 2},{n - 1}) C{c}", 0, 0, Copy, dev =>
            {
                var x = Inputs.Uniform(b * n * c, 1);
                int start = q - 2, m = n - 1 - start;
                using var tx = Tensor.FromHost(dev, new Shape(b, n, c), x);
                using var ty = Tensor.Empty(dev, new Shape(b, m, c));
                Tokens.SliceTokens(tx, start, ty);
                return new(EmbedRef.SliceTokens(x, b, n, c, start, m), ty.ToHostFloat());
            });
        }

        foreach (var (b, start, gh, gw, c) in new[] { (1, 2, 2, 2, 3), (2, 5, 3, 4, 17) })
            yield return new(Tokens.ToFeatureMapOp.Plain, $"B{b} start{start} {gh}x{gw} C{c}", 0, 0, Copy, dev =>
            {
                int n = start + gh * gw;
                var x = Inputs.Uniform(b * n * c, 1);
                using var tx = Tensor.FromHost(dev, new Shape(b, n, c), x);
                using var tm = Tensor.Empty(dev, new Shape(b, c, gh, gw));
                Tokens.ToFeatureMap(tx, start, tm);
                return new(EmbedRef.ToFeatureMap(x, b, n, c, start, gh * gw), tm.ToHostFloat());
            });
    }
}
