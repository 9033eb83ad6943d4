using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class ActivationCases
{
    // One float32 exp/erf evaluation per element against a float64 reference: the elementwise tolerance.
    // Our erf is within 7.5e-8 absolute, i.e. GELU within 0.5·|x|·7.5e-8 (< 1e-6 up to |x| ≈ 26, where rtol covers it).
    private const double Abs = 1e-6, Rel = 1e-5;
    private const string Why = "one float32 transcendental per element vs float64";

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        // v1 (Simple) on awkward lengths; the host version on the same plus a tail-heavy 17 and ViT-B's fc1 output
        // at 640² over a quarter of the rows (401 × 3072: many 64 K-float chunks over the cores, a ragged last one).
        foreach (var (version, choice, lengths) in new[] { ("V1", (OpVersion?)null, new[] { 1, 31, 33, 1000 }), ("Host", (OpVersion?)null, new[] { 1, 17, 31, 33, 1000, 401 * 3072 }) })
            foreach (int n in lengths)
            {
                string shape = $"[{n}] U(-6,6)";
                yield return Row("gelu_erf", version, "GeluErf", shape, Abs, Rel, d => Unary(d, Inputs.Uniform(n, 1, -6, 6), (x, y) => Activation.GeluErf(x, y, choice), ActivationRef.GeluErf));
                yield return Row("sigmoid", version, "Sigmoid", shape, Abs, Rel, d => Unary(d, Inputs.Uniform(n, 1, -6, 6), (x, y) => Activation.Sigmoid(x, y, choice), ActivationRef.Sigmoid));
                yield return Row("relu", version, "Relu", shape, 0, 0, d => Unary(d, Inputs.Uniform(n, 1, -6, 6), (x, y) => Activation.Relu(x, y, choice), ActivationRef.Relu));
                yield return Row("silu_mul", version, "SiLUMul", shape, Abs, Rel, d => Binary(d, Inputs.Uniform(n, 1, -6, 6), Inputs.Uniform(n, 2, -2, 2), choice));
            }

        var special = SpecialValues.All;
        string sp = $"[{special.Length}] NaN ±inf ±0 huge";
        foreach (var (version, choice) in new[] { ("V1", (OpVersion?)null), ("Host", (OpVersion?)null) })
        {
            // Dense sweep through both erf branches and the ±3.92 cut-off (x/√2 spans ±6.4).
            yield return Row("gelu_erf", version, "GeluErf", "[4001] linspace(-9,9)", Abs, Rel,
                d => Unary(d, Enumerable.Range(0, 4001).Select(i => -9f + i * 0.0045f).ToArray(), (x, y) => Activation.GeluErf(x, y, choice), ActivationRef.GeluErf));
            yield return Row("gelu_erf", version, "GeluErf", sp, Abs, Rel, d => Unary(d, special, (x, y) => Activation.GeluErf(x, y, choice), ActivationRef.GeluErf));
            yield return Row("sigmoid", version, "Sigmoid", sp, Abs, Rel, d => Unary(d, special, (x, y) => Activation.Sigmoid(x, y, choice), ActivationRef.Sigmoid));
            yield return Row("relu", version, "Relu", sp, 0, 0, d => Unary(d, special, (x, y) => Activation.Relu(x, y, choice), ActivationRef.Relu));
            // b = 1 so the product's overflow is silu's own; b ≠ 1 is covered by the random rows.
            yield return Row("silu_mul", version, "SiLUMul", sp, Abs, Rel, d => Binary(d, special, special.Select(_ => 1f).ToArray(), choice));
        }

        // Bench workloads (host): ViT-B's MLP activation at 640² with queries (1705 tokens × 3072).
        const int big = 1705 * 3072;
        yield return Row("gelu_erf", "Host", "GeluErf", $"[{big}]", Abs, Rel, d => Unary(d, Inputs.Uniform(big, 1, -6, 6), (x, y) => Activation.GeluErf(x, y), ActivationRef.GeluErf)) with { Bench = true };
        yield return Row("sigmoid", "Host", "Sigmoid", $"[{big}]", Abs, Rel, d => Unary(d, Inputs.Uniform(big, 1, -6, 6), (x, y) => Activation.Sigmoid(x, y), ActivationRef.Sigmoid)) with { Bench = true };
        yield return Row("silu_mul", "Host", "SiLUMul", $"[{big}]", Abs, Rel, d => Binary(d, Inputs.Uniform(big, 1, -6, 6), Inputs.Uniform(big, 2, -2, 2), null)) with { Bench = true };
    }

    // "V1" → Activation.<Name>V1 (the catalogue kernel); "Host" → ActivationHost.<Name>.
    private static ConformanceCase Row(string op, string version, string name, string shape, double atol, double rtol, Func<ComputeDevice, CaseResult> run) =>
        new(op, version == "Host" ? $"ActivationHost.{name}" : $"Activation.{name}V1", shape, atol, rtol, atol == 0 ? "exact" : Why,
            d => version == "Host" ? HostDevice.Run(d, run) : run(d));

    private static CaseResult Unary(ComputeDevice d, float[] x, Action<Tensor, Tensor> op, Func<float[], float[]> reference)
    {
        using var tx = Tensor.FromHost(d, new Shape(x.Length), x);
        op(tx, tx); // in place: y aliases x, the contract the public API promises
        return new(reference(x), tx.ToHostFloat());
    }

    private static CaseResult Binary(ComputeDevice d, float[] a, float[] b, OpVersion? choice)
    {
        using var ta = Tensor.FromHost(d, new Shape(a.Length), a);
        using var tb = Tensor.FromHost(d, new Shape(b.Length), b);
        using var ty = Tensor.Empty(d, new Shape(a.Length));
        Activation.SiLUMul(ta, tb, ty, choice);
        return new(ActivationRef.SiLUMul(a, b), ty.ToHostFloat());
    }
}
