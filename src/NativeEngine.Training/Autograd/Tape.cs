using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Training.Autograd;

/// <summary>A value in the recorded graph: its tensor, and its gradient once the backward reaches it.</summary>
public class Var
{
    /// <summary>Wraps a tensor; <paramref name="requiresGrad"/> false for inputs and frozen values.</summary>
    public Var(Tensor value, bool requiresGrad = false)
    {
        Value = value;
        RequiresGrad = requiresGrad;
    }

    /// <summary>The forward value.</summary>
    public Tensor Value { get; }

    /// <summary>∂loss/∂value after <see cref="Tape.Backward"/> (null until something flows into it).</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>Whether gradients are computed for this value.</summary>
    public bool RequiresGrad { get; }
}

/// <summary>A trainable tensor (a head weight): owns its value and gradient across steps.</summary>
public sealed class Parameter(string name, Tensor value) : Var(value, requiresGrad: true), IDisposable
{
    /// <summary>The checkpoint name, e.g. "mlp.0.weight".</summary>
    public string Name { get; } = name;

    /// <summary>Drops the gradient (the next backward writes a fresh one).</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ZeroGrad();
        Value.Dispose();
    }
}

/// <summary>
/// The tape: ops append their backward closures while running forward; <see cref="Backward"/> runs them newest
/// first. The tape owns every intermediate tensor (values and non-parameter gradients) and frees them on Dispose.
/// Only what the anomaly head needs: a chain of ops whose leaves are <see cref="Parameter"/>s and constant inputs.
/// </summary>
public sealed class Tape(ComputeDevice device) : IDisposable
{
    private readonly List<Action> backward = [];
    private readonly List<Tensor> owned = [];

    /// <summary>The device every op runs on.</summary>
    public ComputeDevice Device { get; } = device;

    /// <summary>A tensor that lives as long as the tape.</summary>
    public Tensor NewTensor(Shape shape)
    {
        var t = Tensor.Empty(Device, shape);
        owned.Add(t);
        return t;
    }

    /// <summary>Wraps an input that needs no gradient.</summary>
    public static Var Constant(Tensor value) => new(value);

    /// <summary>Appends a backward step.</summary>
    public void Record(Action step) => backward.Add(step);

    /// <summary>Runs every recorded backward step, newest first.</summary>
    public void Backward()
    {
        for (int i = backward.Count - 1; i >= 0; i--) backward[i]();
        backward.Clear();
    }

    /// <summary>
    /// Where the gradient of <paramref name="v"/> goes: its existing gradient (accumulate = true) or a new tensor
    /// (parameters own theirs, the tape owns the rest).
    /// </summary>
    public (Tensor Target, bool Accumulate) GradTarget(Var v)
    {
        if (v.Grad is not null) return (v.Grad, true);
        var g = Tensor.Empty(Device, v.Value.Shape);
        if (v is not Parameter) owned.Add(g);
        v.Grad = g;
        return (g, false);
    }

    /// <summary>Adds <paramref name="g"/> into v's gradient (copying when it is the first contribution).</summary>
    public void Accumulate(Var v, Tensor g)
    {
        if (!v.RequiresGrad) return;
        var (target, acc) = GradTarget(v);
        if (acc) Elementwise.Add(target, g, target);
        else g.CopyTo(target);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in owned) t.Dispose();
        owned.Clear();
        backward.Clear();
    }
}
