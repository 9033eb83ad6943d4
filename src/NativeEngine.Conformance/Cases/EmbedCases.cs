using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class EmbedCases
{
    private const string Copy = "pure data movement: exact";

    // The v1 kernels on awkward shapes; the host versions on the same plus EoMT-B-640 shapes (S 640, p 16, G² 1600,
    // R 4, Q 100, C 768).
    private static readonly (string Label, string Kernel, KernelChoice Choice, bool Real)[] Versions =
        [("V1", "", KernelChoice.Simple, false), ("Host", "Host", KernelChoice.Host, true)];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var (label, _, choice, real) in Versions)
        {
            string K(string cls, string method) => label == "Host" ? $"{cls}Host.{method}" : $"{cls}.{method}V1";
            var im2col = new List<(int, int, int, int, int)> { (1, 3, 4, 4, 2), (2, 3, 16, 24, 8), (1, 2, 6, 3, 3) };
            if (real) im2col.Add((1, 3, 640, 640, 16));
            foreach (var (b, ch, h, w, p) in im2col)
                yield return new("im2col_patch", K("PatchEmbed", "Im2Col"), $"[{b},{ch},{h},{w}] p{p}", 0, 0, Copy, dev => HostDevice.Run(dev, choice, hd =>
                {
                    var x = Inputs.Uniform(b * ch * h * w, 1);
                    using var tx = Tensor.FromHost(hd, new Shape(b, ch, h, w), x);
                    using var tc = Tensor.Empty(hd, new Shape(b, h / p * (w / p), ch * p * p));
                    PatchEmbed.Im2Col(tx, tc, p, choice);
                    return new(EmbedRef.Im2Col(x, b, ch, h, w, p), tc.ToHostFloat());
                }));

            var assemble = new List<(int, int, int, int)> { (1, 4, 4, 8), (2, 9, 0, 5), (2, 6, 1, 33) };
            if (real) assemble.Add((1, 1600, 4, 768));
            foreach (var (b, p, r, c) in assemble)
                yield return new("tokens_assemble", K("Tokens", "Assemble"), $"B{b} P{p} R{r} C{c}", 1e-6, 1e-5, "one add per element", dev => HostDevice.Run(dev, choice, hd =>
                {
                    var patches = Inputs.Uniform(b * p * c, 1);
                    var pos = Inputs.Uniform(p * c, 2);
                    var cls = Inputs.Uniform(c, 3);
                    var regs = Inputs.Uniform(r * c, 4);
                    using var tp = Tensor.FromHost(hd, new Shape(b, p, c), patches);
                    using var tpos = Tensor.FromHost(hd, new Shape(p, c), pos);
                    using var tcls = Tensor.FromHost(hd, new Shape(1, 1, c), cls);
                    using var treg = Tensor.FromHost(hd, new Shape(1, r, c), regs);
                    using var tt = Tensor.Empty(hd, new Shape(b, 1 + r + p, c));
                    Tokens.Assemble(tp, tpos, tcls, treg, tt, choice);
                    return new(EmbedRef.Assemble(patches, pos, cls, regs, b, p, c), tt.ToHostFloat());
                }));

            var insert = new List<(int, int, int, int)> { (1, 5, 3, 4), (2, 14, 7, 33) };
            if (real) insert.Add((1, 1605, 100, 768));
            foreach (var (b, n, q, c) in insert)
            {
                yield return new("tokens_insert_queries", K("Tokens", "InsertQueries"), $"B{b} N{n} Q{q} C{c}", 0, 0, Copy, dev => HostDevice.Run(dev, choice, hd =>
                {
                    var x = Inputs.Uniform(b * n * c, 1);
                    var qs = Inputs.Uniform(q * c, 2);
                    using var tx = Tensor.FromHost(hd, new Shape(b, n, c), x);
                    using var tq = Tensor.FromHost(hd, new Shape(q, c), qs);
                    using var ty = Tensor.Empty(hd, new Shape(b, q + n, c));
                    Tokens.InsertQueries(tx, tq, ty, choice);
                    return new(EmbedRef.InsertQueries(x, qs, b, n, c), ty.ToHostFloat());
                }));
                yield return new("tokens_slice", label == "Host" ? "TokensHost.SliceTokens" : "Tokens.SliceV1", $"B{b} N{n} [{q - 2},{n - 1}) C{c}", 0, 0, Copy,
                    dev => HostDevice.Run(dev, choice, hd =>
                    {
                        var x = Inputs.Uniform(b * n * c, 1);
                        int start = q - 2, m = n - 1 - start;
                        using var tx = Tensor.FromHost(hd, new Shape(b, n, c), x);
                        using var ty = Tensor.Empty(hd, new Shape(b, m, c));
                        Tokens.SliceTokens(tx, start, ty, choice);
                        return new(EmbedRef.SliceTokens(x, b, n, c, start, m), ty.ToHostFloat());
                    }));
            }

            var feature = new List<(int, int, int, int, int)> { (1, 2, 2, 2, 3), (2, 5, 3, 4, 17) };
            if (real) feature.Add((1, 105, 40, 40, 768));
            foreach (var (b, start, gh, gw, c) in feature)
                yield return new("tokens_to_feature_map", K("Tokens", "ToFeatureMap"), $"B{b} start{start} {gh}x{gw} C{c}", 0, 0, Copy, dev => HostDevice.Run(dev, choice, hd =>
                {
                    int n = start + gh * gw;
                    var x = Inputs.Uniform(b * n * c, 1);
                    using var tx = Tensor.FromHost(hd, new Shape(b, n, c), x);
                    using var tm = Tensor.Empty(hd, new Shape(b, c, gh, gw));
                    Tokens.ToFeatureMap(tx, start, tm, choice);
                    return new(EmbedRef.ToFeatureMap(x, b, n, c, start, gh * gw), tm.ToHostFloat());
                }));
        }
    }
}
