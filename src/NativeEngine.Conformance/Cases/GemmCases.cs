using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class GemmCases
{
    // float32 accumulation of K products of U(-1,1) values against a float64 reference: the error grows like K·u·E|ab|
    // (u = 6e-8, E|ab| = 1/4) in the worst case and like √K·u·|c| typically; atol = 1e-6·K sits between the two.
    private static double Atol(int k) => 1e-6 * Math.Max(k, 1);
    private const double Rel = 1e-5;
    private const string Why = "K-term float32 dot products, atol 1e-6·K";

    private sealed record Spec(int Batch, int M, int N, int K, bool TransA, bool TransB, bool SharedB = false,
        bool Bias = false, float Alpha = 1, float Beta = 0, bool Gelu = false, bool Special = false, bool LayerScale = false)
    {
        public string Label =>
            $"{(Batch > 1 ? $"{Batch}x" : "")}[{M}x{K}]·[{K}x{N}]{(TransA ? " Aᵀ" : "")}{(TransB ? " Bᵀ" : "")}" +
            $"{(SharedB ? " sharedB" : "")}{(Bias ? " +bias" : "")}{(Alpha != 1 ? $" α={Alpha}" : "")}{(Beta != 0 ? $" β={Beta}" : "")}" +
            $"{(Gelu ? " gelu" : "")}{(LayerScale ? " residual+γ⊙" : "")}{(Special ? " NaN/inf" : "")}";
    }

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // v1 (implicit, cheap on the CPU simulator): awkward sizes, every transpose, batch, bias, alpha/beta, GELU.
        var v1 = new List<Spec>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (31, 33, 17), (32, 32, 32), (33, 31, 65), (5, 70, 130) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    v1.Add(new(1, m, n, k, ta, tb));
        v1.Add(new(3, 7, 9, 11, false, false));
        v1.Add(new(3, 7, 9, 11, true, true, SharedB: true));
        v1.Add(new(2, 17, 19, 23, false, true, Bias: true, Alpha: 0.5f, Beta: -1.5f));
        v1.Add(new(1, 9, 40, 33, false, true, Bias: true, Gelu: true));
        v1.Add(new(1, 4, 6, 0, false, false, Bias: true, Beta: 2f)); // K = 0: C = beta·C + bias
        v1.Add(new(1, 6, 5, 7, false, false, Special: true));
        v1.Add(new(1, 9, 40, 33, false, true, Bias: true, LayerScale: true));
        foreach (var s in v1) yield return Row(Gemm.ThreadPerOutput, s);

        // v2 (16×16 groups with barriers: slow on the simulator): one or a few 64×64 tiles, 1–3 K steps.
        var v2 = new List<Spec>
        {
            new(1, 1, 1, 1, false, false),
            new(1, 33, 31, 17, false, false),
            new(1, 33, 31, 17, true, false),
            new(1, 33, 31, 17, false, true),
            new(1, 33, 31, 17, true, true),
            new(1, 65, 66, 40, false, true, Bias: true),
            new(2, 20, 70, 16, false, false, SharedB: true, Alpha: 2f, Beta: 0.5f),
            new(2, 9, 12, 33, true, false, Bias: true),
            new(1, 9, 12, 33, false, true, Bias: true, Gelu: true),
            new(1, 6, 5, 7, false, false, Special: true),
            new(1, 65, 70, 33, false, true, Bias: true, LayerScale: true),
        };
        foreach (var s in v2) yield return Row(Gemm.SmemTile64, s);

        // Host (6×64 or 6×16 micro-tiles, 96×384 output tiles, K blocks of 256): the awkward rows of v1, then shapes across
        // several tiles and K blocks (partial sums in C between blocks) and ViT-S/B-width ones: the host backend is fast,
        // only the float64 reference is slow (≈ 0.1–0.5 s for the largest rows here).
        var host = new List<Spec>(v1)
        {
            new(1, 100, 400, 300, false, false, Bias: true, Alpha: 0.5f, Beta: -1.5f),
            new(1, 100, 400, 300, true, true, Bias: true),
            new(2, 97, 385, 257, true, false, SharedB: true, Beta: 2f),
            new(1, 37, 70, 3072, false, true, Bias: true),
            new(1, 197, 1536, 384, false, true, Bias: true, Gelu: true),   // ViT-S MLP fc1, 197 tokens
            new(1, 197, 384, 1536, false, true, Bias: true, LayerScale: true), // ViT-S MLP fc2 + LayerScale + residual
            new(1, 101, 2304, 768, false, true, Bias: true),               // ViT-B qkv
            new(1, 101, 768, 768, false, true, Bias: true, LayerScale: true),  // ViT-B attention out-projection
            new(1, 130, 97, 64, false, true, Special: true),
        };
        foreach (var s in host) yield return Row(Gemm.Op.Version("host"), s);

        // Linear (x (…, K) · Wᵀ) on every version, with a 3-D x.
        foreach (var v in Gemm.Op.Versions.Where(v => v.Kind != VersionKind.TensorCore)) // fp32 rows; mma runs tf32/bf16/fp16 (GemmPrecisionCases)
            yield return new(v, "linear x[2,5,24]·W[19,24]ᵀ+b", Atol(24), Rel, Why, d => On(d, v, h => Linear(h, v)));

        // Bench workloads: square 1024³ and 2048³, EoMT-L's MLP fc1 at 640² (1800 tokens, 1024 → 4096) (B packed on every
        // call), and ViT-B-640's three big nn.Linear shapes (1600 tokens: qkv 768 → 2304, fc1 768 → 3072, fc2 3072 → 768;
        // x·Wᵀ + b with W marked constant as the model's weights are, so the host GEMM packs it once); 8 rows checked.
        foreach (var v in Gemm.Op.Versions.Where(v => v.Kind != VersionKind.TensorCore)) // fp32 rows; mma runs tf32/bf16/fp16 (GemmPrecisionCases)
        {
            foreach (var (m, n, k) in new[] { (1024, 1024, 1024), (1800, 4096, 1024), (2048, 2048, 2048) })
                yield return new(v, $"{m}x{n}x{k}", Atol(k), Rel, Why, d => On(d, v, h => Sampled(h, m, n, k, v, linear: false))) { Bench = true };
            foreach (var (m, n, k) in new[] { (1600, 2304, 768), (1600, 3072, 768), (1600, 768, 3072) })
                yield return new(v, $"{m}x{n}x{k} linear W const", Atol(k), Rel, Why, d => On(d, v, h => Sampled(h, m, n, k, v, linear: true))) { Bench = true };
        }
    }

    // Host versions need host memory: on CUDA their rows run on a private host device.
    private static CaseResult On(ComputeDevice d, OpVersion v, Func<ComputeDevice, CaseResult> row) =>
        v.Kind == VersionKind.Host ? HostDevice.Run(d, row) : row(d);

    private static ConformanceCase Row(OpVersion v, Spec s) =>
        new(v, s.Label, Atol(s.K), Rel, s.Special ? "NaN/±inf propagate as in float64" : Why, d => On(d, v, h => Run(h, s, v)));

    private static CaseResult Run(ComputeDevice d, Spec s, OpVersion v)
    {
        int seed = s.M * 7 + s.N * 13 + s.K;
        var a = Inputs.Uniform(s.Batch * s.M * s.K, seed);
        var b = Inputs.Uniform((s.SharedB ? 1 : s.Batch) * s.K * s.N, seed + 1);
        var c = Inputs.Uniform(s.Batch * s.M * s.N, seed + 2);
        var bias = s.Bias ? Inputs.Uniform(s.N, seed + 3) : null;
        if (s.Special)
        {
            a[0] = float.NaN;                 // row 0 of C: NaN
            a[s.K + 1] = float.PositiveInfinity; // row 1: ±inf by the sign of B's row 1
            a[2 * s.K + 2] = -0f;
            b[3 * s.N + 2] = float.NegativeInfinity; // column 2 of C: ∓inf, NaN where ∞ meets ∞ of the other sign
        }
        float[]? gamma = s.LayerScale ? Inputs.Uniform(s.N, seed + 4) : null; // C is then the residual, updated in place
        if (s.Beta == 0 && !s.LayerScale) Array.Fill(c, float.NaN); // beta = 0 must not read C (torch.addmm semantics)

        int ar = s.TransA ? s.K : s.M, ac = s.TransA ? s.M : s.K;
        using var ta = Tensor.FromHost(d, s.Batch > 1 ? new Shape(s.Batch, ar, ac) : new Shape(ar, ac), a);
        int br = s.TransB ? s.N : s.K, bc = s.TransB ? s.K : s.N;
        using var tb = Tensor.FromHost(d, s.Batch > 1 && !s.SharedB ? new Shape(s.Batch, br, bc) : new Shape(br, bc), b);
        using var tc = Tensor.FromHost(d, s.Batch > 1 ? new Shape(s.Batch, s.M, s.N) : new Shape(s.M, s.N), c);
        using var tbias = bias is null ? null : Tensor.FromHost(d, new Shape(s.N), bias);
        using var tgamma = gamma is null ? null : Tensor.FromHost(d, new Shape(s.N), gamma);
        if (tgamma is not null) // LayerScale specs are 2-D with Bᵀ: residual C += gamma ⊙ (x·Wᵀ + b), in place
            Gemm.LinearLayerScale(ta, tb, tbias, tgamma, tc, tc, v);
        else if (s.Gelu)
            Gemm.Linear(ta, tb, tbias, tc, GemmEpilogue.Gelu, v); // GELU specs are 2-D with Bᵀ: x·Wᵀ
        else
            Gemm.Matmul(ta, tb, tc, s.TransA, s.TransB, tbias, s.Alpha, s.Beta, v);
        var expected = gamma is not null
            ? GemmRef.LinearLayerScale(a, b, bias, gamma, c, s.M, s.N, s.K)
            : GemmRef.Matmul(a, b, c, s.Batch, s.M, s.N, s.K, s.TransA, s.TransB, s.SharedB, bias, s.Alpha, s.Beta, s.Gelu);
        return new(expected, tc.ToHostFloat());
    }

    private static CaseResult Linear(ComputeDevice d, OpVersion v)
    {
        const int rows = 10, n = 19, k = 24;
        var x = Inputs.Uniform(rows * k, 11);
        var w = Inputs.Uniform(n * k, 12);
        var bias = Inputs.Uniform(n, 13);
        using var tx = Tensor.FromHost(d, new Shape(2, 5, k), x);
        using var tw = Tensor.FromHost(d, new Shape(n, k), w);
        using var tbias = Tensor.FromHost(d, new Shape(n), bias);
        using var ty = Tensor.Empty(d, new Shape(2, 5, n));
        Gemm.Linear(tx, tw, tbias, ty, v);
        return new(GemmRef.Linear(x, w, bias, rows, n, k), ty.ToHostFloat());
    }

    // A full float64 reference of a large GEMM takes minutes: compare 8 rows spread over M (first, last, between).
    // linear: y = x·Wᵀ + b with W (N, K), as nn.Linear.
    private static CaseResult Sampled(ComputeDevice d, int m, int n, int k, OpVersion v, bool linear)
    {
        var a = Inputs.Uniform(m * k, 1);
        var b = Inputs.Uniform(k * n, 2);
        var bias = linear ? Inputs.Uniform(n, 3) : null;
        using var ta = Tensor.FromHost(d, new Shape(m, k), a);
        using var tb = Tensor.FromHost(d, linear ? new Shape(n, k) : new Shape(k, n), b);
        if (linear) tb.MarkConstant();
        using var tbias = bias is null ? null : Tensor.FromHost(d, new Shape(n), bias);
        using var tc = Tensor.Empty(d, new Shape(m, n));
        if (linear) Gemm.Linear(ta, tb, tbias, tc, v);
        else Gemm.Matmul(ta, tb, tc, version: v);
        var c = tc.ToHostFloat();
        var rows = Enumerable.Range(0, 8).Select(t => (int)((long)t * (m - 1) / 7)).Distinct().ToList();
        var expected = rows.SelectMany(i => GemmRef.Matmul(a[(i * k)..((i + 1) * k)], b, null, 1, 1, n, k, false, linear, bias: bias));
        var actual = rows.SelectMany(i => c.AsSpan(i * n, n).ToArray());
        return new(expected.ToArray(), actual.ToArray());
    }
}
