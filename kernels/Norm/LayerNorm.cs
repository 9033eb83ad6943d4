// LayerNorm over the last dimension: y[r, j] = (x[r, j] − μ_r) / √(σ²_r + eps) · γ[j] + β[j], with μ_r the row mean
// and σ²_r the biased variance (divide by C), as torch.
// PyTorch: F.layer_norm(x, (C,), gamma, beta, eps).
// Accuracy: both versions work on x − x[r, 0] (shifted data; the difference of two nearby floats is exact), so a large
// common offset (ViT activations carry channels in the hundreds) neither swamps the float32 sum nor costs an ulp of the
// offset when the mean is subtracted; the variance is a second pass around the mean (two-pass; never E[x²] − E[x]²,
// which cancels). A NaN or ±∞ in a row makes the row NaN, as in torch.
// v1: one thread per row, implicitly grouped, three passes (mean, variance, write).
// v2: one warp per row, 4 rows per 128-thread group; lanes stride the row (coalesced), the two sums are reduced with
//     ShuffleXor butterflies so every lane ends with μ and 1/σ. Memory bound: 8 B/element leave DRAM (read once,
//     write once; the two re-reads of a 4 KB ViT-L row hit L1). EoMT-L at 640²: 1800 tokens × 1024 channels ≈ 7.4 MB
//     read + 7.4 MB written ≈ 4.4 µs at 3.35 TB/s per LayerNorm, 48 of them per image.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>LayerNorm over the last dimension.</summary>
public static partial class LayerNorm
{
    private const int RowsPerGroup = 4; // v2: 4 warps of 32 lanes = 128 threads per group

    [Kernel("layer_norm", Version = "v1 thread per row")]
    internal static void ForwardV1(Index1D row, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, int cols, float eps)
    {
        long start = (long)row.X * cols;
        float pivot = x[start];
        float sum = 0f;
        for (int j = 0; j < cols; j++) sum += x[start + j] - pivot;
        float mu = sum / cols; // the mean is pivot + mu; never formed, it would round to an ulp of the offset
        float sq = 0f;
        for (int j = 0; j < cols; j++)
        {
            float d = x[start + j] - pivot - mu;
            sq += d * d;
        }
        float rstd = XMath.Rsqrt(sq / cols + eps);
        for (int j = 0; j < cols; j++) y[start + j] = (x[start + j] - pivot - mu) * rstd * gamma[j] + beta[j];
    }

    [Kernel("layer_norm", Version = "v2 warp per row, shuffles", GroupX = 32 * RowsPerGroup, TileX = RowsPerGroup)]
    internal static void ForwardV2(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        int rows, int cols, float eps)
    {
        int row = Grid.IdxX * RowsPerGroup + Warp.WarpIdx;
        if (row >= rows) return; // whole warps leave together: the shuffles below never see a missing lane
        int lane = Warp.LaneIdx;
        long start = (long)row * cols;

        float pivot = x[start]; // one address for the whole warp: a broadcast read
        float sum = 0f;
        for (int j = lane; j < cols; j += Warp.WarpSize) sum += x[start + j] - pivot;
        sum = WarpSum(sum);
        float mu = sum / cols; // mean = pivot + mu, kept apart (see v1)

        float sq = 0f;
        for (int j = lane; j < cols; j += Warp.WarpSize)
        {
            float d = x[start + j] - pivot - mu;
            sq += d * d;
        }
        sq = WarpSum(sq);
        float rstd = XMath.Rsqrt(sq / cols + eps);

        for (int j = lane; j < cols; j += Warp.WarpSize)
            y[start + j] = (x[start + j] - pivot - mu) * rstd * gamma[j] + beta[j];
    }

    /// <summary>Butterfly sum over the warp: every lane gets the total (5 ShuffleXor steps for 32 lanes).</summary>
    internal static float WarpSum(float v)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1) v += Warp.ShuffleXor(v, offset);
        return v;
    }

    /// <summary>
    /// y = LayerNorm(x) over the last dimension C with per-channel <paramref name="gamma"/> and <paramref name="beta"/>
    /// (both (C)), biased variance and <paramref name="eps"/> inside the square root, as F.layer_norm. y has x's shape
    /// and may alias x. <paramref name="choice"/>: v1 (thread per row) or v2 (warp per row); Auto: v1 on the CPU.
    /// </summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor y, float eps, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank == 0)
            throw new ArgumentException($"layer_norm: x must have at least one dimension, got {x.Shape}", nameof(x));
        int cols = x.Shape[-1];
        gamma.Expect("layer_norm gamma", cols);
        beta.Expect("layer_norm beta", cols);
        if (!y.Shape.Equals(x.Shape))
            throw new ArgumentException($"layer_norm: y has shape {y.Shape}, expected {x.Shape} (the shape of x)", nameof(y));
        if (cols == 0) return;
        int rows = (int)(x.Length / cols);
        if (choice.UseHost(x.Device)) { LayerNormHost.Forward(x, gamma, beta, y, eps); return; }
        if (choice.UseTiled(x.Device)) LaunchForwardV2(x.Device, rows, x.View, gamma.View, beta.View, y.View, rows, cols, eps);
        else LaunchForwardV1(x.Device, rows, x.View, gamma.View, beta.View, y.View, cols, eps);
    }
}
