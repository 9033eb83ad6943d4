using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class AttentionCases
{
    private static readonly HashSet<(int, int, int, int, bool)> TiledSubset =
        [(1, 1, 1, 8, false), (1, 40, 1, 64, false), (2, 17, 3, 24, true), (1, 9, 1, 100, true), (1, 5, 1, 128, false)];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // (B, N, heads, D): awkward N (1, 31, 33, 40 = one full + one partial key tile), D below, at and above a warp,
        // not a multiple of 32 (24, 100), and the tiled maximum (128).
        var shapes = new[] { (1, 1, 1, 8), (1, 31, 2, 16), (2, 33, 2, 8), (1, 40, 1, 64), (2, 17, 3, 24), (1, 9, 1, 100), (1, 5, 1, 128) };
        foreach (var (b, n, h, d) in shapes)
            foreach (bool masked in new[] { false, true })
            {
                if (masked && n < 9) continue;
                string label = $"B{b} N{n} H{h} D{d}{(masked ? " masked" : "")}";
                double atol = 2e-6 * (n + d); // two reductions (D for the scores, N for the weighted sum)
                const string why = "scores reduce over D, the output over N: atol scaled by N + D";
                yield return new(Attention.ThreadPerQuery, label, atol, 1e-5, why, dev => Run(dev, b, n, h, d, masked, Attention.ThreadPerQuery));
                // The CPU simulator pays ~50 ms per barrier of a 256-thread group, so v2 runs on the cheap subset
                // that still covers one and many tiles, B and H > 1, D ∉ 32ℕ and D = 128, with and without a mask.
                if (TiledSubset.Contains((b, n, h, d, masked)))
                    yield return new(Attention.FlashTiles, label, atol, 1e-5, why, dev => Run(dev, b, n, h, d, masked, Attention.FlashTiles));
            }
        foreach (var (b, n, q, first) in new[] { (1, 12, 3, 5), (2, 20, 4, 9) })
            yield return new(Attention.MaskOp.Plain, $"B{b} N{n} Q{q} first{first}", 0, 0, "a comparison, exact", dev =>
            {
                var logits = Inputs.Uniform(b * q * (n - first), 7);
                using var tl = Tensor.FromHost(dev, new Shape(b, q, n - first), logits);
                using var ta = Tensor.Empty(dev, new Shape(b, n, n), DType.UInt8);
                Attention.QueryPatchMask(tl, first, ta);
                return new(AttentionRef.QueryPatchMask(logits, b, n, q, first).Select(v => (float)v).ToArray(),
                    ta.ToHost<byte>().Select(v => (float)v).ToArray());
            });
    }

    private static CaseResult Run(ComputeDevice dev, int b, int n, int h, int d, bool masked, OpVersion version)
    {
        var qkv = Inputs.Uniform(b * n * 3 * h * d, 11, -2, 2);
        byte[]? allowed = null;
        if (masked)
        {
            // A random mask with a fully-masked row 0 (the documented mean-of-V behaviour) and an open last row.
            var rng = new Random(5);
            allowed = new byte[b * n * n];
            for (int i = 0; i < allowed.Length; i++) allowed[i] = (byte)(rng.Next(3) == 0 ? 0 : 1);
            for (int bi = 0; bi < b; bi++)
                for (int j = 0; j < n; j++)
                {
                    allowed[(bi * n) * n + j] = 0;
                    allowed[(bi * n + n - 1) * n + j] = 1;
                }
        }
        using var tq = Tensor.FromHost(dev, new Shape(b, n, 3 * h * d), qkv);
        using var to = Tensor.Empty(dev, new Shape(b, n, h * d));
        using var ta = allowed is null ? null : Tensor.FromSpan<byte>(dev, new Shape(b, n, n), allowed);
        Attention.Forward(tq, to, h, ta, version);
        return new(AttentionRef.Forward(qkv, b, n, h, d, allowed), to.ToHostFloat());
    }
}
