using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

internal static class TrainCases
{
    private const double Abs = 1e-6, Rel = 1e-5;
    // Reductions: float32 sums of up to a few thousand terms of magnitude ≤ 1 against double.
    private const double SumAbs = 1e-4, SumRel = 1e-4;
    private const string Elem = "one rounding per element", Sum = "float32 chunked sums vs double";

    private static readonly (int N, int I, int O)[] LinearShapes = [(1, 1, 1), (33, 4, 64), (300, 64, 32), (17, 32, 1)];

    // Host rows add head-training shapes: tens of thousands of pixel rows through the seed's 4→64→32→1 layers.
    private static readonly (int N, int I, int O)[] HostLinearShapes = [(40000, 4, 64), (40000, 64, 32), (40001, 32, 1), (999, 36, 64)];

    // N-row float32 chunked sums: the error grows with the row count (≤ N·u·E|term| worst case); 1e-7·N on top of SumAbs.
    private static double SumAbsFor(long n) => SumAbs + 1e-7 * n;

    private static readonly VersionKind[] Versions = [VersionKind.Simple, VersionKind.Host];

    // The kernel label of a version: the simulator kernel for Simple, the host method for Host.
    private static string K(VersionKind choice, string v1, string host) => choice == VersionKind.Host ? host : v1;

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var choice in Versions)
        {
            bool host = choice == VersionKind.Host;
            foreach (var (n, i, o) in host ? LinearShapes.Concat(HostLinearShapes) : LinearShapes)
            {
                string s = $"N={n} {i}->{o}";
                double atol = SumAbsFor(Math.Max(n, Math.Max(i, o)));
                yield return new("linear_forward", K(choice, "TrainLinear.ForwardV1", "TrainLinearHost.Forward"), s, atol, SumRel, Sum,
                    d => HostRows.On(d, dev => LinearCase(dev, n, i, o, 0, choice)));
                yield return new("linear_grad_input", K(choice, "TrainLinear.GradInputV1", "TrainLinearHost.GradInput"), s, atol, SumRel, Sum,
                    d => HostRows.On(d, dev => LinearCase(dev, n, i, o, 1, choice)));
                yield return new("linear_grad_weight", K(choice, "TrainLinear.GradWeightPartialV1", "TrainLinearHost.GradWeight"), s, atol, SumRel, Sum,
                    d => HostRows.On(d, dev => LinearCase(dev, n, i, o, 2, choice)));
            }
            foreach (var (n, c) in host ? [(1, 1), (257, 3), (1000, 33), (100000, 1), (40000, 64)] : new[] { (1, 1), (257, 3), (1000, 33) })
            {
                double atol = SumAbsFor(n);
                yield return new("column_sum", K(choice, "TrainLinear.ColumnSumPartialV1", "TrainLinearHost.ColumnSums"), $"[{n},{c}]", atol, SumRel, Sum,
                    d => HostRows.On(d, dev => ColumnSums(dev, n, c, choice)));
                yield return new("sum_squares", K(choice, "TrainOptim.SumSquaresPartialV1", "TrainOptimHost.SumSquares"), $"[{n * c}]", SumAbsFor((long)n * c), SumRel, Sum,
                    d => HostRows.On(d, dev =>
                    {
                        var x = Inputs.Uniform(n * c, 3);
                        using var tx = Tensor.FromHost(dev, new Shape(n * c), x);
                        using var ty = Tensor.Empty(dev, new Shape(1));
                        TrainOptim.SumSquares(tx, ty);
                        return new([TrainRef.SumSquares(x)], ty.ToHostFloat());
                    }));
            }
            foreach (int n in host ? [1, 33, 1000, 1 << 20] : new[] { 1, 33, 1000 })
            {
                yield return new("relu_backward", K(choice, "TrainOps.ReluBackwardV1", "TrainOpsHost.ReluBackward"), $"[{n}]", Abs, Rel, Elem,
                    d => HostRows.On(d, dev =>
                    {
                        var y = ActivationRef.Relu(Inputs.Uniform(n, 4));
                        var dy = Inputs.Uniform(n, 5);
                        using var ty = Tensor.FromHost(dev, new Shape(n), y);
                        using var tdy = Tensor.FromHost(dev, new Shape(n), dy);
                        using var tdx = Tensor.Empty(dev, new Shape(n));
                        TrainOps.ReluBackward(ty, tdy, tdx);
                        return new(TrainRef.ReluBackward(y, dy), tdx.ToHostFloat());
                    }));
                foreach (float p in new[] { 0f, 0.1f, 0.5f })
                    yield return new("dropout", K(choice, "TrainOps.DropoutV1", "TrainOpsHost.Dropout"), $"[{n}] p={p}", Abs, Rel, "same counter-based mask, one multiply",
                        d => HostRows.On(d, dev => Unary(dev, n, (x, y) => TrainOps.Dropout(x, y, p, 7, 3), x => TrainRef.Dropout(x, p, 7, 3))));
            }
            foreach (var (b, c, h, w) in host ? [(1, 1, 1, 1), (2, 4, 3, 5), (2, 4, 160, 161), (1, 36, 33, 65)] : new[] { (1, 1, 1, 1), (2, 4, 3, 5) })
                yield return new("to_pixels", K(choice, "TrainOps.ToPixelsV1", "TrainOpsHost.ToPixels"), $"[{b},{c},{h},{w}]", 0, 0, "a copy",
                    d => HostRows.On(d, dev =>
                    {
                        var x = Inputs.Uniform(b * c * h * w, 6);
                        using var tx = Tensor.FromHost(dev, new Shape(b, c, h, w), x);
                        using var ty = Tensor.Empty(dev, new Shape(b * h * w, c));
                        TrainOps.ToPixels(tx, ty);
                        return new(AnomalyRef.ToPixelMajor(x, b, c, h * w), ty.ToHostFloat());
                    }));
            foreach (var (n, ca, cb) in host ? [(1, 1, 1), (37, 4, 32), (40000, 4, 32)] : new[] { (1, 1, 1), (37, 4, 32) })
            {
                yield return new("concat_cols", K(choice, "TrainOps.ConcatColsV1", "TrainOpsHost.ConcatColumns"), $"N={n} {ca}+{cb}", 0, 0, "a copy",
                    d => HostRows.On(d, dev =>
                    {
                        var a = Inputs.Uniform(n * ca, 8);
                        var bb = Inputs.Uniform(n * cb, 9);
                        using var ta = Tensor.FromHost(dev, new Shape(n, ca), a);
                        using var tb = Tensor.FromHost(dev, new Shape(n, cb), bb);
                        using var ty = Tensor.Empty(dev, new Shape(n, ca + cb));
                        TrainOps.ConcatColumns(ta, tb, ty);
                        return new(TrainRef.Concat(a, bb, n, ca, cb), ty.ToHostFloat());
                    }));
                yield return new("slice_cols", K(choice, "TrainOps.SliceColsV1", "TrainOpsHost.SliceColumns"), $"N={n} {ca}+{cb}", 0, 0, "a copy",
                    d => HostRows.On(d, dev =>
                    {
                        var y = Inputs.Uniform(n * (ca + cb), 10);
                        using var ty = Tensor.FromHost(dev, new Shape(n, ca + cb), y);
                        using var to = Tensor.Empty(dev, new Shape(n, cb));
                        TrainOps.SliceColumns(ty, to, ca);
                        return new(TrainRef.Slice(y, n, ca + cb, ca, cb), to.ToHostFloat());
                    }));
            }
            var upShapes = new[] { (1, 1, 1, 1, 3, 2), (2, 3, 3, 5, 6, 7), (1, 4, 5, 2, 4, 5), (1, 5, 4, 3, 3, 2) };
            foreach (var (b, h, w, c, oh, ow) in host ? upShapes.Concat([(2, 10, 10, 32, 40, 40), (1, 13, 7, 17, 50, 29)]) : upShapes)
            {
                string s = $"[{b},{h},{w},{c}]->[{oh},{ow}]";
                // float32 source coordinates (dst + 0.5)·in/out carry |src|·2⁻²⁴ error, times |Δx| ≤ 2 between taps.
                double coord = 2.4e-7 * Math.Max(h, w);
                yield return new("bilinear_resize", K(choice, "Bilinear.ResizeV1", "BilinearHost.ResizeChannelsLast"), s + " channels-last", Abs + coord, Rel, "4 taps; float32 source coordinates",
                    d => HostRows.On(d, dev => UpsampleCase(dev, b, h, w, c, oh, ow, false, choice)));
                yield return new("upsample_bilinear_cl_backward", K(choice, "TrainOps.UpsampleBackwardV1", "TrainOpsHost.UpsampleBackward"), s, Abs * 10, Rel,
                    "≤ (H/h)(W/w)·4 atomic adds", d => HostRows.On(d, dev => UpsampleCase(dev, b, h, w, c, oh, ow, true, choice)));
            }
            foreach (var (n, c) in host ? [(2, 1), (37, 5), (700, 64), (40000, 64), (1001, 32)] : new[] { (2, 1), (37, 5), (700, 64) })
            {
                string s = $"[{n},{c}]";
                double atol = SumAbsFor(n);
                yield return new("batchnorm_forward", K(choice, "TrainNorm.NormalizeV1", "TrainNormHost.Forward"), s, atol, SumRel, Sum,
                    d => HostRows.On(d, dev => BatchNorm(dev, n, c, 0, choice)));
                yield return new("batchnorm_backward", K(choice, "TrainNorm.BackwardV1", "TrainNormHost.Backward"), s, atol, SumRel, Sum,
                    d => HostRows.On(d, dev => BatchNorm(dev, n, c, 1, choice)));
            }
            foreach (int n in host ? [1, 40, 1000, 100003] : new[] { 1, 40, 1000 })
                yield return BceRow(choice, n);
            foreach (var (n, decoupled, step) in host ? [(1, false, 1), (100, false, 3), (100, true, 1), (257, true, 5), (200003, true, 2)]
                         : new[] { (1, false, 1), (100, false, 3), (100, true, 1), (257, true, 5) })
                yield return AdamRow(choice, n, decoupled, step);
        }

        // Bench workloads (host): the anomaly head's training at 640 × 640 pixels (N = 409600 pixel rows, 4 statistics,
        // hidden 64 and 32): its linear layers forward and backward, BatchNorm, ReLU backward, the channels-last
        // upsample of 160² features to 640² and its adjoint, the BCE, and AdamW on the head's 2.5 k parameters and on
        // a 4 M-parameter tensor (where the step is a pure stream).
        const int px = 640 * 640;
        var hv = VersionKind.Host;
        foreach (var (i, o) in new[] { (4, 64), (64, 32) })
        {
            string s = $"N={px} {i}->{o}";
            double atol = SumAbsFor(px);
            yield return new ConformanceCase("linear_forward", "TrainLinearHost.Forward", s, atol, SumRel, Sum, d => HostRows.On(d, dev => LinearCase(dev, px, i, o, 0, hv))) { Bench = true };
            yield return new ConformanceCase("linear_grad_input", "TrainLinearHost.GradInput", s, atol, SumRel, Sum, d => HostRows.On(d, dev => LinearCase(dev, px, i, o, 1, hv))) { Bench = true };
            yield return new ConformanceCase("linear_grad_weight", "TrainLinearHost.GradWeight", s, atol, SumRel, Sum, d => HostRows.On(d, dev => LinearCase(dev, px, i, o, 2, hv))) { Bench = true };
        }
        yield return new ConformanceCase("batchnorm_forward", "TrainNormHost.Forward", $"[{px},64]", SumAbsFor(px), SumRel, Sum,
            d => HostRows.On(d, dev => BatchNorm(dev, px, 64, 0, hv))) { Bench = true };
        yield return new ConformanceCase("batchnorm_backward", "TrainNormHost.Backward", $"[{px},64]", SumAbsFor(px), SumRel, Sum,
            d => HostRows.On(d, dev => BatchNorm(dev, px, 64, 1, hv))) { Bench = true };
        yield return new ConformanceCase("relu_backward", "TrainOpsHost.ReluBackward", $"[{px * 64}]", Abs, Rel, Elem, d => HostRows.On(d, dev =>
        {
            var y = ActivationRef.Relu(Inputs.Uniform(px * 64, 4));
            var dy = Inputs.Uniform(px * 64, 5);
            using var ty = Tensor.FromHost(dev, new Shape(px * 64), y);
            using var tdy = Tensor.FromHost(dev, new Shape(px * 64), dy);
            using var tdx = Tensor.Empty(dev, new Shape(px * 64));
            TrainOps.ReluBackward(ty, tdy, tdx);
            return new(TrainRef.ReluBackward(y, dy), tdx.ToHostFloat());
        })) { Bench = true };
        string up = "[1,160,160,64]->[640,640]";
        double upCoord = Abs + 2.4e-7 * 160;
        yield return new ConformanceCase("bilinear_resize", "BilinearHost.ResizeChannelsLast", up + " channels-last", upCoord, Rel, "4 taps; float32 source coordinates",
            d => HostRows.On(d, dev => UpsampleCase(dev, 1, 160, 160, 64, 640, 640, false, hv))) { Bench = true };
        yield return new ConformanceCase("upsample_bilinear_cl_backward", "TrainOpsHost.UpsampleBackward", up, Abs * 10, Rel, "≤ 16 adds per input",
            d => HostRows.On(d, dev => UpsampleCase(dev, 1, 160, 160, 64, 640, 640, true, hv))) { Bench = true };
        yield return BceRow(hv, px) with { Bench = true };
        yield return AdamRow(hv, 4 * 64 + 64 + 64 * 32 + 32 + 32 + 1, true, 2) with { Bench = true };
        yield return AdamRow(hv, 1 << 22, true, 2) with { Bench = true };
    }

    private static ConformanceCase BceRow(VersionKind choice, int n) =>
        new("bce_with_logits", K(choice, "TrainLoss.BceV1", "TrainLossHost.BceWithLogits"), $"[{n}] pw=10", SumAbs, SumRel,
            "stable softplus vs log σ in double; a sum for the loss", d => HostRows.On(d, dev =>
            {
                var x = Inputs.Uniform(n, 11, -8, 8);
                var rng = new Random(12);
                var labels = Enumerable.Range(0, n).Select(i => (byte)(i == 0 ? 1 : rng.Next(3) switch { 0 => 0, 1 => 1, _ => 255 })).ToArray();
                using var tx = Tensor.FromHost(dev, new Shape(n), x);
                using var tl = Tensor.FromSpan<byte>(dev, new Shape(n), labels);
                using var loss = Tensor.Empty(dev, new Shape(1));
                using var g = Tensor.Empty(dev, new Shape(n));
                TrainLoss.BceWithLogits(tx, tl, 10f, labels.Count(l => l != 255), loss, g);
                var (rl, rg) = TrainRef.Bce(x, labels, 10);
                return new([(float)rl, .. rg], [.. loss.ToHostFloat(), .. g.ToHostFloat()]);
            }));

    private static ConformanceCase AdamRow(VersionKind choice, int n, bool decoupled, int step) =>
        new("adam_step", K(choice, "TrainOptim.AdamV1", "TrainOptimHost.Adam"), $"[{n}] {(decoupled ? "AdamW" : "Adam")} t={step}", Abs, Rel, Elem,
            d => HostRows.On(d, dev =>
            {
                var p = Inputs.Uniform(n, 13);
                var g = Inputs.Uniform(n, 14);
                var m = Inputs.Uniform(n, 15, -0.1f, 0.1f);
                var v = Inputs.Uniform(n, 16, 0, 0.01f);
                using var tp = Tensor.FromHost(dev, new Shape(n), p);
                using var tg = Tensor.FromHost(dev, new Shape(n), g);
                using var tm = Tensor.FromHost(dev, new Shape(n), m);
                using var tv = Tensor.FromHost(dev, new Shape(n), v);
                TrainOptim.Adam(tp, tg, tm, tv, step, 1e-3, 0.9, 0.999, 1e-8, 0.05, decoupled, 0.7f);
                var r = TrainRef.Adam(p, g, m, v, step, 1e-3, 0.9, 0.999, 1e-8, 0.05, decoupled, 0.7f);
                return new([.. r.P, .. r.M, .. r.V], [.. tp.ToHostFloat(), .. tm.ToHostFloat(), .. tv.ToHostFloat()]);
            }));

    private static CaseResult Unary(ComputeDevice d, int n, Action<Tensor, Tensor> op, Func<float[], float[]> reference)
    {
        var x = Inputs.Uniform(n, 1);
        using var tx = Tensor.FromHost(d, new Shape(n), x);
        using var ty = Tensor.Empty(d, new Shape(n));
        op(tx, ty);
        return new(reference(x), ty.ToHostFloat());
    }

    private static CaseResult LinearCase(ComputeDevice d, int n, int i, int o, int which, VersionKind choice)
    {
        var x = Inputs.Uniform(n * i, 1);
        var w = Inputs.Uniform(o * i, 2);
        var b = Inputs.Uniform(o, 3);
        var dy = Inputs.Uniform(n * o, 4);
        using var tx = Tensor.FromHost(d, new Shape(n, i), x);
        using var tw = Tensor.FromHost(d, new Shape(o, i), w);
        using var tb = Tensor.FromHost(d, new Shape(o), b);
        using var tdy = Tensor.FromHost(d, new Shape(n, o), dy);
        switch (which)
        {
            case 0:
                using (var ty = Tensor.Empty(d, new Shape(n, o)))
                {
                    TrainLinear.Forward(tx, tw, tb, ty);
                    return new(TrainRef.Linear(x, w, b, n, i, o), ty.ToHostFloat());
                }
            case 1:
                using (var tdx = Tensor.Empty(d, new Shape(n, i)))
                {
                    TrainLinear.GradInput(tdy, tw, tdx);
                    return new(TrainRef.LinearGradInput(dy, w, n, i, o), tdx.ToHostFloat());
                }
            default:
                using (var tdw = Tensor.Empty(d, new Shape(o, i)))
                {
                    TrainLinear.GradWeight(tdy, tx, tdw);
                    return new(TrainRef.LinearGradWeight(dy, x, n, i, o), tdw.ToHostFloat());
                }
        }
    }

    private static CaseResult ColumnSums(ComputeDevice d, int n, int c, VersionKind choice)
    {
        var x = Inputs.Uniform(n * c, 2);
        using var tx = Tensor.FromHost(d, new Shape(n, c), x);
        using var ty = Tensor.Empty(d, new Shape(c));
        TrainLinear.ColumnSums(tx, ty, 0.5f);
        return new(TrainRef.ColumnSums(x, c, 0.5), ty.ToHostFloat());
    }

    private static CaseResult UpsampleCase(ComputeDevice d, int b, int h, int w, int c, int oh, int ow, bool backward, VersionKind choice)
    {
        if (!backward)
        {
            var x = Inputs.Uniform(b * h * w * c, 1);
            using var tx = Tensor.FromHost(d, new Shape(b, h, w, c), x);
            using var ty = Tensor.Empty(d, new Shape(b, oh, ow, c));
            Bilinear.ResizeChannelsLast(tx, ty);
            return new(TrainRef.Upsample(x, b, h, w, c, oh, ow), ty.ToHostFloat());
        }
        var dy = Inputs.Uniform(b * oh * ow * c, 2);
        using var tdy = Tensor.FromHost(d, new Shape(b, oh, ow, c), dy);
        using var tdx = Tensor.Empty(d, new Shape(b, h, w, c));
        TrainOps.UpsampleBackward(tdy, tdx);
        return new(TrainRef.UpsampleBackward(dy, b, h, w, c, oh, ow), tdx.ToHostFloat());
    }

    // which 0: forward (y, running mean, running var); 1: backward (dx, dγ, dβ).
    private static CaseResult BatchNorm(ComputeDevice d, int n, int c, int which, VersionKind choice)
    {
        var x = Inputs.Uniform(n * c, 1, -1, 3);
        var gamma = Inputs.Uniform(c, 2, 0.5f, 1.5f);
        var beta = Inputs.Uniform(c, 3);
        var rm = Inputs.Uniform(c, 4);
        var rv = Inputs.Uniform(c, 5, 0.5f, 2f);
        using var tx = Tensor.FromHost(d, new Shape(n, c), x);
        using var tg = Tensor.FromHost(d, new Shape(c), gamma);
        using var tb = Tensor.FromHost(d, new Shape(c), beta);
        using var trm = Tensor.FromHost(d, new Shape(c), rm);
        using var trv = Tensor.FromHost(d, new Shape(c), rv);
        using var ty = Tensor.Empty(d, new Shape(n, c));
        using var mean = Tensor.Empty(d, new Shape(c));
        using var rstd = Tensor.Empty(d, new Shape(c));
        TrainNorm.Forward(tx, tg, tb, trm, trv, ty, mean, rstd, training: true);
        if (which == 0)
        {
            var r = TrainRef.BatchNormTrain(x, n, c, gamma, beta, rm, rv);
            return new([.. r.Y, .. r.RunningMean, .. r.RunningVar], [.. ty.ToHostFloat(), .. trm.ToHostFloat(), .. trv.ToHostFloat()]);
        }
        var dy = Inputs.Uniform(n * c, 6);
        using var tdy = Tensor.FromHost(d, new Shape(n, c), dy);
        using var tdx = Tensor.Empty(d, new Shape(n, c));
        using var dg = Tensor.Empty(d, new Shape(c));
        using var db = Tensor.Empty(d, new Shape(c));
        TrainNorm.Backward(tx, tdy, mean, rstd, tg, tdx, dg, db);
        var rb = TrainRef.BatchNormBackward(x, dy, n, c, gamma);
        return new([.. rb.Dx, .. rb.DGamma, .. rb.DBeta], [.. tdx.ToHostFloat(), .. dg.ToHostFloat(), .. db.ToHostFloat()]);
    }
}
