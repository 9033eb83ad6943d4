using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class ElementwiseCases
{
    private const double Abs = 1e-6, Rel = 1e-5;
    private const string Why = "one rounding per element";

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (int n in new[] { 1, 31, 33, 1000 })
        {
            yield return new(Elementwise.AddOp.Plain, $"[{n}]", Abs, Rel, Why, d => Binary(d, n, Elementwise.Add, ElementwiseRef.Add));
            yield return new(Elementwise.MulOp.Plain, $"[{n}]", Abs, Rel, Why, d => Binary(d, n, Elementwise.Mul, ElementwiseRef.Mul));
        }
        foreach (var (r, c) in new[] { (1, 1), (3, 33), (17, 64) })
            yield return new(Elementwise.BiasOp.Plain, $"[{r},{c}]", Abs, Rel, Why, d =>
            {
                var x = Inputs.Uniform(r * c, 1);
                var b = Inputs.Uniform(c, 2);
                using var tx = Tensor.FromHost(d, new Shape(r, c), x);
                using var tb = Tensor.FromHost(d, new Shape(c), b);
                using var ty = Tensor.Empty(d, new Shape(r, c));
                Elementwise.Bias(tx, tb, ty);
                return new(ElementwiseRef.Bias(x, b), ty.ToHostFloat());
            });
    }

    private static CaseResult Binary(Runtime.ComputeDevice d, int n, Action<Tensor, Tensor, Tensor> op, Func<float[], float[], float[]> reference)
    {
        var a = Inputs.Uniform(n, 1);
        var b = Inputs.Uniform(n, 2);
        using var ta = Tensor.FromHost(d, new Shape(n), a);
        using var tb = Tensor.FromHost(d, new Shape(n), b);
        using var ty = Tensor.Empty(d, new Shape(n));
        op(ta, tb, ty);
        return new(reference(a, b), ty.ToHostFloat());
    }
}
