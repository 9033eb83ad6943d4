using NativeEngine.Kernels;
using NativeEngine.Models.Anomaly;
using NativeEngine.Reference;
using NativeEngine.Tensors;
using NativeEngine.Training.Autograd;
using NativeEngine.Training.Head;
using NativeEngine.Training.Optim;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>
/// The head's autograd against PyTorch (loss, every parameter's gradient, BN running statistics, Adam/AdamW steps)
/// and against central differences of a float64 reference.
/// </summary>
[Collection(DeviceCollection.Name)]
public class AutogradTests(DeviceFixture fx)
{
    // The engine matches PyTorch within 1e-5 of each tensor's largest magnitude (float32 sums over 84 pixels).
    private const double Parity = 1e-5;

    internal static AnomalyHead HeadFrom(SafeTensorsFile f, string prefix, float dropout = 0f)
    {
        var t = f.Tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(k => k[prefix.Length..], k => (f.Get(k).Shape.Select(d => (int)d).ToArray(), f.ReadFloat32(k)));
        return AnomalyHead.FromTensors(t, dropout, f.Path);
    }

    private sealed record Batch(Tensor Rows, Tensor Labels, long Valid, Tensor? Tokens) : IDisposable
    {
        public void Dispose()
        {
            Rows.Dispose();
            Labels.Dispose();
            Tokens?.Dispose();
        }
    }

    private Batch Inputs(SafeTensorsFile f)
    {
        using var stats = Tensor.FromHost(fx.Device, new Shape(2, 4, 6, 7), f.ReadFloat32("input.stats"));
        var rows = Tensor.Empty(fx.Device, new Shape(84, 4));
        TrainOps.ToPixels(stats, rows);
        var labels = f.ReadBytes("input.labels");
        var tokens = f.Tensors.ContainsKey("input.tokens") ? Tensor.FromHost(fx.Device, new Shape(2, 9, 8), f.ReadFloat32("input.tokens")) : null;
        return new(rows, Tensor.FromSpan<byte>(fx.Device, new Shape(84), labels), labels.Count(l => l != 255), tokens);
    }

    private static float Step(Tape tape, TrainableHead head, Batch x, bool training = true)
    {
        var logits = head.Options.Layout == AnomalyHeadLayout.Hybrid
            ? head.ForwardHybrid(tape, Tape.Constant(x.Rows), Tape.Constant(x.Tokens!), 2, 3, 3, 6, 7, training)
            : head.Forward(tape, Tape.Constant(x.Rows), training);
        var loss = Ops.BceWithLogits(tape, logits, x.Labels, 10f, x.Valid);
        tape.Backward();
        return loss.ToHostFloat()[0];
    }

    [Theory]
    [InlineData("plain"), InlineData("bn"), InlineData("hybrid")]
    public void LossAndEveryGradientMatchTorch(string layout)
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path($"anomaly/grads_{layout}.safetensors"));
        var host = HeadFrom(f, "init.");
        using var head = new TrainableHead(host, fx.Device);
        using var x = Inputs(f);
        using var tape = new Tape(fx.Device);
        float loss = Step(tape, head, x);
        Tolerance.AssertClose(f.ReadFloat32("output.loss"), [loss], 0, Parity, "loss");
        foreach (var p in head.Parameters)
            Tolerance.AssertRelativeToMax(f.ReadFloat32("grad." + p.Name), p.Grad!.ToHostFloat(), Parity, $"{layout} grad {p.Name}");
        if (layout == "bn")
        {
            var after = head.ToHost(host);
            Tolerance.AssertRelativeToMax(f.ReadFloat32("after.mlp.2.running_mean"), after["mlp.2.running_mean"].Data, Parity, "running_mean");
            Tolerance.AssertRelativeToMax(f.ReadFloat32("after.mlp.2.running_var"), after["mlp.2.running_var"].Data, Parity, "running_var");
        }
    }

    [Theory]
    [InlineData("adam"), InlineData("adamw"), InlineData("adamw_bn")]
    public void OptimiserStepsMatchTorch(string name)
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path($"anomaly/optim_{name}.safetensors"));
        var meta = f.Metadata;
        int steps = int.Parse(meta["steps"]);
        double clip = double.Parse(meta["clip_norm"], System.Globalization.CultureInfo.InvariantCulture);
        var lrs = f.ReadFloat32("output.lrs");
        var losses = f.ReadFloat32("output.losses");
        var host = HeadFrom(f, "init.");
        using var head = new TrainableHead(host, fx.Device);
        using var opt = new AdamOptimizer(head.Parameters, new AdamOptions(1e-3, WeightDecay: 0.05, Decoupled: name.StartsWith("adamw")));
        var schedule = meta["schedule"].StartsWith("warmup") ? LrSchedule.WarmupPoly(1e-3, 2, steps) : LrSchedule.Constant(1e-3);
        using var x = Inputs(f);
        for (int t = 0; t < steps; t++)
        {
            Assert.Equal(lrs[t], schedule(t), 1e-9);
            head.ZeroGrad();
            using var tape = new Tape(fx.Device);
            float loss = Step(tape, head, x);
            Assert.True(Math.Abs(loss - losses[t]) <= 1e-5 * Math.Abs(losses[t]), $"step {t}: loss {loss}, torch {losses[t]}");
            var (_, scale) = opt.GradClip(clip);
            opt.Step(schedule(t), scale);
        }
        var final = head.ToHost(host);
        // BN layout: mlp.0.bias has an analytically zero gradient on units active on every pixel (BN removes the
        // shift; see the generator), so Adam turns float noise into full steps there, and those units' running
        // statistics follow. Those units (a minority) are left out; everything else must match.
        var noisy = new HashSet<int>();
        if (name == "adamw_bn")
        {
            var tb = f.ReadFloat32("final.mlp.0.bias");
            var eb = final["mlp.0.bias"].Data;
            for (int i = 0; i < tb.Length; i++) if (Math.Abs(tb[i] - eb[i]) > 1e-5) noisy.Add(i);
            Assert.True(noisy.Count <= 24, $"{noisy.Count} of 64 first-layer biases differ from torch");
        }
        foreach (var t in final.Tensors)
        {
            bool perUnit = noisy.Count > 0 && (t.Name == "mlp.0.bias" || t.Name.Contains("running"));
            var expected = f.ReadFloat32("final." + t.Name).Where((_, i) => !perUnit || !noisy.Contains(i)).ToArray();
            var actual = t.Data.Where((_, i) => !perUnit || !noisy.Contains(i)).ToArray();
            Tolerance.AssertRelativeToMax(expected, actual, Parity, $"{name} final {t.Name}");
        }
    }

    [Theory]
    [InlineData("plain"), InlineData("bn"), InlineData("hybrid")]
    public void GradientsMatchCentralDifferencesInFloat64(string layout)
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path($"anomaly/grads_{layout}.safetensors"));
        var host = HeadFrom(f, "init.");
        using var head = new TrainableHead(host, fx.Device);
        using var x = Inputs(f);
        using (var tape = new Tape(fx.Device)) Step(tape, head, x);

        var p = host.Tensors.ToDictionary(t => t.Name, t => t.Data.Select(v => (double)v).ToArray());
        var stats = x.Rows.ToHostFloat().Select(v => (double)v).ToArray();
        var labels = f.ReadBytes("input.labels");
        var tokens = x.Tokens?.ToHostFloat().Select(v => (double)v).ToArray();
        double Loss() => HeadLossRef.Loss(p, stats, labels, 10, tokens, 2, 3, 3, 6, 7);
        var rng = new Random(1);
        const double h = 1e-6;
        foreach (var param in head.Parameters)
        {
            var g = param.Grad!.ToHostFloat();
            double maxG = g.Max(v => Math.Abs((double)v));
            var values = p[param.Name];
            // Every element of small tensors, 40 random ones of the big ones.
            var picks = values.Length <= 64 ? Enumerable.Range(0, values.Length) : Enumerable.Range(0, 40).Select(_ => rng.Next(values.Length));
            foreach (int i in picks)
            {
                double keep = values[i];
                values[i] = keep + h;
                double up = Loss();
                values[i] = keep - h;
                double down = Loss();
                values[i] = keep;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - g[i]) <= 1e-4 * maxG + 1e-3 * Math.Abs(fd),
                    $"{layout} {param.Name}[{i}]: engine {g[i]:E4}, central difference {fd:E4} (max |grad| {maxG:E2})");
            }
        }
    }

    [Fact]
    public void DropoutKeepsTheRightFractionAndScales()
    {
        const int n = 200_000;
        const float p = 0.1f;
        using var ones = Tensor.FromHost(fx.Device, new Shape(n), Enumerable.Repeat(1f, n).ToArray());
        using var y = Tensor.Empty(fx.Device, new Shape(n));
        TrainOps.Dropout(ones, y, p, seed: 42, stream: 0);
        var v = y.ToHostFloat();
        int kept = v.Count(a => a != 0);
        double keepRate = kept / (double)n, sd = Math.Sqrt(p * (1 - p) / n);
        Assert.True(Math.Abs(keepRate - (1 - p)) < 5 * sd, $"keep rate {keepRate:F4}, expected {1 - p} ± {5 * sd:F4}");
        Assert.All(v.Where(a => a != 0), a => Assert.Equal(1f / (1f - p), a, 6));
        Assert.True(Math.Abs(v.Average() - 1) < 5 * sd / (1 - p), $"mean {v.Average():F4} (inverted dropout keeps E[y] = x)");
        // Another stream draws another mask; the same (seed, stream) draws the same one.
        using var y2 = Tensor.Empty(fx.Device, new Shape(n));
        TrainOps.Dropout(ones, y2, p, 42, 1);
        Assert.NotEqual(v, y2.ToHostFloat());
        TrainOps.Dropout(ones, y2, p, 42, 0);
        Assert.Equal(v, y2.ToHostFloat());
    }

    [Fact]
    public void FrozenInputsGetNoGradient()
    {
        var host = AnomalyHead.Create(new AnomalyHeadOptions(Dropout: 0f), 3);
        using var head = new TrainableHead(host, fx.Device);
        using var rows = Tensor.FromHost(fx.Device, new Shape(5, 4), Enumerable.Range(0, 20).Select(i => i * 0.1f).ToArray());
        using var labels = Tensor.FromSpan<byte>(fx.Device, new Shape(5), new byte[] { 0, 1, 255, 0, 1 });
        using var tape = new Tape(fx.Device);
        var input = Tape.Constant(rows);
        Ops.BceWithLogits(tape, head.Forward(tape, input, true), labels, 10f, 4);
        tape.Backward();
        Assert.Null(input.Grad);
        Assert.All(head.Parameters, p => Assert.NotNull(p.Grad));
    }
}
