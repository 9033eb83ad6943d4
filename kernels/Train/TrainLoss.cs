// Binary cross-entropy with logits, pos_weight and a void mask (seed.md §2.4, the README's / hybrid branch's form):
//   t = [label == 1], valid = [label != 255], c = 1 + (pos_weight − 1)·t
//   l = (1 − t)·x + c·(ln(1 + e^(−|x|)) + max(−x, 0))        (torch's stable form of −[pw·t·ln σ + (1−t)·ln(1−σ)])
//   loss = Σ valid·l / Σ valid,   ∂loss/∂x = valid·((1 − t) + c·(σ(x) − 1)) / Σ valid
// PyTorch: (F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction='none') * valid).sum() / valid.sum()
// (the seed divides by Σ valid + 1e-6: a relative difference below 1e-6 for any batch with a valid pixel).
// Σ valid is counted on the host where the labels are built, so one kernel writes both l and ∂loss/∂x.
// v1: one thread per pixel; the loss sum reuses the deterministic chunked column sum.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Masked, pos-weighted binary cross-entropy with logits: per-pixel loss and gradient.</summary>
public static partial class TrainLoss
{
    /// <summary>The void label: pixels with it contribute neither loss nor gradient.</summary>
    public const byte Void = 255;

    [Kernel("bce_with_logits")]
    internal static void BceV1(Index1D i, ArrayView<float> logits, ArrayView<byte> labels, ArrayView<float> loss,
        ArrayView<float> grad, float posWeight, float invCount)
    {
        int label = labels[i];
        if (label == Void)
        {
            loss[i] = 0f;
            grad[i] = 0f;
            return;
        }
        float x = logits[i], t = label == 1 ? 1f : 0f, c = 1f + (posWeight - 1f) * t;
        float e = XMath.Exp(-XMath.Abs(x));
        loss[i] = (1f - t) * x + c * (XMath.Log(1f + e) + XMath.Max(-x, 0f));
        float sigma = x >= 0f ? 1f / (1f + e) : e / (1f + e);
        grad[i] = ((1f - t) + c * (sigma - 1f)) * invCount;
    }

    /// <summary>
    /// Loss (one value, written to <paramref name="loss"/>[0]) and ∂loss/∂logits into <paramref name="grad"/> (same
    /// shape as logits). <paramref name="validCount"/> = number of labels ≠ 255 (0 gives loss 0 and zero gradient).
    /// </summary>
    public static void BceWithLogits(Tensor logits, Tensor labels, float posWeight, long validCount, Tensor loss, Tensor grad,
        OpVersion? version = null)
    {
        if (labels.DType != DType.UInt8 || labels.Length != logits.Length)
            throw new ArgumentException($"bce: labels expected u8 with {logits.Length} elements (logits {logits.Shape}), got {labels.Shape} {labels.DType.Name()}");
        if (grad.Length != logits.Length) throw new ArgumentException($"bce: grad expected shape {logits.Shape}, got {grad.Shape}");
        if (loss.Length < 1) throw new ArgumentException($"bce: loss needs one element, got {loss.Shape}");
        BceOp.Run(logits.Device, (logits, labels, posWeight, validCount, loss, grad), version);
    }

    /// <summary>The op row: ~10 FLOPs per logit; logits (4 B) and labels (1 B) read, gradient and per-element loss written.</summary>
    public static readonly Op<(Tensor Logits, Tensor Labels, float PosWeight, long ValidCount, Tensor Loss, Tensor Grad)> BceOp = OpRows.PerElement<(Tensor Logits, Tensor Labels, float PosWeight, long ValidCount, Tensor Loss, Tensor Grad)>("bce_with_logits",
        "loss and ∂loss/∂logits of BCE with logits, pos_weight, label 255 ignored (F.binary_cross_entropy_with_logits)", "TrainRef.Bce",
        a => a.Logits.Length, 10, 13, "TrainLoss.BceV1", call =>
        {
            var (logits, labels, posWeight, validCount, loss, grad) = call;
            float inv = validCount > 0 ? 1f / validCount : 0f;
            using var per = Tensor.Empty(logits.Device, new Shape((int)logits.Length));
            LaunchBceV1(logits.Device, (int)logits.Length, logits.View, labels.Cast<byte>(), per.View, grad.View, posWeight, inv);
            TrainLinear.ColumnSums(per.Reshape((int)logits.Length, 1), loss.Reshape(-1).Slice(0, 1), inv);
        }, "one thread per logit, then a column sum for the loss")
        .WithHost(a => TrainLossHost.BceWithLogits(a.Logits, a.Labels, a.PosWeight, a.ValidCount, a.Loss, a.Grad));
}
