using NativeEngine.Models.Anomaly;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Training.Autograd;

namespace NativeEngine.Training.Head;

/// <summary>
/// An <see cref="AnomalyHead"/> on a device as trainable <see cref="Parameter"/>s (plus the BN running statistics as
/// buffers), with a forward that records on a <see cref="Tape"/>. Nothing outside the head has a Parameter, so
/// nothing outside it can receive a gradient.
/// </summary>
public sealed class TrainableHead : IDisposable
{
    private readonly Dictionary<string, Parameter> byName = [];
    private readonly Tensor? runningMean, runningVar;
    private readonly (string L1, string L2, string L3, string? Bn, string? Proj) names;

    /// <summary>Uploads <paramref name="head"/>'s tensors.</summary>
    public TrainableHead(AnomalyHead head, ComputeDevice device)
    {
        Options = head.Options;
        Device = device;
        names = AnomalyHead.LayerNames(head.Layout);
        var list = new List<Parameter>();
        foreach (var t in head.Tensors)
        {
            var value = Tensor.FromHost(device, new Shape(t.Shape), t.Data);
            if (t.Trainable)
            {
                var p = new Parameter(t.Name, value);
                list.Add(p);
                byName[t.Name] = p;
            }
            else if (t.Name.EndsWith(".running_mean", StringComparison.Ordinal)) runningMean = value;
            else runningVar = value;
        }
        Parameters = list;
    }

    /// <summary>Layout and sizes (dropout included).</summary>
    public AnomalyHeadOptions Options { get; }

    /// <summary>The device.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Trainable parameters, in checkpoint order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The parameter with this checkpoint name.</summary>
    public Parameter this[string name] => byName[name];

    /// <summary>Dropout streams used per step: stream = step·<see cref="StreamsPerStep"/> + layer.</summary>
    public const int StreamsPerStep = 4;

    /// <summary>
    /// logits (N,1) of the MLP on pixel rows x (N, Cin). In training, dropout draws from (seed, step) and a BN layer
    /// uses batch statistics and updates its running statistics.
    /// </summary>
    public Var Forward(Tape tape, Var x, bool training, int seed = 0, int step = 0)
    {
        float p = Options.Dropout;
        int stream = unchecked(step * StreamsPerStep);
        var h = Ops.Relu(tape, Ops.Linear(tape, x, byName[names.L1 + ".weight"], byName[names.L1 + ".bias"]));
        if (names.Bn is { } bn)
            h = Ops.BatchNorm1d(tape, h, byName[bn + ".weight"], byName[bn + ".bias"], runningMean!, runningVar!, training,
                AnomalyHead.BatchNormEps, AnomalyHead.BatchNormMomentum);
        h = Ops.Dropout(tape, h, p, training, seed, stream);
        h = Ops.Relu(tape, Ops.Linear(tape, h, byName[names.L2 + ".weight"], byName[names.L2 + ".bias"]));
        h = Ops.Dropout(tape, h, p, training, seed, stream + 1);
        return Ops.Linear(tape, h, byName[names.L3 + ".weight"], byName[names.L3 + ".bias"]);
    }

    /// <summary>
    /// The hybrid head end to end: stats as pixel rows (B·H·W, 4) and final-layer patch tokens (B, gh·gw, C) →
    /// 1×1 conv + ReLU at grid resolution → bilinear upsample to H×W → [stats | features] → MLP → logits (B·H·W, 1).
    /// </summary>
    public Var ForwardHybrid(Tape tape, Var statsRows, Var tokens, int batch, int gridH, int gridW, int height, int width,
        bool training, int seed = 0, int step = 0)
    {
        if (names.Proj is not { } proj) throw new InvalidOperationException($"ForwardHybrid needs a hybrid head, this one is {Options.Layout}");
        int c = Options.FeatureDim, pd = Options.ProjDim;
        var t = Ops.Reshape(tape, tokens, batch * gridH * gridW, c);
        var f = Ops.Relu(tape, Ops.Linear(tape, t, byName[proj + ".weight"], byName[proj + ".bias"]));
        var up = Ops.Upsample(tape, Ops.Reshape(tape, f, batch, gridH, gridW, pd), height, width);
        var x = Ops.Concat(tape, statsRows, Ops.Reshape(tape, up, batch * height * width, pd));
        return Forward(tape, x, training, seed, step);
    }

    /// <summary>Overwrites every parameter and running statistic with <paramref name="values"/>' (same layout and sizes).</summary>
    public void Load(AnomalyHead values)
    {
        foreach (var p in Parameters) Upload(p.Value, values[p.Name].Data);
        if (names.Bn is { } bn)
        {
            Upload(runningMean!, values[bn + ".running_mean"].Data);
            Upload(runningVar!, values[bn + ".running_var"].Data);
        }
    }

    private static void Upload(Tensor t, float[] data)
    {
        if (data.Length != t.Length) throw new ArgumentException($"head tensor {t.Shape}: expected {t.Length} values, got {data.Length}");
        using var tmp = Tensor.FromHost(t.Device, t.Shape, data);
        tmp.CopyTo(t);
    }

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>The current values as a host-side head (parameters and running statistics).</summary>
    public AnomalyHead ToHost(AnomalyHead template)
    {
        var values = Parameters.ToDictionary(p => p.Name, p => p.Value.ToHostFloat());
        if (names.Bn is { } bn)
        {
            values[bn + ".running_mean"] = runningMean!.ToHostFloat();
            values[bn + ".running_var"] = runningVar!.ToHostFloat();
        }
        return template.With(values);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        runningMean?.Dispose();
        runningVar?.Dispose();
    }
}
