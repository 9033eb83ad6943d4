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
        // v1 on awkward sizes; the host version on the same plus a one-vector-and-tail 17 and a ViT-B activation at
        // 640² (1705 × 768: many chunks over the cores, a ragged last one).
        foreach (var (kernel, choice, lengths) in new[] { ("V1", KernelChoice.Simple, new[] { 1, 31, 33, 1000 }), ("Host", KernelChoice.Host, new[] { 1, 17, 31, 33, 1000, 1705 * 768 }) })
            foreach (int n in lengths)
            {
                yield return new("add", kernel == "Host" ? "ElementwiseHost.Add" : "Elementwise.AddV1", $"[{n}]", Abs, Rel, Why,
                    d => HostDevice.Run(d, choice, hd => Binary(hd, n, (a, b, y) => Elementwise.Add(a, b, y, choice), ElementwiseRef.Add)));
                yield return new("mul", kernel == "Host" ? "ElementwiseHost.Mul" : "Elementwise.MulV1", $"[{n}]", Abs, Rel, Why,
                    d => HostDevice.Run(d, choice, hd => Binary(hd, n, (a, b, y) => Elementwise.Mul(a, b, y, choice), ElementwiseRef.Mul)));
            }
        foreach (var (kernel, choice, shapes) in new[] { ("Elementwise.BiasV1", KernelChoice.Simple, new[] { (1, 1), (3, 33), (17, 64) }),
                     ("ElementwiseHost.Bias", KernelChoice.Host, new[] { (1, 1), (3, 33), (17, 64), (5, 17), (1705, 768) }) })
            foreach (var (r, c) in shapes)
                yield return new("bias", kernel, $"[{r},{c}]", Abs, Rel, Why, d => HostDevice.Run(d, choice, hd =>
                {
                    var x = Inputs.Uniform(r * c, 1);
                    var b = Inputs.Uniform(c, 2);
                    using var tx = Tensor.FromHost(hd, new Shape(r, c), x);
                    using var tb = Tensor.FromHost(hd, new Shape(c), b);
                    using var ty = Tensor.Empty(hd, new Shape(r, c));
                    Elementwise.Bias(tx, tb, ty, choice);
                    return new(ElementwiseRef.Bias(x, b), ty.ToHostFloat());
                }));
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
