using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// The ops `bench kernels` can time, one entry each: inputs, napkin math (FLOPs, bytes) and a check against the
/// plain reference. Catalogue ops without an entry are listed as "no workload".
/// </summary>
public static class BenchWorkloads
{
    private const double ElemAbs = 1e-6, ElemRel = 1e-5;

    /// <summary>Every workload, by op.</summary>
    public static IReadOnlyList<BenchWorkload> All { get; } =
    [
        Binary("add", Elementwise.Add, ElementwiseRef.Add),
        Binary("mul", Elementwise.Mul, ElementwiseRef.Mul),
        new("bias", "RxC", ["64x64"], ["4096x1024"], false, (d, s) =>
        {
            int r = s[0], c = s[1];
            var x = Inputs.Uniform(r * c, 1);
            var b = Inputs.Uniform(c, 2);
            var tx = Tensor.FromHost(d, new Shape(r, c), x);
            var tb = Tensor.FromHost(d, new Shape(c), b);
            var ty = Tensor.Empty(d, new Shape(r, c));
            return new BenchCase($"[{r},{c}]", (double)r * c, 4.0 * (2.0 * r * c + c),
                _ => Elementwise.Bias(tx, tb, ty),
                () => BenchCase.Compare(ElementwiseRef.Bias(x, b), ty.ToHostFloat(), ElemAbs, ElemRel), tx, tb, ty);
        }),
    ];

    /// <summary>The workload for an op, or null.</summary>
    public static BenchWorkload? For(string op) => All.FirstOrDefault(w => w.Op == op);

    // y = f(a, b) over N elements: 1 FLOP and 12 bytes per element.
    private static BenchWorkload Binary(string op, Action<Tensor, Tensor, Tensor> run, Func<float[], float[], float[]> reference) =>
        new(op, "N", ["4096"], ["16777216"], false, (d, s) =>
        {
            int n = s[0];
            var a = Inputs.Uniform(n, 1);
            var b = Inputs.Uniform(n, 2);
            var ta = Tensor.FromHost(d, new Shape(n), a);
            var tb = Tensor.FromHost(d, new Shape(n), b);
            var ty = Tensor.Empty(d, new Shape(n));
            return new BenchCase($"[{n}]", n, 12.0 * n, _ => run(ta, tb, ty),
                () => BenchCase.Compare(reference(a, b), ty.ToHostFloat(), ElemAbs, ElemRel), ta, tb, ty);
        });
}
