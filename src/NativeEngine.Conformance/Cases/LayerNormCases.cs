using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class LayerNormCases
{
    // One float32 Welford pass over C terms of shifted data (running mean and M2, lanes merged by Chan) and an rsqrt:
    // the normalised value carries ≈ √C·u relative error and |y| reaches a few units (γ up to 1.5, β up to 0.5), so
    // 1e-5 absolute plus 1e-5 relative.
    private const double Abs = 1e-5, Rel = 1e-5;
    private const string Why = "float32 Welford over C terms + rsqrt, |y| ≲ 5";
    private const float Eps = 1e-5f;

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (37, 100), (3, 1024) })
            yield return Row("LayerNorm.ForwardV1", (OpVersion?)null, r, c);
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (6, 77) })
            yield return Row("LayerNorm.ForwardV2", (OpVersion?)null, r, c);

        foreach (var (kernel, choice) in new[] { ("LayerNorm.ForwardV1", (OpVersion?)null), ("LayerNorm.ForwardV2", (OpVersion?)null), ("LayerNormHost.Forward", (OpVersion?)null) })
            yield return new("layer_norm", kernel, "[4,48] const/NaN/inf/offset 300", Abs, Rel, "special rows; offset row checks the shifted sum",
                d => HostDevice.Run(d, choice, hd => Run(hd, SpecialRows(48), 4, 48, choice)));
        // Host: awkward widths (below, at, above one vector; a tail), then ViT-S/B/L rows at 640² (N = 1705 tokens).
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (37, 100), (3, 1024), (1705, 384), (1705, 768), (64, 1024) })
            yield return Row("LayerNormHost.Forward", (OpVersion?)null, r, c);

        // Bench workloads: EoMT-L's token rows (4101 at 640² with queries, 1800 without), C = 1024.
        foreach (var kernel in new[] { "LayerNorm.ForwardV1", "LayerNorm.ForwardV2", "LayerNormHost.Forward" })
            foreach (var (r, c) in new[] { (4101, 1024), (1800, 1024) })
                yield return Row(kernel, (OpVersion?)null, r, c) with { Bench = true };
        yield return new("layer_norm", "LayerNormHost.Forward", "[6,768] offset 300 + tail rows", Abs, Rel, "offset rows check the shifted one-pass statistics",
            d => HostDevice.Run(d, hd => Run(hd, Inputs.Uniform(6 * 768, 5, -3, 3).Select((v, i) => i / 768 % 2 == 0 ? v + 300f : v).ToArray(), 6, 768, (OpVersion?)null)));
    }

    private static ConformanceCase Row(string kernel, OpVersion? choice, int r, int c) =>
        new("layer_norm", kernel, $"[{r},{c}] U(-3,3)", Abs, Rel, Why, d => HostDevice.Run(d, choice, hd => Run(hd, Inputs.Uniform(r * c, r + c, -3, 3), r, c, choice)));

    private static float[] SpecialRows(int c)
    {
        var x = Inputs.Uniform(4 * c, 9, -1, 1);
        for (int j = 0; j < c; j++) x[j] = 2.5f;       // row 0: constant → σ² = 0 → y = β
        x[c + 7] = float.NaN;                           // row 1: NaN → NaN row
        x[2 * c + 40] = float.PositiveInfinity;         // row 2: +∞ → NaN row (∞ − ∞)
        for (int j = 0; j < c; j++) x[3 * c + j] += 300f; // row 3: large common offset
        return x;
    }

    private static CaseResult Run(ComputeDevice d, float[] x, int r, int c, OpVersion? choice)
    {
        var gamma = Inputs.Uniform(c, 3, 0.5f, 1.5f);
        var beta = Inputs.Uniform(c, 4, -0.5f, 0.5f);
        using var tx = Tensor.FromHost(d, new Shape(r, c), x);
        using var tg = Tensor.FromHost(d, new Shape(c), gamma);
        using var tb = Tensor.FromHost(d, new Shape(c), beta);
        LayerNorm.Forward(tx, tg, tb, tx, Eps, choice); // in place: y aliases x
        return new(LayerNormRef.Forward(x, gamma, beta, c, Eps), tx.ToHostFloat());
    }
}
