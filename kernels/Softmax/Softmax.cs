// Softmax over the last dimension: y[r, j] = exp(x[r, j] − m_r) / Σ_k exp(x[r, k] − m_r), m_r = max_k x[r, k].
// PyTorch: torch.softmax(x, dim=-1). Special values follow torch: a NaN anywhere in a row makes the row NaN, a row of
// all −∞ is NaN (−∞ − (−∞)), a +∞ makes the row NaN (∞ − ∞); −∞ entries of an otherwise finite row give 0.
// v1: one thread per row, implicitly grouped, three passes (max, sum, write). Fine for the CPU simulator; on a GPU
//     neighbouring threads read addresses C floats apart (uncoalesced) and R rows may be too few to fill the SMs.
// v2: one warp per row, 4 rows per 128-thread group. Lanes stride the row (coalesced 128 B reads), keep an online
//     (max, sum) pair so the max and the sum need one read pass instead of two, merge the 32 pairs with ShuffleXor,
//     then write. Memory bound: 8 B/element for the two passes that leave L1/L2 (read, write) plus one re-read; the
//     Q×N mask-attention logits of EoMT-L at 640² (200×1600 per head) are ~1.3 MB: ~0.5 µs at 3.35 TB/s, so the
//     launch, not the bandwidth, dominates unless it is fused into attention.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Row softmax over the last dimension.</summary>
public static partial class Softmax
{
    private const int RowsPerGroup = 4; // v2: 4 warps of 32 lanes = 128 threads per group

    [Kernel("softmax_rows", Version = "v1 thread per row")]
    internal static void RowsV1(Index1D row, ArrayView<float> x, ArrayView<float> y, int cols)
    {
        long start = (long)row.X * cols;
        float m = float.NegativeInfinity;
        for (int j = 0; j < cols; j++)
        {
            float v = x[start + j];
            m = v > m ? v : m;
        }
        float sum = 0f;
        for (int j = 0; j < cols; j++) sum += XMath.Exp(x[start + j] - m);
        float inv = 1f / sum;
        for (int j = 0; j < cols; j++) y[start + j] = XMath.Exp(x[start + j] - m) * inv;
    }

    [Kernel("softmax_rows", Version = "v2 warp per row, online max/sum, shuffles", GroupX = 32 * RowsPerGroup, TileX = RowsPerGroup)]
    internal static void RowsV2(ArrayView<float> x, ArrayView<float> y, int rows, int cols)
    {
        int row = Grid.IdxX * RowsPerGroup + Warp.WarpIdx;
        if (row >= rows) return; // whole warps leave together: the shuffles below never see a missing lane
        int lane = Warp.LaneIdx;
        long start = (long)row * cols;

        // Online softmax per lane: when a new maximum arrives, rescale the running sum to it.
        float m = float.NegativeInfinity, s = 0f;
        for (int j = lane; j < cols; j += Warp.WarpSize)
        {
            float v = x[start + j];
            if (v > m)
            {
                // exp(v − v) is 1, except for v = +∞ where torch's ∞ − ∞ makes the row NaN; exp(−∞ − v) = 0 at the start.
                s = s * XMath.Exp(m - v) + (v == float.PositiveInfinity ? float.NaN : 1f);
                m = v;
            }
            // −∞ adds exp(−∞) = 0 (skipped: while m is still −∞ it would be exp(NaN)); NaN lands here and poisons the
            // row, as in torch. An all −∞ row keeps m = −∞ and the write below gives exp(−∞ − (−∞)) = NaN, as torch does.
            else if (v != float.NegativeInfinity) s += XMath.Exp(v - m);
        }

        // Butterfly merge of (m, s) pairs: afterwards every lane holds the row's max and sum.
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1)
        {
            float mo = Warp.ShuffleXor(m, offset);
            float so = Warp.ShuffleXor(s, offset);
            float mn = mo > m ? mo : m;
            // A lane that saw no finite value (m = −∞, s = 0) contributes 0; exp(−∞ − (−∞)) = NaN only when the whole
            // row is −∞, and then the row is NaN anyway.
            s = (m == mn ? s : s * XMath.Exp(m - mn)) + (mo == mn ? so : so * XMath.Exp(mo - mn));
            m = mn;
        }

        float inv = 1f / s;
        for (int j = lane; j < cols; j += Warp.WarpSize)
            y[start + j] = XMath.Exp(x[start + j] - m) * inv;
    }

    /// <summary>
    /// y = softmax(x) over the last dimension (torch.softmax(x, -1)); y has x's shape and may alias x.
    /// <paramref name="choice"/> picks v1 (thread per row) or v2 (warp per row); Auto: v1 on the CPU, v2 on CUDA.
    /// </summary>
    public static void Rows(Tensor x, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank == 0)
            throw new ArgumentException($"softmax: x must have at least one dimension, got {x.Shape}", nameof(x));
        if (!y.Shape.Equals(x.Shape))
            throw new ArgumentException($"softmax: y has shape {y.Shape}, expected {x.Shape} (the shape of x)", nameof(y));
        int cols = x.Shape[-1];
        if (cols == 0) return;
        int rows = (int)(x.Length / cols);
        if (choice.UseHost(x.Device)) { SoftmaxHost.Rows(x, y); return; }
        if (choice.UseTiled(x.Device)) LaunchRowsV2(x.Device, rows, x.View, y.View, rows, cols);
        else LaunchRowsV1(x.Device, rows, x.View, y.View, cols);
    }
}
