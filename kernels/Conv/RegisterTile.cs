// The shared-memory + register-blocked GEMM core used by the GEMM-shaped model kernels (ConvTranspose2x2,
// MaskLogits, SemanticMap): C[m, n] = Σ_k A[m, k] · B[k, n] over a 64 × 64 output tile per group of 16 × 16 threads.
//   * Per K-slice of 16 the group stages A (64 × 16, stored k-major with row stride 65 so both the transposing store
//     and the broadcast read are bank-conflict free) and B (16 × 64, k-major) in shared memory (8.2 KB).
//   * Thread (tx, ty) accumulates the 4 × 4 outputs m = ty + 16·i, n = tx + 16·j in 16 scalar registers (Tile4x4):
//     a warp reads 2 A values (broadcast) and 16 consecutive B values per k, and stores 16-float runs of C.
//   * 8 shared loads per 16 FMAs. The natural next steps are 8 × 8 register tiles, double buffering, and mma.sync.
// The kernels stay in their own files; this file holds only the inlined building blocks.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;

namespace NativeEngine.Kernels;

/// <summary>16 accumulators of a thread's 4 × 4 block (scalars so they stay in registers).</summary>
internal struct Tile4x4
{
    public float C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;
}

/// <summary>Building blocks of the 64 × 64 × 16 shared-memory tile GEMM (16 × 16 threads, 4 × 4 per thread).</summary>
internal static class RegisterTile
{
    public const int Tile = 64, Depth = 16, Threads = 256, AStride = Tile + 1;
    public const int ASize = Depth * AStride, BSize = Depth * Tile;

    /// <summary>Stages A[m0.., k0..] from a row-major (rows × depth, leading dim lda) matrix at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadARowMajor(ArrayView<float> tileA, ArrayView<float> a, int offset, int lda, int rows, int depth, int m0, int k0, int tid)
    {
        for (int idx = tid; idx < Tile * Depth; idx += Threads)
        {
            int m = idx >> 4, k = idx & 15, gm = m0 + m, gk = k0 + k; // 16 consecutive k per row: 64-byte reads
            tileA[k * AStride + m] = gm < rows && gk < depth ? a[offset + gm * lda + gk] : 0f;
        }
    }

    /// <summary>Stages A[m0.., k0..] from a k-major matrix (A[m, k] at offset + k·lda + m): coalesced along m.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadAKMajor(ArrayView<float> tileA, ArrayView<float> a, int offset, int lda, int rows, int depth, int m0, int k0, int tid)
    {
        for (int idx = tid; idx < Tile * Depth; idx += Threads)
        {
            int k = idx >> 6, m = idx & 63, gm = m0 + m, gk = k0 + k;
            tileA[k * AStride + m] = gm < rows && gk < depth ? a[offset + gk * lda + gm] : 0f;
        }
    }

    /// <summary>Stages B[k0.., n0..] from a row-major (depth × cols) matrix; sigmoid ≠ 0 applies σ on the way in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadB(ArrayView<float> tileB, ArrayView<float> b, int offset, int cols, int depth, int k0, int n0, int tid, int sigmoid)
    {
        for (int idx = tid; idx < Tile * Depth; idx += Threads)
        {
            int k = idx >> 6, n = idx & 63, gk = k0 + k, gn = n0 + n;
            float v = 0f;
            if (gk < depth && gn < cols)
            {
                v = b[offset + gk * cols + gn];
                if (sigmoid != 0) v = 1f / (1f + XMath.Exp(-v));
            }
            tileB[idx] = v;
        }
    }

    /// <summary>acc += A_tile · B_tile over one staged K-slice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Accumulate(ref Tile4x4 t, ArrayView<float> tileA, ArrayView<float> tileB, int tx, int ty)
    {
        for (int k = 0; k < Depth; k++)
        {
            int ao = k * AStride + ty, bo = k * Tile + tx;
            float a0 = tileA[ao], a1 = tileA[ao + 16], a2 = tileA[ao + 32], a3 = tileA[ao + 48];
            float b0 = tileB[bo], b1 = tileB[bo + 16], b2 = tileB[bo + 32], b3 = tileB[bo + 48];
            t.C00 += a0 * b0; t.C01 += a0 * b1; t.C02 += a0 * b2; t.C03 += a0 * b3;
            t.C10 += a1 * b0; t.C11 += a1 * b1; t.C12 += a1 * b2; t.C13 += a1 * b3;
            t.C20 += a2 * b0; t.C21 += a2 * b1; t.C22 += a2 * b2; t.C23 += a2 * b3;
            t.C30 += a3 * b0; t.C31 += a3 * b1; t.C32 += a3 * b2; t.C33 += a3 * b3;
        }
    }

    /// <summary>Stores the block row-major into c (rows × cols at offset), skipping the out-of-range edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRowMajor(ref Tile4x4 t, ArrayView<float> c, int offset, int rows, int cols, int m0, int n0, int tx, int ty)
    {
        int m = m0 + ty, n = n0 + tx;
        StoreRow(c, offset, rows, cols, m, n, t.C00, t.C01, t.C02, t.C03);
        StoreRow(c, offset, rows, cols, m + 16, n, t.C10, t.C11, t.C12, t.C13);
        StoreRow(c, offset, rows, cols, m + 32, n, t.C20, t.C21, t.C22, t.C23);
        StoreRow(c, offset, rows, cols, m + 48, n, t.C30, t.C31, t.C32, t.C33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ArrayView<float> c, int offset, int rows, int cols, int m, int n, float v0, float v1, float v2, float v3)
    {
        if (m >= rows) return;
        int o = offset + m * cols + n;
        if (n < cols) c[o] = v0;
        if (n + 16 < cols) c[o + 16] = v1;
        if (n + 32 < cols) c[o + 32] = v2;
        if (n + 48 < cols) c[o + 48] = v3;
    }
}
