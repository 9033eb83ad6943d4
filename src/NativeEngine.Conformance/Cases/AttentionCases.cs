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
                yield return new("attention", "Attention.ForwardV1", label, atol, 1e-5, why, dev => Run(dev, b, n, h, d, masked, KernelChoice.Simple));
                // The CPU simulator pays ~50 ms per barrier of a 256-thread group, so v2 runs on the cheap subset
                // that still covers one and many tiles, B and H > 1, D ∉ 32ℕ and D = 128, with and without a mask.
                if (TiledSubset.Contains((b, n, h, d, masked)))
                    yield return new("attention", "Attention.ForwardV2", label, atol, 1e-5, why, dev => Run(dev, b, n, h, d, masked, KernelChoice.Tiled));
            }
        foreach (var (b, n, q, first) in new[] { (1, 12, 3, 5), (2, 20, 4, 9) })
            yield return new("attention_mask", "Attention.QueryPatchMaskV1", $"B{b} N{n} Q{q} first{first}", 0, 0, "a comparison, exact",
                dev => Mask(dev, b, n, q, first, KernelChoice.Simple));

        // Host versions: the same awkward shapes (u8 mask), the grid-logit mask (query rows × patch keys, read without
        // N×N bytes; N = 77 puts whole key vectors and a tail on the patch side), and EoMT-shaped rows: ViT-S plain at
        // N = 1605, ViT-B masked at N = 1600 + 5 + 100 = 1705 (Q = 100 queries, 12 heads, D = 64).
        foreach (var (b, n, h, d) in shapes)
            foreach (bool masked in new[] { false, true })
            {
                if (masked && n < 9) continue;
                yield return Host($"B{b} N{n} H{h} D{d}{(masked ? " masked" : "")}", b, n, h, d, masked ? -1 : 0, 0);
            }
        foreach (var (b, n, h, d, q, first) in new[] { (2, 20, 2, 8, 4, 9), (1, 77, 3, 24, 5, 9), (1, 1705, 12, 64, 100, 105) })
            yield return Host($"B{b} N{n} H{h} D{d} query-patch mask Q{q} first{first}", b, n, h, d, q, first);
        yield return Host("B1 N1605 H6 D64 (ViT-S-640)", 1, 1605, 6, 64, 0, 0);
        foreach (var (b, n, q, first) in new[] { (1, 12, 3, 5), (2, 20, 4, 9), (1, 1705, 100, 105) })
            yield return new("attention_mask", "AttentionHost.QueryPatchMask", $"B{b} N{n} Q{q} first{first}", 0, 0, "a comparison, exact",
                dev => HostDevice.Run(dev, hd => Mask(hd, b, n, q, first, KernelChoice.Host)));
        // The composed entry point on the simple kernels (mask built as N×N bytes, then attention v1).
        yield return new("attention", "Attention.ForwardV1", "B2 N20 H2 D8 query-patch mask Q4 first9", 2e-6 * 28, 1e-5,
            "scores reduce over D, the output over N: atol scaled by N + D", dev => RunGrid(dev, 2, 20, 2, 8, 4, 9, KernelChoice.Simple));
    }

    // q = 0: no mask; q = −1: the random u8 mask of Run; q > 0: EoMT's grid-logit mask (Q = q queries, patches from first).
    private static ConformanceCase Host(string label, int b, int n, int h, int d, int q, int first)
    {
        double atol = 2e-6 * (n + d);
        const string why = "scores reduce over D, the output over N: atol scaled by N + D";
        return new("attention", "AttentionHost.Forward", label, atol, 1e-5, why, dev => HostDevice.Run(dev, hd =>
            q > 0 ? RunGrid(hd, b, n, h, d, q, first, KernelChoice.Host) : Run(hd, b, n, h, d, q < 0, KernelChoice.Host)));
    }

    private static CaseResult Mask(ComputeDevice dev, int b, int n, int q, int first, KernelChoice choice)
    {
        var logits = Inputs.Uniform(b * q * (n - first), 7);
        using var tl = Tensor.FromHost(dev, new Shape(b, q, n - first), logits);
        using var ta = Tensor.Empty(dev, new Shape(b, n, n), DType.UInt8);
        Attention.QueryPatchMask(tl, first, ta, choice);
        return new(AttentionRef.QueryPatchMask(logits, b, n, q, first).Select(v => (float)v).ToArray(),
            ta.ToHost<byte>().Select(v => (float)v).ToArray());
    }

    private static CaseResult RunGrid(ComputeDevice dev, int b, int n, int h, int d, int q, int first, KernelChoice choice)
    {
        var qkv = Inputs.Uniform(b * n * 3 * h * d, 11, -2, 2);
        var logits = Inputs.Uniform(b * q * (n - first), 7);
        logits[0] = float.NaN; // a NaN logit closes its patch (NaN > 0 is false), as the mask kernel does
        using var tq = Tensor.FromHost(dev, new Shape(b, n, 3 * h * d), qkv);
        using var tl = Tensor.FromHost(dev, new Shape(b, q, n - first), logits);
        using var to = Tensor.Empty(dev, new Shape(b, n, h * d));
        Attention.ForwardQueryPatchMasked(tq, to, h, tl, first, choice);
        return new(AttentionRef.Forward(qkv, b, n, h, d, AttentionRef.QueryPatchMask(logits, b, n, q, first)), to.ToHostFloat());
    }

    private static CaseResult Run(ComputeDevice dev, int b, int n, int h, int d, bool masked, KernelChoice choice)
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
        Attention.Forward(tq, to, h, ta, choice);
        return new(AttentionRef.Forward(qkv, b, n, h, d, allowed), to.ToHostFloat());
    }
}
