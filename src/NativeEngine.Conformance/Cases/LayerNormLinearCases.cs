using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class LayerNormLinearCases
{
    // The LayerNorm output a = LN(x)·γ + β reaches |a| ≲ 3 (|x̂| ≤ 1.8 for uniform rows, γ ≤ 1.5, β ≤ 0.5) and carries
    // layer_norm's float32 error (≈ √K·u relative); the K-term float32 dot product with W ~ U(-1,1) then doubles gemm's
    // E|ab| of 1/4: atol 2e-6·K, twice gemm's.
    private static double Atol(int k) => 2e-6 * k;
    private const double Rel = 1e-5;
    private const string Why = "layer_norm then a K-term float32 dot product with |a| ≲ 3: atol 2e-6·K";
    private const float Eps = 1e-5f;

    private sealed record Spec(int Rows, int N, int K, bool Bias = true, bool Gelu = false, bool Special = false, bool ThreeD = false,
        bool ConstantW = false)
    {
        public string Label => $"[{Rows}x{K}]→LN·[{N}x{K}]ᵀ{(Bias ? " +bias" : "")}{(Gelu ? " gelu" : "")}" +
                               $"{(Special ? " offset 300/NaN/inf rows" : "")}{(ThreeD ? " x 3-D" : "")}{(ConstantW ? " W const" : "")}";
    }

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // Both versions (the composed one runs the simulator's plain kernels there: small shapes): awkward sizes (one
        // row, a ragged 6-row panel, a ragged 64-column panel), GELU, no bias, special rows, a 3-D x.
        var small = new List<Spec>
        {
            new(1, 1, 1),
            new(7, 33, 17),
            new(13, 70, 65, Bias: false),
            new(5, 9, 40, Gelu: true),
            new(8, 19, 48, Special: true),
            new(10, 19, 24, ThreeD: true),
        };
        foreach (var v in LayerNormLinear.Op.Versions)
            foreach (var s in small)
                yield return Row(v, s);

        // Host: several row and column tiles, K in several blocks (partial sums between them), ViT-S/B widths.
        var host = LayerNormLinear.Op.Version("host");
        foreach (var s in new Spec[]
        {
            new(97, 385, 800),                  // 3 K blocks, ragged M and N
            new(197, 1536, 384, Gelu: true),    // ViT-S LN2 → fc1 + GELU
            new(197, 2304, 768),                // ViT-B LN1 → qkv
            new(101, 3072, 768, Gelu: true),    // ViT-B LN2 → fc1 + GELU
            new(61, 700, 768, Special: true),   // special rows across tiles
        })
            yield return Row(host, s);

        // Bench workloads: ViT-B-640's LN1 → qkv and LN2 → fc1 + GELU (1600 tokens, W constant as the model's); 8 rows
        // checked against the reference (the whole product in float64 takes many seconds).
        foreach (var s in new Spec[] { new(1600, 2304, 768, ConstantW: true), new(1600, 3072, 768, Gelu: true, ConstantW: true) })
            yield return Row(host, s) with { Bench = true };
    }

    private static ConformanceCase Row(OpVersion v, Spec s) =>
        new(v, s.Label, Atol(s.K), Rel, s.Special ? "NaN/±inf rows give NaN rows; an offset-300 row keeps its accuracy; " + Why : Why,
            d => v.Kind == VersionKind.Host ? HostDevice.Run(d, h => Run(h, s, v)) : Run(d, s, v));

    private static CaseResult Run(ComputeDevice d, Spec s, OpVersion v)
    {
        int seed = s.Rows * 7 + s.N * 13 + s.K;
        var x = Inputs.Uniform(s.Rows * s.K, seed, -3, 3);
        if (s.Special)
        {
            for (int j = 0; j < s.K; j++) x[s.K + j] += 300f;   // row 1: a large common offset (ViT channels)
            x[3 * s.K + s.K / 2] = float.NaN;                   // row 3: NaN → a NaN row
            x[5 * s.K + 1] = float.PositiveInfinity;            // row 5: +∞ → a NaN row (∞ − ∞)
        }
        var gamma = Inputs.Uniform(s.K, seed + 1, 0.5f, 1.5f);
        var beta = Inputs.Uniform(s.K, seed + 2, -0.5f, 0.5f);
        var w = Inputs.Uniform(s.N * s.K, seed + 3);
        var bias = s.Bias ? Inputs.Uniform(s.N, seed + 4) : null;
        var xShape = s.ThreeD ? new Shape(2, s.Rows / 2, s.K) : new Shape(s.Rows, s.K);
        var yShape = s.ThreeD ? new Shape(2, s.Rows / 2, s.N) : new Shape(s.Rows, s.N);
        using var tx = Tensor.FromHost(d, xShape, x);
        using var tg = Tensor.FromHost(d, new Shape(s.K), gamma);
        using var tb = Tensor.FromHost(d, new Shape(s.K), beta);
        using var tw = Tensor.FromHost(d, new Shape(s.N, s.K), w);
        if (s.ConstantW) tw.MarkConstant();
        using var tbias = bias is null ? null : Tensor.FromHost(d, new Shape(s.N), bias);
        using var scratch = Tensor.Empty(d, xShape);
        using var ty = Tensor.FromHost(d, yShape, Enumerable.Repeat(float.NaN, s.Rows * s.N).ToArray()); // y is write-only
        LayerNormLinear.Forward(tx, tg, tb, Eps, tw, tbias, ty, scratch, s.Gelu ? GemmEpilogue.Gelu : GemmEpilogue.None, v);
        var y = ty.ToHostFloat();
        if (s.Rows < 1000)
            return new(LayerNormLinearRef.Forward(x, gamma, beta, Eps, w, bias, s.Rows, s.N, s.K, s.Gelu), y);
        var rows = Enumerable.Range(0, 8).Select(t => t * (s.Rows - 1) / 7).ToList(); // first, last and between
        var expected = rows.SelectMany(i => LayerNormLinearRef.Forward(x[(i * s.K)..((i + 1) * s.K)], gamma, beta, Eps, w, bias, 1, s.N, s.K, s.Gelu));
        return new(expected.ToArray(), rows.SelectMany(i => y.AsSpan(i * s.N, s.N).ToArray()).ToArray());
    }
}
