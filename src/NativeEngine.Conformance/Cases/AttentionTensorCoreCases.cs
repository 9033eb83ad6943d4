using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

/// <summary>attention v3 (tensor cores, head dim 64) in bf16 and fp16, plain and with the per-query patch bitmask.</summary>
internal static class AttentionTensorCoreCases
{
    // (B, N, heads, Q, firstPatch): one partial key tile; two blocks of queries and two key tiles (64 + 6) with B, H > 1.
    private static readonly (int B, int N, int H, int Q, int First)[] Shapes = [(1, 40, 1, 5, 9), (2, 70, 2, 7, 12)];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var p in new[] { "bf16", "fp16" })
            foreach (var (b, n, h, q, first) in Shapes)
                foreach (bool masked in new[] { false, true })
                {
                    double u = PrecisionRef.UnitRoundoff(p);
                    // q, k, v are rounded to the precision in the reference too. P is rounded to the precision before P·V
                    // (as FA2 does): each weight errs by ≤ u relative, so the output by ≤ u·max|v| = 2u; plus the float32
                    // reductions over D and N.
                    double atol = 2 * u + 2e-6 * (n + 64);
                    yield return new("attention_tc", "Attention.ForwardV3", $"{p} B{b} N{n} H{h} D64{(masked ? $" masked Q{q} first{first}" : "")}",
                        atol, 1e-5, $"q/k/v rounded to {p} in the reference; P rounded to {p} before P·V: atol 2u + 2e-6·(N + D)",
                        d => Run(d, p, b, n, h, masked ? q : 0, first));
                }
        yield return new("attention_bits", "Attention.QueryPatchBitsV1", "B2 Q3 P70 (3 words, ragged)", 0, 0, "a comparison, exact", d =>
        {
            const int b = 2, q = 3, patches = 70;
            var logits = Inputs.Uniform(b * q * patches, 17);
            using var tl = Tensor.FromHost(d, new Shape(b, q, patches), logits);
            using var tb = Tensor.Empty(d, new Shape(b, q, 3), DType.Int32);
            Attention.QueryPatchBits(tl, tb);
            return new(AttentionRef.QueryPatchBits(logits, b, q, patches).Select(v => (float)v).ToArray(),
                tb.ToHost<int>().Select(v => (float)(uint)v).ToArray());
        });
    }

    private static CaseResult Run(ComputeDevice d, string p, int b, int n, int h, int queries, int first)
    {
        const int dim = 64;
        var qkv = PrecisionRef.Round(Inputs.Uniform(b * n * 3 * h * dim, 23 + n, -2, 2), p);
        using var tf = Tensor.FromHost(d, new Shape(b, n, 3 * h * dim), qkv);
        using var th = Tensor.Empty(d, tf.Shape, p == "bf16" ? DType.BFloat16 : DType.Float16);
        HalfConvert.FromFloat(tf, th); // exact: the values are already representable
        using var to = Tensor.Empty(d, new Shape(b, n, h * dim));
        byte[]? allowed = null;
        if (queries > 0)
        {
            // Grid logits with a fully-masked query row 0 (the mean-of-V case) and an open last query row.
            int patches = n - first;
            var logits = Inputs.Uniform(b * queries * patches, 29);
            for (int bi = 0; bi < b; bi++)
                for (int j = 0; j < patches; j++)
                {
                    logits[(bi * queries) * patches + j] = -1;
                    logits[(bi * queries + queries - 1) * patches + j] = 1;
                }
            using var tl = Tensor.FromHost(d, new Shape(b, queries, patches), logits);
            using var bits = Tensor.Empty(d, new Shape(b, queries, (patches + 31) / 32), DType.Int32);
            Attention.QueryPatchBits(tl, bits);
            Attention.ForwardTensorCore(th, to, h, bits, first);
            allowed = AttentionRef.QueryPatchMask(logits, b, n, queries, first);
        }
        else Attention.ForwardTensorCore(th, to, h);
        return new(AttentionRef.Forward(qkv, b, n, h, dim, allowed), to.ToHostFloat());
    }
}
