using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class LayerNormCases
{
    // Two float32 C-term sums (shifted mean, variance) and an rsqrt: the normalised value carries ≈ √C·u relative
    // error and |y| reaches a few units (γ up to 1.5, β up to 0.5), so 1e-5 absolute plus 1e-5 relative.
    private const double Abs = 1e-5, Rel = 1e-5;
    private const string Why = "two float32 C-term row sums + rsqrt, |y| ≲ 5";
    private const float Eps = 1e-5f;

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (37, 100), (3, 1024) })
            yield return Row(LayerNorm.ThreadPerRow, r, c);
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (6, 77) })
            yield return Row(LayerNorm.WarpPerRow, r, c);

        // Bench workloads: EoMT-L's token rows (4101 at 640² with queries, 1800 without), C = 1024.
        foreach (var v in LayerNorm.Op.Versions)
            foreach (var (r, c) in new[] { (4101, 1024), (1800, 1024) })
                yield return Row(v, r, c) with { Bench = true };

        foreach (var choice in LayerNorm.Op.Versions)
            yield return new(choice, "[4,48] const/NaN/inf/offset 300", Abs, Rel, "special rows; offset row checks the shifted sum",
                d => Run(d, SpecialRows(48), 4, 48, choice));
    }

    private static ConformanceCase Row(OpVersion choice, int r, int c) =>
        new(choice, $"[{r},{c}] U(-3,3)", Abs, Rel, Why, d => Run(d, Inputs.Uniform(r * c, r + c, -3, 3), r, c, choice));

    private static float[] SpecialRows(int c)
    {
        var x = Inputs.Uniform(4 * c, 9, -1, 1);
        for (int j = 0; j < c; j++) x[j] = 2.5f;       // row 0: constant → σ² = 0 → y = β
        x[c + 7] = float.NaN;                           // row 1: NaN → NaN row
        x[2 * c + 40] = float.PositiveInfinity;         // row 2: +∞ → NaN row (∞ − ∞)
        for (int j = 0; j < c; j++) x[3 * c + j] += 300f; // row 3: large common offset
        return x;
    }

    private static CaseResult Run(ComputeDevice d, float[] x, int r, int c, OpVersion choice)
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
