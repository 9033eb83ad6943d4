using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Training.Autograd;

/// <summary>
/// The differentiable ops of the anomaly head, each a forward kernel call plus a recorded backward (kernels/Train).
/// Rows are pixels: x is (N, C) throughout, except the hybrid's channels-last upsample.
/// </summary>
public static class Ops
{
    /// <summary>y (N,O) = x (N,I)·Wᵀ + b. W may be a (O,I,1,1) conv weight (a 1×1 convolution over token rows).</summary>
    public static Var Linear(Tape tape, Var x, Var w, Var? b)
    {
        int outDim = w.Value.Shape[0];
        var dims = x.Value.Shape.ToArray();
        dims[^1] = outDim;
        var y = new Var(tape.NewTensor(new Shape(dims)), x.RequiresGrad || w.RequiresGrad || (b?.RequiresGrad ?? false));
        TrainLinear.Forward(x.Value, w.Value, b?.Value, y.Value);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is null) return;
                if (w.RequiresGrad)
                {
                    var (g, acc) = tape.GradTarget(w);
                    TrainLinear.GradWeight(y.Grad, x.Value, g, acc);
                }
                if (b is { RequiresGrad: true })
                {
                    var (g, acc) = tape.GradTarget(b);
                    TrainLinear.ColumnSums(y.Grad, g, 1f, acc);
                }
                if (x.RequiresGrad)
                {
                    var dx = tape.NewTensor(x.Value.Shape);
                    TrainLinear.GradInput(y.Grad, w.Value, dx);
                    tape.Accumulate(x, dx);
                }
            });
        return y;
    }

    /// <summary>y = max(x, 0), NaN kept (torch.relu: the one ReLU, <see cref="Activation.Relu"/>).</summary>
    public static Var Relu(Tape tape, Var x)
    {
        var y = new Var(tape.NewTensor(x.Value.Shape), x.RequiresGrad);
        Activation.Relu(x.Value, y.Value);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is null) return;
                var dx = tape.NewTensor(x.Value.Shape);
                TrainOps.ReluBackward(y.Value, y.Grad, dx);
                tape.Accumulate(x, dx);
            });
        return y;
    }

    /// <summary>Dropout with probability p (training only; identity when p = 0 or in eval). The mask is a pure function of (seed, stream).</summary>
    public static Var Dropout(Tape tape, Var x, float p, bool training, int seed, int stream)
    {
        if (!training || p == 0f) return x;
        var y = new Var(tape.NewTensor(x.Value.Shape), x.RequiresGrad);
        TrainOps.Dropout(x.Value, y.Value, p, seed, stream);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is null) return;
                var dx = tape.NewTensor(x.Value.Shape);
                TrainOps.Dropout(y.Grad, dx, p, seed, stream);
                tape.Accumulate(x, dx);
            });
        return y;
    }

    /// <summary>BatchNorm1d on (N,C): batch statistics and running-stat update in training, running statistics in eval.</summary>
    public static Var BatchNorm1d(Tape tape, Var x, Var gamma, Var beta, Tensor runningMean, Tensor runningVar, bool training,
        float eps = 1e-5f, float momentum = 0.1f)
    {
        int c = x.Value.Shape[-1];
        var mean = tape.NewTensor(new Shape(c));
        var rstd = tape.NewTensor(new Shape(c));
        var y = new Var(tape.NewTensor(x.Value.Shape), training && (x.RequiresGrad || gamma.RequiresGrad || beta.RequiresGrad));
        TrainNorm.Forward(x.Value, gamma.Value, beta.Value, runningMean, runningVar, y.Value, mean, rstd, training, eps, momentum);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is null) return;
                var dx = tape.NewTensor(x.Value.Shape);
                var dg = tape.NewTensor(new Shape(c));
                var db = tape.NewTensor(new Shape(c));
                TrainNorm.Backward(x.Value, y.Grad, mean, rstd, gamma.Value, dx, dg, db);
                tape.Accumulate(gamma, dg);
                tape.Accumulate(beta, db);
                tape.Accumulate(x, dx);
            });
        return y;
    }

    /// <summary>Bilinear (align_corners=False) upsample of channels-last x (B,h,w,C) to (B,H,W,C).</summary>
    public static Var Upsample(Tape tape, Var x, int height, int width)
    {
        var s = x.Value.Shape;
        var y = new Var(tape.NewTensor(new Shape(s[0], height, width, s[3])), x.RequiresGrad);
        Bilinear.ResizeChannelsLast(x.Value, y.Value);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is null) return;
                var dx = tape.NewTensor(s);
                TrainOps.UpsampleBackward(y.Grad, dx);
                tape.Accumulate(x, dx);
            });
        return y;
    }

    /// <summary>A view of x with another shape (same elements); the gradient flows back reshaped.</summary>
    public static Var Reshape(Tape tape, Var x, params int[] dims)
    {
        var y = new Var(x.Value.Reshape(dims), x.RequiresGrad);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is not null) tape.Accumulate(x, y.Grad.Reshape(x.Value.Shape.ToArray()));
            });
        return y;
    }

    /// <summary>y (N, Ca+Cb) = [a | b].</summary>
    public static Var Concat(Tape tape, Var a, Var b)
    {
        int ca = a.Value.Shape[-1], cb = b.Value.Shape[-1], n = (int)(a.Value.Length / ca);
        var y = new Var(tape.NewTensor(new Shape(n, ca + cb)), a.RequiresGrad || b.RequiresGrad);
        TrainOps.ConcatColumns(a.Value, b.Value, y.Value);
        if (y.RequiresGrad)
            tape.Record(() =>
            {
                if (y.Grad is null) return;
                foreach (var (v, offset) in new[] { (a, 0), (b, ca) })
                {
                    if (!v.RequiresGrad) continue;
                    var dv = tape.NewTensor(v.Value.Shape);
                    TrainOps.SliceColumns(y.Grad, dv, offset);
                    tape.Accumulate(v, dv);
                }
            });
        return y;
    }

    /// <summary>
    /// Masked mean BCE with logits and pos_weight (labels u8: 0, 1, 255 = void). Returns the loss (1 element, on the
    /// device); its backward seeds ∂loss/∂logits. <paramref name="validCount"/> = number of labels ≠ 255.
    /// </summary>
    public static Tensor BceWithLogits(Tape tape, Var logits, Tensor labels, float posWeight, long validCount)
    {
        var loss = tape.NewTensor(new Shape(1));
        var grad = tape.NewTensor(logits.Value.Shape);
        TrainLoss.BceWithLogits(logits.Value, labels, posWeight, validCount, loss, grad);
        tape.Record(() => tape.Accumulate(logits, grad));
        return loss;
    }
}
