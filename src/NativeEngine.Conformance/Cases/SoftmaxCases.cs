using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class SoftmaxCases
{
    // Each output is exp(x − m)/Σ: one float32 exp (≈2 ulp on the GPU's ex2.approx), a sum of C float32 terms (error
    // ≲ C·u relative, u = 6e-8) and one divide. Outputs are ≤ 1, so atol 1e-6 covers C up to a few hundred; rtol 1e-5.
    private const double Abs = 1e-6, Rel = 1e-5;
    private const string Why = "float32 exp + a C-term sum, outputs ≤ 1";
    private const float NegInf = float.NegativeInfinity, PosInf = float.PositiveInfinity, NaN = float.NaN;

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // v1 on awkward and larger shapes; v2 (explicit groups, slow on the CPU simulator) on small ones only.
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (37, 100), (4, 1000) })
            yield return Row("Softmax.RowsV1", KernelChoice.Simple, r, c);
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (6, 77) })
            yield return Row("Softmax.RowsV2", KernelChoice.Tiled, r, c);

        // Special rows, one per line: all −∞ (NaN, as torch), some −∞, a NaN, a +∞ (NaN), ±0, huge spread.
        // 40 columns so v2's lanes see −∞ before and after finite values.
        var special = SpecialRows(40);
        foreach (var (kernel, choice) in new[] { ("Softmax.RowsV1", KernelChoice.Simple), ("Softmax.RowsV2", KernelChoice.Tiled), ("SoftmaxHost.Rows", KernelChoice.Host) })
            yield return new("softmax_rows", kernel, "[6,40] -inf/NaN/+inf rows", Abs, Rel, "special values as torch.softmax",
                d => HostDevice.Run(d, choice, hd => Run(hd, special, 6, 40, choice)));
        // 17 columns: one vector and a tail with AVX-512; 1705: EoMT-B's token count (100 query rows of one head).
        foreach (var (r, c) in new[] { (1, 1), (3, 31), (5, 32), (2, 33), (4, 17), (37, 100), (4, 1000), (100, 1705) })
            yield return Row("SoftmaxHost.Rows", KernelChoice.Host, r, c);
    }

    private static ConformanceCase Row(string kernel, KernelChoice choice, int r, int c) =>
        new("softmax_rows", kernel, $"[{r},{c}] U(-8,8)", Abs, Rel, Why, d => HostDevice.Run(d, choice, hd => Run(hd, Inputs.Uniform(r * c, r + c, -8, 8), r, c, choice)));

    private static float[] SpecialRows(int c)
    {
        var x = Inputs.Uniform(6 * c, 7, -4, 4);
        for (int j = 0; j < c; j++) x[j] = NegInf;                               // row 0: all −∞ → NaN
        for (int j = 0; j < c; j += 3) x[c + j] = NegInf;                         // row 1: every third −∞ → 0 there
        x[2 * c + 17] = NaN;                                                      // row 2: one NaN → NaN row
        x[3 * c + 5] = PosInf;                                                    // row 3: +∞ → NaN row (∞ − ∞)
        for (int j = 0; j < c; j++) x[4 * c + j] = j % 2 == 0 ? 0f : -0f;         // row 4: ±0 → uniform
        for (int j = 0; j < c; j++) x[5 * c + j] = j == c - 1 ? 80f : -80f + j;   // row 5: spread of 160, no overflow
        return x;
    }

    private static CaseResult Run(ComputeDevice d, float[] x, int r, int c, KernelChoice choice)
    {
        using var tx = Tensor.FromHost(d, new Shape(r, c), x);
        Softmax.Rows(tx, tx, choice); // in place: y aliases x
        return new(SoftmaxRef.Rows(x, c), tx.ToHostFloat());
    }
}
