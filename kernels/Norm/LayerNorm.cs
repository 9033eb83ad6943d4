// LayerNorm over the last dimension: y[r, j] = (x[r, j] − μ_r) / √(σ²_r + eps) · γ[j] + β[j], with μ_r the row mean
// and σ²_r the biased variance (divide by C), as torch.
// PyTorch: F.layer_norm(x, (C,), gamma, beta, eps).
// Accuracy: every version works on x − x[r, 0] (shifted data; the difference of two nearby floats is exact), so a large
// common offset (ViT activations carry channels in the hundreds) neither swamps the float32 sums nor costs an ulp of the
// offset when the mean is subtracted. Mean and variance come from ONE pass over the row with Welford's update (the
// running mean and Σ(x − mean)², never E[x²] − E[x]², which cancels); partial results (lanes) are merged with Chan's
// formula, the lower lane always first, so every lane of a warp ends with the same bits. A NaN or ±∞ in a row makes
// the row NaN, as in torch. The host version (LayerNormHost.cs) is the same scheme over SIMD lanes.
// v1 "thread-per-row": one thread per row, implicitly grouped: one Welford pass, then the write pass.
// v2 "warp-per-row": one warp per row, 4 rows per 128-thread group; lanes stride the row (coalesced), each lane keeps a
//     Welford (count, mean, M2) of its elements, a ShuffleXor butterfly merges them (5 Chan steps) so every lane ends
//     with μ and 1/σ, then the write pass re-reads the row from L1. Memory bound: 8 B/element leave DRAM (read once,
//     write once; the re-read of a 4 KB ViT-L row hits L1). EoMT-L at 640²: 1800 tokens × 1024 channels ≈ 7.4 MB
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

    [Kernel("layer_norm", Version = "v1 thread per row, one Welford pass")]
    internal static void ForwardV1(Index1D row, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, int cols, float eps)
    {
        long start = (long)row.X * cols;
        float pivot = x[start];
        float mu = 0f, m2 = 0f; // Welford over x − pivot; the mean is pivot + mu, never formed (it would round to an ulp of the offset)
        for (int j = 0; j < cols; j++)
        {
            float v = x[start + j] - pivot;
            float d = v - mu;
            mu += d / (j + 1);
            m2 += d * (v - mu);
        }
        float rstd = XMath.Rsqrt(m2 / cols + eps);
        for (int j = 0; j < cols; j++) y[start + j] = (x[start + j] - pivot - mu) * rstd * gamma[j] + beta[j];
    }

    [Kernel("layer_norm", Version = "v2 warp per row, lane Welford + shuffle Chan merge", GroupX = 32 * RowsPerGroup, TileX = RowsPerGroup)]
    internal static void ForwardV2(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        int rows, int cols, float eps)
    {
        int row = Grid.IdxX * RowsPerGroup + Warp.WarpIdx;
        if (row >= rows) return; // whole warps leave together: the shuffles below never see a missing lane
        int lane = Warp.LaneIdx;
        long start = (long)row * cols;

        float pivot = x[start]; // one address for the whole warp: a broadcast read
        float count = 0f, mu = 0f, m2 = 0f; // this lane's Welford over its elements of x − pivot
        for (int j = lane; j < cols; j += Warp.WarpSize)
        {
            float v = x[start + j] - pivot;
            count += 1f;
            float d = v - mu;
            mu += d / count;
            m2 += d * (v - mu);
        }
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1)
        {
            float oc = Warp.ShuffleXor(count, offset), om = Warp.ShuffleXor(mu, offset), o2 = Warp.ShuffleXor(m2, offset);
            // Chan's merge with the lower lane as the first part: both lanes of the pair compute the same bits.
            bool low = (lane & offset) == 0;
            float ca = low ? count : oc, ma = low ? mu : om, sa = low ? m2 : o2;
            float cb = low ? oc : count, mb = low ? om : mu, sb = low ? o2 : m2;
            float n = ca + cb;
            float d = mb - ma, f = n > 0f ? cb / n : 0f;
            mu = ma + d * f;
            m2 = sa + sb + d * d * ca * f;
            count = n;
        }
        float rstd = XMath.Rsqrt(m2 / cols + eps); // mean = pivot + mu, kept apart (see v1)

        for (int j = lane; j < cols; j += Warp.WarpSize)
            y[start + j] = (x[start + j] - pivot - mu) * rstd * gamma[j] + beta[j];
    }

    /// <summary>
    /// y = LayerNorm(x) over the last dimension C with per-channel <paramref name="gamma"/> and <paramref name="beta"/>
    /// (both (C)), biased variance and <paramref name="eps"/> inside the square root, as F.layer_norm. y has x's shape
    /// and may alias x. <paramref name="version"/> forces one of <see cref="Op"/>'s versions; null lets the table pick.
    /// </summary>
    public static void Forward(Tensor x, Tensor gamma, Tensor beta, Tensor y, float eps, OpVersion? version = null)
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
        Op.Run(x.Device, new LayerNormArgs(x, gamma, beta, y, rows, cols, eps), version);
    }

    /// <summary>v1: one thread per row, one Welford pass for mean and variance.</summary>
    public static readonly OpVersion<LayerNormArgs> ThreadPerRow = new("layer_norm", "thread-per-row", VersionKind.Simple,
        "one thread per row, mean and variance in one Welford pass", ["LayerNorm.ForwardV1"],
        a => LaunchForwardV1(a.X.Device, a.Rows, a.X.View, a.Gamma.View, a.Beta.View, a.Y.View, a.Cols, a.Eps));

    /// <summary>v2: one warp per row, a Welford per lane merged by shuffles (Chan).</summary>
    public static readonly OpVersion<LayerNormArgs> WarpPerRow = new("layer_norm", "warp-per-row", VersionKind.Grouped,
        "one warp per row, a Welford per lane merged by shuffles (Chan)", ["LayerNorm.ForwardV2"],
        a => LaunchForwardV2(a.X.Device, a.Rows, a.X.View, a.Gamma.View, a.Beta.View, a.Y.View, a.Rows, a.Cols, a.Eps));

    /// <summary>The op row: 8 FLOPs per element (two sums, centre, scale, affine); x read, y written, gamma and beta once.</summary>
    public static readonly Op<LayerNormArgs> Op = new Op<LayerNormArgs>("layer_norm",
        "y = LayerNorm(x) over the last dimension (F.layer_norm)",
        "LayerNormRef.Forward", a => 8.0 * a.Rows * a.Cols, a => 8.0 * a.Rows * a.Cols + 8.0 * a.Cols, ThreadPerRow, WarpPerRow)
        .WithHost(a => LayerNormHost.Forward(a.X, a.Gamma, a.Beta, a.Y, a.Eps));
}

/// <summary>One LayerNorm call: x and y (R, C) as rows, gamma and beta (C).</summary>
public readonly record struct LayerNormArgs(Tensor X, Tensor Gamma, Tensor Beta, Tensor Y, int Rows, int Cols, float Eps);
