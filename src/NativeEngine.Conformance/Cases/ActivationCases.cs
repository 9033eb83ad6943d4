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
        foreach (int n in new[] { 1, 31, 33, 1000 })
        {
            string shape = $"[{n}] U(-6,6)";
            yield return new(Activation.GeluErfOp.Plain, shape, Abs, Rel, Why, d => Unary(d, Inputs.Uniform(n, 1, -6, 6), Activation.GeluErf, ActivationRef.GeluErf));
            yield return new(Activation.SigmoidOp.Plain, shape, Abs, Rel, Why, d => Unary(d, Inputs.Uniform(n, 1, -6, 6), Activation.Sigmoid, ActivationRef.Sigmoid));
            yield return new(Activation.ReluOp.Plain, shape, 0, 0, "exact", d => Unary(d, Inputs.Uniform(n, 1, -6, 6), Activation.Relu, ActivationRef.Relu));
            yield return new(Activation.SiLUMulOp.Plain, shape, Abs, Rel, Why, d => Binary(d, Inputs.Uniform(n, 1, -6, 6), Inputs.Uniform(n, 2, -2, 2)));
        }

        // Dense sweep through both erf branches and the ±3.92 cut-off (x/√2 spans ±6.4).
        yield return new(Activation.GeluErfOp.Plain, "[4001] linspace(-9,9)", Abs, Rel, Why,
            d => Unary(d, Enumerable.Range(0, 4001).Select(i => -9f + i * 0.0045f).ToArray(), Activation.GeluErf, ActivationRef.GeluErf));

        var special = SpecialValues.All;
        string sp = $"[{special.Length}] NaN ±inf ±0 huge";
        yield return new(Activation.GeluErfOp.Plain, sp, Abs, Rel, Why, d => Unary(d, special, Activation.GeluErf, ActivationRef.GeluErf));
        yield return new(Activation.SigmoidOp.Plain, sp, Abs, Rel, Why, d => Unary(d, special, Activation.Sigmoid, ActivationRef.Sigmoid));
        yield return new(Activation.ReluOp.Plain, sp, 0, 0, "exact", d => Unary(d, special, Activation.Relu, ActivationRef.Relu));
        // b = 1 so the product's overflow is silu's own; b ≠ 1 is covered by the random rows.
        yield return new(Activation.SiLUMulOp.Plain, sp, Abs, Rel, Why, d => Binary(d, special, special.Select(_ => 1f).ToArray()));
    }

    private static CaseResult Unary(ComputeDevice d, float[] x, Action<Tensor, Tensor> op, Func<float[], float[]> reference)
    {
        using var tx = Tensor.FromHost(d, new Shape(x.Length), x);
        op(tx, tx); // in place: y aliases x, the contract the public API promises
        return new(reference(x), tx.ToHostFloat());
    }

    private static CaseResult Binary(ComputeDevice d, float[] a, float[] b)
    {
        using var ta = Tensor.FromHost(d, new Shape(a.Length), a);
        using var tb = Tensor.FromHost(d, new Shape(b.Length), b);
        using var ty = Tensor.Empty(d, new Shape(a.Length));
        Activation.SiLUMul(ta, tb, ty);
        return new(ActivationRef.SiLUMul(a, b), ty.ToHostFloat());
    }
}
