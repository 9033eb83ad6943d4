using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// Bench workloads of the ops after the backbone (mask head, semantic map, statistics, anomaly head, windows) and of
/// head training, batch 1. GPU (and host-backend) sizes are EoMT-B-640's: 768 channels, 100 queries, 19 classes, the
/// mask head at 160² after two 2× upscales, the statistics and head at the 640² output; training rows are its 0.41 M
/// output pixels through the seed's 4→64→32→1 head. Large references are checked on a slice (leading pixels, a few
/// channels or queries), which catches indexing as surely as the whole output would.
/// </summary>
internal static class HeadBenchWorkloads
{
    private const double ElemAbs = 1e-6, ElemRel = 1e-5;
    private const int CheckPixels = 4096;

    /// <summary>The workloads.</summary>
    public static IReadOnlyList<BenchWorkload> All { get; } =
    [
        // 2·4·Cout·Cin·HW FLOPs; x, weight, bias read once, y written once. Checked on the first two output channels.
        new("conv_transpose2x2", "CinxCoutxHxW", ["16x8x5x5"], ["768x768x80x80"], true, (d, s) =>
        {
            int cin = s[0], cout = s[1], h = s[2], w = s[3], hw = h * w;
            var x = Inputs.Uniform(cin * hw, 1);
            var wt = Inputs.Uniform(cin * cout * 4, 2, -0.05f, 0.05f);
            var bias = Inputs.Uniform(cout, 3);
            var tx = Tensor.FromHost(d, new Shape(1, cin, h, w), x);
            var tw = Tensor.FromHost(d, new Shape(cin, cout, 2, 2), wt);
            var tb = Tensor.FromHost(d, new Shape(cout), bias);
            var ty = Tensor.Empty(d, new Shape(1, cout, 2 * h, 2 * w));
            int cs = Math.Min(2, cout);
            return new BenchCase($"[1,{cin},{h},{w}]->{cout}", 8.0 * cout * cin * hw, 4.0 * (cin * hw + 4.0 * cin * cout + cout + 4.0 * cout * hw),
                choice => ConvTranspose2x2.Forward(tx, tw, tb, ty, choice), () =>
                {
                    var ws = new float[cin * cs * 4];
                    for (int c = 0; c < cin; c++) Array.Copy(wt, c * cout * 4, ws, c * cs * 4, cs * 4);
                    var expected = ConvRef.ConvTranspose2x2(x, ws, bias[..cs], 1, cin, cs, h, w);
                    return BenchCase.Compare(expected, ty.ToHostFloat().AsSpan(0, expected.Length), 1e-6 * cin, 1e-5);
                }, tx, tw, tb, ty);
        }),
        // 18 FLOPs per output, 8 bytes.
        new("depthwise_conv3x3", "CxHxW", ["8x9x9"], ["768x160x160"], true, (d, s) =>
        {
            int c = s[0], h = s[1], w = s[2], n = c * h * w;
            var x = Inputs.Uniform(n, 1);
            var wt = Inputs.Uniform(c * 9, 2);
            var tx = Tensor.FromHost(d, new Shape(1, c, h, w), x);
            var tw = Tensor.FromHost(d, new Shape(c, 1, 3, 3), wt);
            var ty = Tensor.Empty(d, new Shape(1, c, h, w));
            return new BenchCase($"[1,{c},{h},{w}]", 18.0 * n, 8.0 * n, choice => DepthwiseConv3x3.Forward(tx, tw, ty, choice),
                () => BenchCase.Compare(ConvRef.DepthwiseConv3x3(x, wt, 1, c, h, w), ty.ToHostFloat(), 1e-5, 1e-5), tx, tw, ty);
        }),
        // 8 FLOPs per element, 8 bytes. Checked on the leading pixels of every channel.
        new("layernorm2d", "CxHxW", ["33x5x7"], ["768x160x160"], true, (d, s) =>
        {
            int c = s[0], hw = s[1] * s[2], n = c * hw, p = Math.Min(hw, CheckPixels);
            var x = Inputs.Uniform(n, 1, -3, 5);
            var g = Inputs.Uniform(c, 2);
            var b = Inputs.Uniform(c, 3);
            var tx = Tensor.FromHost(d, new Shape(1, c, s[1], s[2]), x);
            var tg = Tensor.FromHost(d, new Shape(c), g);
            var tb = Tensor.FromHost(d, new Shape(c), b);
            var ty = Tensor.Empty(d, new Shape(1, c, s[1], s[2]));
            return new BenchCase($"[1,{c},{s[1]},{s[2]}]", 8.0 * n, 8.0 * n, choice => LayerNorm2d.Forward(tx, tg, tb, ty, 1e-6f, choice),
                () => BenchCase.Compare(LayerNorm2dRef.Forward(Leading(x, c, hw, p), g, b, 1, c, p), Leading(ty.ToHostFloat(), c, hw, p),
                    2e-6 * Math.Sqrt(c) + 1e-6, 1e-5), tx, tg, tb, ty);
        }),
        // 3 lerps (6 FLOPs) per output; input read once, output written once.
        new("bilinear_resize", "CxHxWxH2xW2", ["3x5x7x13x11"], ["100x160x160x640x640"], true, (d, s) =>
        {
            int c = s[0], h = s[1], w = s[2], oh = s[3], ow = s[4];
            var x = Inputs.Uniform(c * h * w, 1);
            var tx = Tensor.FromHost(d, new Shape(1, c, h, w), x);
            var ty = Tensor.Empty(d, new Shape(1, c, oh, ow));
            return new BenchCase($"[1,{c},{h},{w}]->[{oh},{ow}]", 6.0 * c * oh * ow, 4.0 * c * ((double)h * w + (double)oh * ow),
                choice => Bilinear.Resize(tx, ty, choice),
                () => BenchCase.Compare(BilinearRef.Resize(x, c, h, w, oh, ow), ty.ToHostFloat(), 2e-6 + 2.4e-7 * Math.Max(h, w), 1e-5), tx, ty);
        }),
        // 2·Q·C·HW FLOPs. Checked on the first two queries.
        new("mask_logits", "QxCxHxW", ["5x17x6x6"], ["100x768x160x160"], true, (d, s) =>
        {
            int q = s[0], c = s[1], hw = s[2] * s[3];
            var qs = Inputs.Uniform(q * c, 1);
            var f = Inputs.Uniform(c * hw, 2);
            var tq = Tensor.FromHost(d, new Shape(1, q, c), qs);
            var tf = Tensor.FromHost(d, new Shape(1, c, s[2], s[3]), f);
            var tl = Tensor.Empty(d, new Shape(1, q, s[2], s[3]));
            int qc = Math.Min(2, q);
            return new BenchCase($"Q{q} C{c} {s[2]}x{s[3]}", 2.0 * q * c * hw, 4.0 * ((double)q * c + (double)c * hw + (double)q * hw),
                choice => MaskLogits.Compute(tq, tf, tl, choice), () =>
                {
                    var expected = SemanticRef.MaskLogits(qs[..(qc * c)], f, 1, qc, c, hw);
                    return BenchCase.Compare(expected, tl.ToHostFloat().AsSpan(0, expected.Length), 1e-6 * c + 1e-6, 1e-5);
                }, tq, tf, tl);
        }),
        // 2·Q·K FLOPs + one sigmoid per (q, pixel); mask logits read once, map written once. Leading pixels checked.
        new("semantic_map", "QxKxHxW", ["7x3x5x6"], ["100x19x640x640"], true, (d, s) =>
        {
            int q = s[0], k = s[1], hw = s[2] * s[3], p = Math.Min(hw, CheckPixels);
            var m = Inputs.Uniform(q * hw, 1, -8, 8);
            var cl = Inputs.Uniform(q * (k + 1), 2, -4, 4);
            var tm = Tensor.FromHost(d, new Shape(1, q, s[2], s[3]), m);
            var tc = Tensor.FromHost(d, new Shape(1, q, k + 1), cl);
            var ts = Tensor.Empty(d, new Shape(1, k, s[2], s[3]));
            return new BenchCase($"Q{q} K{k} {s[2]}x{s[3]}", (2.0 * k + 4) * q * hw, 4.0 * ((double)q * hw + (double)k * hw),
                choice => SemanticMap.Forward(tm, tc, ts, choice),
                () => BenchCase.Compare(SemanticRef.Map(Leading(m, q, hw, p), cl, 1, q, k, p), Leading(ts.ToHostFloat(), k, hw, p), 1e-6 * q + 1e-6, 1e-5),
                tm, tc, ts);
        }),
        // ~6 FLOPs + one log per (class, pixel); K planes read once, 4 written.
        new("anomaly_stats", "KxHxW", ["19x5x7"], ["19x640x640"], true, (d, s) =>
        {
            int k = s[0], hw = s[1] * s[2];
            var sm = Inputs.Uniform(k * hw, 1, 0, 1);
            var ts = Tensor.FromHost(d, new Shape(1, k, s[1], s[2]), sm);
            var to = Tensor.Empty(d, new Shape(1, 4, s[1], s[2]));
            return new BenchCase($"[1,{k},{s[1]},{s[2]}]", 6.0 * k * hw, 4.0 * (k + 4.0) * hw, choice => UncertaintyStats.Compute(ts, to, choice),
                () => BenchCase.Compare(AnomalyRef.Stats(sm, 1, k, hw), to.ToHostFloat(), 1e-5, 1e-5), ts, to);
        }),
        // Entropy (the costliest baseline): ~6 FLOPs + one exp per (class, pixel); K planes read once, 1 written.
        new("anomaly_baseline", "KxHxW", ["19x5x7"], ["19x640x640"], true, (d, s) =>
        {
            int k = s[0], hw = s[1] * s[2];
            var sm = Inputs.Uniform(k * hw, 1, 0, 1);
            var ts = Tensor.FromHost(d, new Shape(1, k, s[1], s[2]), sm);
            var to = Tensor.Empty(d, new Shape(1, s[1], s[2]));
            return new BenchCase($"[1,{k},{s[1]},{s[2]}] entropy", 6.0 * k * hw, 4.0 * (k + 1.0) * hw,
                choice => AnomalyScores.Baseline(ts, to, BaselineMethod.Entropy, 1f, choice),
                () => BenchCase.Compare(AnomalyRef.Baseline(sm, 1, k, hw, 2, 1), to.ToHostFloat(), 1e-5, 1e-5), ts, to);
        }),
        // The head alone on stats planes (+ Cin − 4 extra feature planes for the hybrid head: Cin = 36).
        new("anomaly_head", "HxWxCin", ["5x7x4"], ["640x640x4", "640x640x36"], true, (d, s) =>
        {
            int hw = s[0] * s[1], cin = Math.Max(4, s[2]), ce = cin - 4, p = Math.Min(hw, CheckPixels);
            var stats = Inputs.Uniform(4 * hw, 1, 0, 2);
            var extra = Inputs.Uniform(Math.Max(1, hw * ce), 2);
            var head = Head(cin, 64, 32, 3);
            var ts = Tensor.FromHost(d, new Shape(1, 4, s[0], s[1]), stats);
            var te = Tensor.FromHost(d, new Shape(Math.Max(1, hw * ce)), extra); // (Ce, H, W) planes
            var tw = Tensor.FromHost(d, new Shape(head.Length), head);
            var tl = Tensor.Empty(d, new Shape(1, 1, s[0], s[1]));
            var packed = new PackedHead(tw, cin, 64, 32);
            return new BenchCase($"[1,{cin},{s[0]},{s[1]}] H=64,32", HeadFlops(cin, 64, 32) * hw, 4.0 * (cin + 1.0) * hw,
                choice => AnomalyHeadKernels.Forward(packed, ts, ce > 0 ? te.Reshape(1, ce, s[0], s[1]) : null, tl, choice), () =>
                {
                    var x = new float[p * cin];
                    for (int i = 0; i < p; i++)
                    {
                        for (int c = 0; c < 4; c++) x[i * cin + c] = stats[c * hw + i];
                        for (int e = 0; e < ce; e++) x[i * cin + 4 + e] = extra[e * hw + i];
                    }
                    var (w1, b1, w2, b2, w3, b3) = Unpack(head, cin, 64, 32);
                    return BenchCase.Compare(AnomalyRef.Head(x, p, cin, w1, b1, w2, b2, w3, b3), tl.ToHostFloat().AsSpan(0, p), 1e-4, 1e-4);
                }, ts, te, tw, tl);
        }),
        // One window covering the image: sum and count read and written, the window read: 20 bytes per pixel.
        new("window_accumulate", "HxW", ["5x7"], ["640x640"], true, (d, s) =>
        {
            int n = s[0] * s[1];
            var win = Inputs.Uniform(n, 1);
            var tw = Tensor.FromHost(d, new Shape(s[0], s[1]), win);
            var sum = Tensor.Zeros(d, new Shape(s[0], s[1]));
            var count = Tensor.Zeros(d, new Shape(s[0], s[1]));
            return new BenchCase($"[{s[0]},{s[1]}]", 2.0 * n, 20.0 * n, choice => AnomalyHeadKernels.AccumulateWindow(tw, sum, count, 0, 0, choice), () =>
            {
                var c = count.ToHostFloat();
                var expected = sum.ToHostFloat().Select((_, i) => win[i] * c[i]).ToArray(); // every launch added the window once
                return BenchCase.Compare(expected, sum.ToHostFloat(), 1e-4, 1e-5);
            }, tw, sum, count);
        }),
        WindowDivide("window_score", true),
        WindowDivide("window_average", false),

        // Head training, EoMT-B-640's 0.41 M output pixels (640x640 = 409600 rows).
        Linear("linear_forward", 0),
        Linear("linear_grad_input", 1),
        Linear("linear_grad_weight", 2),
        new("column_sum", "NxC", ["1000x33"], ["409600x64"], true, (d, s) =>
        {
            int n = s[0], c = s[1];
            var x = Inputs.Uniform(n * c, 1);
            var tx = Tensor.FromHost(d, new Shape(n, c), x);
            var ty = Tensor.Empty(d, new Shape(c));
            return new BenchCase($"[{n},{c}]", (double)n * c, 4.0 * n * c, choice => TrainLinear.ColumnSums(tx, ty, 1f, false, choice),
                () => BenchCase.Compare(TrainRef.ColumnSums(x, c), ty.ToHostFloat(), 1e-4 + 1e-7 * n, 1e-4), tx, ty);
        }),
        new("bce_with_logits", "N", ["1000"], ["409600"], true, (d, s) =>
        {
            int n = s[0];
            var x = Inputs.Uniform(n, 1, -8, 8);
            var rng = new Random(2);
            var labels = Enumerable.Range(0, n).Select(_ => (byte)(rng.Next(3) switch { 0 => 0, 1 => 1, _ => 255 })).ToArray();
            long valid = labels.Count(l => l != 255);
            var tx = Tensor.FromHost(d, new Shape(n), x);
            var tl = Tensor.FromSpan<byte>(d, new Shape(n), labels);
            var loss = Tensor.Empty(d, new Shape(1));
            var g = Tensor.Empty(d, new Shape(n));
            return new BenchCase($"[{n}]", 20.0 * n, 9.0 * n, choice => TrainLoss.BceWithLogits(tx, tl, 10f, valid, loss, g, choice), () =>
            {
                var (rl, rg) = TrainRef.Bce(x, labels, 10);
                return BenchCase.Compare([(float)rl, .. rg], [.. loss.ToHostFloat(), .. g.ToHostFloat()], 1e-4, 1e-4);
            }, tx, tl, loss, g);
        }),
        BatchNorm("batchnorm_normalize", backward: false),
        BatchNorm("batchnorm_backward", backward: true),
        Unary("relu_forward", 1, 8, (x, y, c) => TrainOps.Relu(x, y, c), TrainRef.Relu),
        Unary("dropout", 12, 8, (x, y, c) => TrainOps.Dropout(x, y, 0.1f, 7, 3, c), x => TrainRef.Dropout(x, 0.1f, 7, 3)),
        new("relu_backward", "N", ["4096"], ["26214400"], true, (d, s) =>
        {
            int n = s[0];
            var y = TrainRef.Relu(Inputs.Uniform(n, 1));
            var dy = Inputs.Uniform(n, 2);
            var ty = Tensor.FromHost(d, new Shape(n), y);
            var tdy = Tensor.FromHost(d, new Shape(n), dy);
            var tdx = Tensor.Empty(d, new Shape(n));
            return new BenchCase($"[{n}]", n, 12.0 * n, choice => TrainOps.ReluBackward(ty, tdy, tdx, choice),
                () => BenchCase.Compare(TrainRef.ReluBackward(y, dy), tdx.ToHostFloat(), ElemAbs, ElemRel), ty, tdy, tdx);
        }),
        new("to_pixels", "CxHxW", ["4x5x7"], ["4x640x640", "36x640x640"], true, (d, s) =>
        {
            int c = s[0], hw = s[1] * s[2];
            var x = Inputs.Uniform(c * hw, 1);
            var tx = Tensor.FromHost(d, new Shape(1, c, s[1], s[2]), x);
            var ty = Tensor.Empty(d, new Shape(hw, c));
            return new BenchCase($"[1,{c},{s[1]},{s[2]}]", 0, 8.0 * c * hw, choice => TrainOps.ToPixels(tx, ty, choice),
                () => BenchCase.Compare(AnomalyRef.ToPixelMajor(x, 1, c, hw), ty.ToHostFloat(), 0, 0), tx, ty);
        }),
        new("concat_cols", "NxCaxCb", ["37x4x32"], ["409600x4x32"], true, (d, s) =>
        {
            int n = s[0], ca = s[1], cb = s[2];
            var a = Inputs.Uniform(n * ca, 1);
            var b = Inputs.Uniform(n * cb, 2);
            var ta = Tensor.FromHost(d, new Shape(n, ca), a);
            var tb = Tensor.FromHost(d, new Shape(n, cb), b);
            var ty = Tensor.Empty(d, new Shape(n, ca + cb));
            return new BenchCase($"N={n} {ca}+{cb}", 0, 8.0 * n * (ca + cb), choice => TrainOps.ConcatColumns(ta, tb, ty, choice),
                () => BenchCase.Compare(TrainRef.Concat(a, b, n, ca, cb), ty.ToHostFloat(), 0, 0), ta, tb, ty);
        }),
        new("slice_cols", "NxCaxCb", ["37x4x32"], ["409600x4x32"], true, (d, s) =>
        {
            int n = s[0], ca = s[1], cb = s[2];
            var y = Inputs.Uniform(n * (ca + cb), 1);
            var ty = Tensor.FromHost(d, new Shape(n, ca + cb), y);
            var to = Tensor.Empty(d, new Shape(n, cb));
            return new BenchCase($"N={n} {ca}+{cb} -> {cb}", 0, 8.0 * n * cb, choice => TrainOps.SliceColumns(ty, to, ca, choice),
                () => BenchCase.Compare(TrainRef.Slice(y, n, ca + cb, ca, cb), to.ToHostFloat(), 0, 0), ty, to);
        }),
        Upsample("upsample_bilinear_cl", backward: false),
        Upsample("upsample_bilinear_cl_backward", backward: true),
        // Adam: ~14 FLOPs, 16 bytes read and 12 written per parameter.
        new("adam_step", "N", ["4096"], ["1048576"], true, (d, s) =>
        {
            int n = s[0];
            var p = Inputs.Uniform(n, 1);
            var g = Inputs.Uniform(n, 2);
            var tp = Tensor.FromHost(d, new Shape(n), p);
            var tg = Tensor.FromHost(d, new Shape(n), g);
            var tm = Tensor.Zeros(d, new Shape(n));
            var tv = Tensor.Zeros(d, new Shape(n));
            // Timed launches keep updating the state: validation checks finiteness and the first step's size bound (≤ lr).
            return new BenchCase($"[{n}] AdamW", 14.0 * n, 28.0 * n,
                choice => TrainOptim.Adam(tp, tg, tm, tv, 1, 1e-3, 0.9, 0.999, 1e-8, 0.05, true, 1f, choice), () =>
                {
                    var after = tp.ToHostFloat();
                    for (int i = 0; i < n; i++)
                        if (!float.IsFinite(after[i])) return (double.PositiveInfinity, $"element {i} is {after[i]}");
                    return (0, null);
                }, tp, tg, tm, tv);
        }),
        new("sum_squares", "N", ["4096"], ["1048576"], true, (d, s) =>
        {
            int n = s[0];
            var x = Inputs.Uniform(n, 1);
            var tx = Tensor.FromHost(d, new Shape(n), x);
            var ty = Tensor.Empty(d, new Shape(1));
            return new BenchCase($"[{n}]", 2.0 * n, 4.0 * n, choice => TrainOptim.SumSquares(tx, ty, false, choice),
                () => BenchCase.Compare([(float)x.Sum(v => (double)v * v)], ty.ToHostFloat(), 1e-4 + 1e-7 * n, 1e-4), tx, ty);
        }),
    ];

    private static BenchWorkload WindowDivide(string op, bool sigmoid) =>
        new(op, "HxW", ["5x7"], ["640x640"], true, (d, s) =>
        {
            int n = s[0] * s[1];
            var sum = Inputs.Uniform(n, 1, -4, 4);
            var count = Inputs.Uniform(n, 2, 0, 3).Select(MathF.Floor).ToArray();
            var ts = Tensor.FromHost(d, new Shape(s[0], s[1]), sum);
            var tc = Tensor.FromHost(d, new Shape(s[0], s[1]), count);
            var to = Tensor.Empty(d, new Shape(s[0], s[1]));
            var expected = sum.Select((v, i) => { double l = v / Math.Max(count[i], 1.0); return (float)(sigmoid ? 1 / (1 + Math.Exp(-l)) : l); }).ToArray();
            return new BenchCase($"[{s[0]},{s[1]}]", (sigmoid ? 5.0 : 2.0) * n, 12.0 * n, choice =>
                {
                    if (sigmoid) AnomalyHeadKernels.Score(ts, tc, to, choice);
                    else AnomalyHeadKernels.Average(ts, tc, to, choice);
                },
                () => BenchCase.Compare(expected, to.ToHostFloat(), ElemAbs, ElemRel), ts, tc, to);
        });

    // which 0: forward (bias), 1: dx, 2: dW. Row-wise outputs are checked on the leading rows; dW on all of them.
    private static BenchWorkload Linear(string op, int which) =>
        new(op, "NxIxO", ["300x64x32"], ["409600x4x64", "409600x64x32", "409600x32x1"], true, (d, s) =>
        {
            int n = s[0], i = s[1], o = s[2], rows = Math.Min(n, CheckPixels);
            var x = Inputs.Uniform(n * i, 1);
            var w = Inputs.Uniform(o * i, 2);
            var b = Inputs.Uniform(o, 3);
            var dy = Inputs.Uniform(n * o, 4);
            var tx = Tensor.FromHost(d, new Shape(n, i), x);
            var tw = Tensor.FromHost(d, new Shape(o, i), w);
            var tb = Tensor.FromHost(d, new Shape(o), b);
            var tdy = Tensor.FromHost(d, new Shape(n, o), dy);
            var tout = Tensor.Empty(d, which == 0 ? new Shape(n, o) : which == 1 ? new Shape(n, i) : new Shape(o, i));
            double bytes = 4.0 * (which == 0 ? (double)n * (i + o) : which == 1 ? (double)n * (o + i) : (double)n * (i + o)) + 4.0 * o * i;
            Action<KernelChoice> launch = which switch
            {
                0 => c => TrainLinear.Forward(tx, tw, tb, tout, c),
                1 => c => TrainLinear.GradInput(tdy, tw, tout, c),
                _ => c => TrainLinear.GradWeight(tdy, tx, tout, false, c),
            };
            return new BenchCase($"N={n} {i}->{o}", 2.0 * n * i * o, bytes, launch, () => which switch
            {
                0 => BenchCase.Compare(TrainRef.Linear(x[..(rows * i)], w, b, rows, i, o), tout.ToHostFloat().AsSpan(0, rows * o), 1e-4, 1e-4),
                1 => BenchCase.Compare(TrainRef.LinearGradInput(dy[..(rows * o)], w, rows, i, o), tout.ToHostFloat().AsSpan(0, rows * i), 1e-4, 1e-4),
                _ => BenchCase.Compare(TrainRef.LinearGradWeight(dy, x, n, i, o), tout.ToHostFloat(), 1e-4 + 1e-7 * n, 1e-4),
            }, tx, tw, tb, tdy, tout);
        });

    // Training-mode BatchNorm1d forward (3 reads, 1 write of x) or backward (x, dy read twice, dx written).
    private static BenchWorkload BatchNorm(string op, bool backward) =>
        new(op, "NxC", ["700x64"], ["409600x64"], true, (d, s) =>
        {
            int n = s[0], c = s[1];
            var x = Inputs.Uniform(n * c, 1, -1, 3);
            var gamma = Inputs.Uniform(c, 2, 0.5f, 1.5f);
            var dy = Inputs.Uniform(n * c, 3);
            var tx = Tensor.FromHost(d, new Shape(n, c), x);
            var tg = Tensor.FromHost(d, new Shape(c), gamma);
            var tb = Tensor.Zeros(d, new Shape(c));
            var trm = Tensor.Zeros(d, new Shape(c));
            var trv = Tensor.FromHost(d, new Shape(c), Enumerable.Repeat(1f, c).ToArray());
            var ty = Tensor.Empty(d, new Shape(n, c));
            var mean = Tensor.Empty(d, new Shape(c));
            var rstd = Tensor.Empty(d, new Shape(c));
            var tdy = Tensor.FromHost(d, new Shape(n, c), dy);
            var dg = Tensor.Empty(d, new Shape(c));
            var db = Tensor.Empty(d, new Shape(c));
            TrainNorm.Forward(tx, tg, tb, trm, trv, ty, mean, rstd, training: true);
            return new BenchCase($"[{n},{c}]", (backward ? 12.0 : 8.0) * n * c, (backward ? 20.0 : 16.0) * n * c, choice =>
                {
                    if (backward) TrainNorm.Backward(tx, tdy, mean, rstd, tg, ty, dg, db, choice: choice);
                    else TrainNorm.Forward(tx, tg, tb, trm, trv, ty, mean, rstd, training: true, choice: choice);
                }, () =>
                {
                    if (backward) return BenchCase.Compare(TrainRef.BatchNormBackward(x, dy, n, c, gamma).Dx, ty.ToHostFloat(), 1e-4, 1e-4);
                    var (y, _, _) = TrainRef.BatchNormTrain(x, n, c, gamma, new float[c], new float[c], new float[c]);
                    return BenchCase.Compare(y, ty.ToHostFloat(), 1e-4, 1e-4);
                }, tx, tg, tb, trm, trv, ty, mean, rstd, tdy, dg, db);
        });

    // Channels-last bilinear 160² → 640² (the hybrid head's extra features), forward or adjoint.
    private static BenchWorkload Upsample(string op, bool backward) =>
        new(op, "hxwxCxHxW", ["3x5x4x7x9"], ["160x160x32x640x640"], true, (d, s) =>
        {
            int h = s[0], w = s[1], c = s[2], oh = s[3], ow = s[4];
            var small = Inputs.Uniform(h * w * c, 1);
            var large = Inputs.Uniform(oh * ow * c, 2);
            var ts = backward ? Tensor.Empty(d, new Shape(1, h, w, c)) : Tensor.FromHost(d, new Shape(1, h, w, c), small);
            var tl = backward ? Tensor.FromHost(d, new Shape(1, oh, ow, c), large) : Tensor.Empty(d, new Shape(1, oh, ow, c));
            double bytes = 4.0 * c * ((double)h * w + (double)oh * ow);
            return new BenchCase($"[1,{h},{w},{c}]<->[{oh},{ow}]", 12.0 * oh * ow * c, bytes, choice =>
                {
                    if (backward) TrainOps.UpsampleBackward(tl, ts, choice);
                    else TrainOps.Upsample(ts, tl, choice);
                }, () => backward
                    ? BenchCase.Compare(TrainRef.UpsampleBackward(large, 1, h, w, c, oh, ow), ts.ToHostFloat(), 1e-4, 1e-4)
                    : BenchCase.Compare(TrainRef.Upsample(small, 1, h, w, c, oh, ow), tl.ToHostFloat(), 1e-5, 1e-5), ts, tl);
        });

    private static BenchWorkload Unary(string op, double flops, double bytes, Action<Tensor, Tensor, KernelChoice> run, Func<float[], float[]> reference) =>
        new(op, "N", ["4096"], ["26214400"], true, (d, s) =>
        {
            int n = s[0];
            var x = Inputs.Uniform(n, 1);
            var tx = Tensor.FromHost(d, new Shape(n), x);
            var ty = Tensor.Empty(d, new Shape(n));
            return new BenchCase($"[{n}]", flops * n, bytes * n, c => run(tx, ty, c),
                () => BenchCase.Compare(reference(x), ty.ToHostFloat(), ElemAbs, ElemRel), tx, ty);
        });

    // The first p pixels of each of the planes of x (planes, hw).
    private static float[] Leading(float[] x, int planes, int hw, int p)
    {
        var o = new float[planes * p];
        for (int i = 0; i < planes; i++) Array.Copy(x, (long)i * hw, o, (long)i * p, p);
        return o;
    }

    private static double HeadFlops(int cin, int h1, int h2) => 2.0 * (h1 * cin + h2 * h1 + h2);

    // A packed head W1|b1|W2|b2|w3|b3 with small random weights.
    private static float[] Head(int cin, int h1, int h2, int seed) =>
        Inputs.Uniform(PackedHead.Length(cin, h1, h2), seed, -0.3f, 0.3f);

    private static (float[] W1, float[] B1, float[] W2, float[] B2, float[] W3, float B3) Unpack(float[] p, int cin, int h1, int h2)
    {
        int o = 0;
        float[] Take(int n) { var a = p[o..(o + n)]; o += n; return a; }
        var w1 = Take(h1 * cin);
        var b1 = Take(h1);
        var w2 = Take(h2 * h1);
        var b2 = Take(h2);
        var w3 = Take(h2);
        return (w1, b1, w2, b2, w3, p[o]);
    }
}
