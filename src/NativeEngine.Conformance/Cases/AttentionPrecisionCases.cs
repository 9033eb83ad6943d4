using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

/// <summary>
/// Attention in bf16 and fp16: v3 on tensor cores (attention/flash-mma unmasked, attention_patch_masked/bits-mma with the
/// per-query patch bitmask; head dim 64), v1 and build-mask, and the host versions, which round q, k, v and P as v3 does, against the
/// plain reference on q/k/v rounded by <see cref="PrecisionRef"/>.
/// </summary>
internal static class AttentionPrecisionCases
{
    // (B, N, heads, Q, firstPatch): one partial key tile; two blocks of queries and two key tiles (64 + 6) with B, H > 1.
    private static readonly (int B, int N, int H, int Q, int First)[] Shapes = [(1, 40, 1, 5, 9), (2, 70, 2, 7, 12)];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // (unmasked version, masked version, head dims): v3 on tensor cores (D = 64 only), v1 and the host (any D).
        var versions = new[] { ("flash-mma", "bits-mma", new[] { 64 }), ("thread-per-query", "build-mask", new[] { 64, 16 }), ("host", "host", new[] { 64, 16 }) };
        foreach (var (plain, maskedVersion, dims) in versions)
            foreach (var p in new[] { Precision.Bf16, Precision.Fp16 })
                foreach (var (b, n, h, q, first) in Shapes)
                    foreach (int dim in dims)
                    foreach (bool masked in new[] { false, true })
                    {
                        double u = PrecisionRef.UnitRoundoff(p.Name());
                        // q, k, v are rounded to the precision in the reference too. P is rounded to the precision before
                        // P·V (as FA2 does): each weight errs by ≤ u relative, so the output by ≤ u·max|v| = 2u; plus the
                        // float32 reductions over D and N.
                        double atol = 2 * u + 2e-6 * (n + 64);
                        var op = masked ? (IOp)Attention.PatchMaskedOp : Attention.Op;
                        var version = op.Version(masked ? maskedVersion : plain);
                        yield return new(version, $"{p.Name()} B{b} N{n} H{h} D{dim}{(masked ? $" masked Q{q} first{first}" : "")}",
                            atol, 1e-5, $"q/k/v rounded to {p.Name()} in the reference; P rounded to {p.Name()} before P·V: atol 2u + 2e-6·(N + D)",
                            d => HostDevice.Run(d, dd => Run(dd, p, b, n, h, dim, masked ? q : 0, first))) { Precision = p };
                    }
        // Bench workloads (CUDA): EoMT-L-like sequences, 16 heads of 64.
        foreach (var p in new[] { Precision.Bf16, Precision.Fp16 })
            foreach (int n in new[] { 4096, 4201, 1805 })
                yield return new(Attention.Op.Version("flash-mma"), $"{p.Name()} B1 N{n} H16 D64",
                    2 * PrecisionRef.UnitRoundoff(p.Name()) + 2e-6 * (n + 64), 1e-5, "as the conformance rows; 8 query rows checked",
                    d => Sampled(d, p, 1, n, 16)) { Bench = true, Precision = p };
        yield return new(Attention.BitsOp.Plain, "B2 Q3 P70 (3 words, ragged)", 0, 0, "a comparison, exact", d =>
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

    // Bench workload: B, N, H at EoMT-L sizes; 8 query rows of every head against a float64 softmax on the rounded
    // q/k/v (a full reference would take minutes). P is rounded before P·V on the device: the conformance tolerance.
    private static CaseResult Sampled(ComputeDevice d, Precision p, int b, int n, int h)
    {
        const int dim = 64;
        int c = h * dim;
        var qkv = PrecisionRef.Round(Inputs.Uniform(b * n * 3 * c, 1, -2, 2), p.Name());
        using var tf = Tensor.FromHost(d, new Shape(b, n, 3 * c), qkv);
        using var to = Tensor.Empty(d, new Shape(b, n, c));
        Attention.Forward(tf, to, h, precision: p);
        var output = to.ToHostFloat();
        var expected = new List<float>();
        var actual = new List<float>();
        var s = new double[n];
        foreach (int i in Enumerable.Range(0, 8).Select(t => (int)((long)t * (b * n - 1) / 7)).Distinct())
            for (int head = 0; head < h; head++)
            {
                int bi = i / n;
                double mx = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < n; j++)
                {
                    double sc = 0;
                    for (int e = 0; e < dim; e++) sc += (double)qkv[i * 3 * c + head * dim + e] * qkv[(bi * n + j) * 3 * c + c + head * dim + e];
                    s[j] = sc / Math.Sqrt(dim);
                    mx = Math.Max(mx, s[j]);
                }
                for (int j = 0; j < n; j++) sum += s[j] = Math.Exp(s[j] - mx);
                for (int e = 0; e < dim; e++)
                {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += s[j] * qkv[(bi * n + j) * 3 * c + 2 * c + head * dim + e];
                    expected.Add((float)(acc / sum));
                    actual.Add(output[i * c + head * dim + e]);
                }
            }
        return new([.. expected], [.. actual]);
    }

    private static CaseResult Run(ComputeDevice d, Precision p, int b, int n, int h, int dim, int queries, int first)
    {
        var raw = Inputs.Uniform(b * n * 3 * h * dim, 23 + n, -2, 2);
        var qkv = PrecisionRef.Round(raw, p.Name()); // the reference's operands; the version rounds raw itself
        using var tf = Tensor.FromHost(d, new Shape(b, n, 3 * h * dim), raw);
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
            Attention.ForwardQueryPatchMasked(tf, to, h, tl, first, precision: p);
            allowed = AttentionRef.QueryPatchMask(logits, b, n, queries, first);
        }
        else Attention.Forward(tf, to, h, precision: p);
        return new(AttentionRef.Forward(qkv, b, n, h, dim, allowed), to.ToHostFloat());
    }
}
