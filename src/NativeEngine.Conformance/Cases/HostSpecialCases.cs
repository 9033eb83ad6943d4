using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

// Special values through the head host versions: NaN, ±∞, ±0 and huge inputs must come out as the reference says
// (vector max/min propagate NaN, the sigmoid saturates to exactly 0 and 1, ragged tails take the same path).
internal static class HostSpecialCases
{
    private const string Why = "special values propagate as in float64 (NaN stays NaN, ±∞ saturate)";

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        const KernelChoice host = KernelChoice.Host;
        yield return new("relu_forward", "TrainOpsHost.Relu", "special values ×37", 1e-6, 1e-5, Why, d => HostRows.On(d, host, dev =>
        {
            var x = SpecialValues.Cycle(37);
            using var tx = Tensor.FromHost(dev, new Shape(37), x);
            using var ty = Tensor.Empty(dev, new Shape(37));
            TrainOps.Relu(tx, ty, host);
            return new(TrainRef.Relu(x), ty.ToHostFloat());
        }));
        yield return new("dropout", "TrainOpsHost.Dropout", "special values ×37 p=0.5", 1e-6, 1e-5, Why, d => HostRows.On(d, host, dev =>
        {
            var x = SpecialValues.Cycle(37);
            using var tx = Tensor.FromHost(dev, new Shape(37), x);
            using var ty = Tensor.Empty(dev, new Shape(37));
            TrainOps.Dropout(tx, ty, 0.5f, 11, 2, host);
            return new(TrainRef.Dropout(x, 0.5f, 11, 2), ty.ToHostFloat());
        }));
        yield return new("anomaly_stats", "UncertaintyStatsHost.Stats", "special values [1,5,7,11]", 1e-5, 1e-5, Why, d => HostRows.On(d, host, dev =>
        {
            var s = SpecialValues.Cycle(5 * 77);
            using var ts = Tensor.FromHost(dev, new Shape(1, 5, 7, 11), s);
            using var to = Tensor.Empty(dev, new Shape(1, 4, 7, 11));
            UncertaintyStats.Compute(ts, to, host);
            return new(AnomalyRef.Stats(s, 1, 5, 77), to.ToHostFloat());
        }));
        yield return new("layernorm2d", "LayerNorm2dHost.Forward", "NaN/±inf pixels [1,9,5,7]", 2e-6 * 3 + 1e-6, 1e-5, Why, d => HostRows.On(d, host, dev =>
        {
            var x = Inputs.Uniform(9 * 35, 4, -3, 3);
            x[3] = float.NaN;                 // channel 0, pixel 3
            x[2 * 35 + 5] = float.PositiveInfinity;
            x[35 + 7] = float.NegativeInfinity;
            var g = Inputs.Uniform(9, 5);
            var b = Inputs.Uniform(9, 6);
            using var tx = Tensor.FromHost(dev, new Shape(1, 9, 5, 7), x);
            using var tg = Tensor.FromHost(dev, new Shape(9), g);
            using var tb = Tensor.FromHost(dev, new Shape(9), b);
            using var ty = Tensor.Empty(dev, new Shape(1, 9, 5, 7));
            LayerNorm2d.Forward(tx, tg, tb, ty, 1e-6f, host);
            return new(LayerNorm2dRef.Forward(x, g, b, 1, 9, 35), ty.ToHostFloat());
        }));
        yield return new("semantic_map", "SemanticMapHost.Map", "±inf/NaN mask logits Q7 K3 5x7", 1e-6 * 7 + 1e-6, 1e-5, Why, d => HostRows.On(d, host, dev =>
        {
            var m = Inputs.Uniform(7 * 35, 7, -8, 8);
            m[0] = float.PositiveInfinity;
            m[35 + 1] = float.NegativeInfinity;
            m[2 * 35 + 2] = float.NaN;
            m[3 * 35 + 33] = 1e30f;
            var cl = Inputs.Uniform(7 * 4, 8, -4, 4);
            using var tm = Tensor.FromHost(dev, new Shape(1, 7, 5, 7), m);
            using var tc = Tensor.FromHost(dev, new Shape(1, 7, 4), cl);
            using var ts = Tensor.Empty(dev, new Shape(1, 3, 5, 7));
            SemanticMap.Forward(tm, tc, ts, host);
            return new(SemanticRef.Map(m, cl, 1, 7, 3, 35), ts.ToHostFloat());
        }));
    }
}
