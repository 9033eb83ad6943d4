// GEMM, host version: the same math as Gemm.cs (C = alpha·op(A)·op(B) + beta·C + bias, then an optional epilogue: exact
// GELU, or LayerScale + residual y = residual + gamma ⊙ (…)), as plain C# over host memory on all cores.
// PyTorch: torch.addmm / torch.bmm / F.linear; F.gelu(F.linear(x, W, b)); x + gamma * F.linear(h, W, b).
//
// What bounds it: compute. The ViT-B-640 MLP fc1 (M = 1600 tokens, K = 768, N = 3072) is 7.5 GFLOP over 24 MB of
// operands (≈ 300 FLOP/B). The CI machine (2-core AMD EPYC, AVX-512, 32 KB L1d and 1 MB L2 per core, 32 MB L3) runs a
// register-only FMA loop at 114 GFLOP per core-second (bench kernels --device cpu measures it): 16 lanes × 2 FLOP ×
// one zmm FMA per cycle × ~3.55 GHz, so 228 GFLOP/s on both cores and fc1 takes ≥ 33 ms, while DRAM would need ~1 ms:
// every loop below exists to keep the FMA unit fed from registers and L1, not to save DRAM traffic.
//
// v1 (host): BLIS's loops around one register-blocked micro-kernel (Goto/van de Geijn, "Anatomy of high-performance
//     matrix multiplication"):
//   pack    B into NR-column panels ([panel][k][NR]) for the whole K, zero-padded at the ragged edge; this absorbs Bᵀ
//           (nn.Linear weights), batched and shared B. A stored (M, K) is read in place through six row pointers (the
//           micro-panel is 6 rows × KC, ≤ 9 KB, L1-resident across the jr loop); Aᵀ and each ragged last panel are
//           packed k-major ([panel][k][MR]). Packing reads each input once (K·N floats against 2·M·N·K FLOPs).
//   tiles   the output is cut into MC × NC tiles (96 × 384 with AVX-512), one work item each, claimed dynamically by the
//           cores through HostCpu.For; items walk M fastest so both cores share the same B columns in L3.
//   pc      K in equal blocks of KC ≤ 384: the tile's B block (KC × NC × 4 B ≤ 590 KB) stays in the core's 1 MB L2 while the
//           tile's 16 A panels pass over it; partial sums wait in a per-thread MC × NC scratch tile (C is written once).
//   ir, jr  an A micro-panel (MR × KC × 4 B ≤ 9 KB) stays in L1 across the NC / NR = 6 B micro-panels it meets.
//   micro   MR × NR = 6 × 64 floats in 24 zmm accumulators (+ 4 B vectors + 1 broadcast = 29 of 32 registers): per k,
//           4 loads and 6 broadcasts feed 24 FMAs, enough independent chains (24) to cover the 4-cycle FMA latency
//           (the JIT keeps all of it in registers: checked with DOTNET_JitDisasm=Micro6x64, no stack traffic in the loop). AVX2: 6 × 16 in 12 ymm (of 16). No SIMD: a scalar loop of the same shape.
//   epilogue each accumulator tile is written to a 1.5 KB stack buffer; on the last K block it is finished row by row
//           in vectors: alpha, beta·C (C read only when beta ≠ 0), bias, then GELU (ActivationHost's lanes: the erf
//           polynomials of Activation.cs with an in-register exp) or residual + gamma ⊙ v. Ragged tiles use the same row routine with a scalar tail, so the
//           fused result never makes a second pass over C.
// Precision (tf32/bf16/fp16; the tensor cores' rounding, float32 accumulation): A is always packed and each element
//           rounded as it is packed; B stored in 16 bits is widened while packed, an f32 B rounded while packed. The
//           micro-kernel and epilogue are unchanged, so the result equals the tensor cores' up to summation order.
// Workspace: the packed panels live in one pinned array per calling thread, grown on demand and reused: no allocation
// per call once warm. Workers only read the packed panels and write disjoint C tiles, so there are no locks.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (CPU) GEMM: packed panels, a register-blocked FMA micro-kernel, all cores, fused epilogues.</summary>
public static unsafe class GemmHost
{
    private const int MR = 6;

    /// <summary>Largest K block; K is cut into equal blocks no longer than this (K = 384 → one block, 768 → 2 × 384).</summary>
    internal static int MaxKC = 384;

    /// <summary>Micro-tile width: 64 floats (4 zmm) with AVX-512, 16 (2 ymm) with AVX2, 16 scalar otherwise.</summary>
    internal static int NR { get; } = Vector512.IsHardwareAccelerated ? 64 : 16;

    /// <summary>Which micro-kernel runs on this machine (for benchmarks and the header's claims).</summary>
    public static string MicroKernelName =>
        Vector512.IsHardwareAccelerated ? "6x64 Vector512 FMA" : Vector256.IsHardwareAccelerated ? "6x16 Vector256 FMA" : "6x16 scalar";

    private static readonly int MC = 16 * MR, NC = 6 * NR;

    /// <summary>One GEMM problem over host pointers (row-major, contiguous; see <see cref="Run"/>).</summary>
    internal struct Problem
    {
        public float* A, B, C, Bias, Gamma, Residual;
        public ushort* BHalf; // B stored as bf16/f16 (then B is null), widened while packed
        public Precision Precision;
        public int Batch, M, N, K;
        public bool TransA, TransB, SharedB, Gelu;
        public float Alpha, Beta;
    }

    // --- tensor-level entry points (same semantics as Gemm.Matmul / Gemm.Linear; arguments are checked there) ---

    /// <summary>Gemm.Matmul / Gemm.Linear on host memory: batch, shapes and flags already validated by Gemm.</summary>
    internal static void Run(Tensor a, Tensor b, Tensor c, Tensor? bias, Tensor? gamma, Tensor? residual, int batch, int m,
        int n, int k, bool transA, bool transB, bool sharedB, bool gelu, float alpha, float beta, Precision precision = Precision.Fp32)
    {
        bool half = b.DType != DType.Float32;
        var p = new Problem
        {
            A = a.HostPointer<float>(), B = half ? null : b.HostPointer<float>(), C = c.HostPointer<float>(),
            BHalf = half ? b.HostPointer<ushort>() : null, Precision = precision,
            Bias = bias is null ? null : bias.HostPointer<float>(),
            Gamma = gamma is null ? null : gamma.HostPointer<float>(),
            Residual = residual is null ? null : residual.HostPointer<float>(),
            Batch = batch, M = m, N = n, K = k, TransA = transA, TransB = transB, SharedB = sharedB, Gelu = gelu,
            Alpha = alpha, Beta = beta,
        };
        Run(in p);
    }

    // --- pointer-level core ---

    /// <summary>
    /// C[z] = epilogue(alpha·op(A[z])·op(B[z]) + beta·C[z] + bias) for z &lt; Batch. A holds (M, K) per batch, or (K, M)
    /// when TransA; B (K, N) or (N, K) when TransB, one shared matrix when SharedB; C and Residual (Batch, M, N).
    /// Epilogue: GELU when Gelu; y = Residual + Gamma ⊙ v when Gamma is set (Residual may alias C). C must not alias A/B.
    /// </summary>
    internal static void Run(in Problem p)
    {
        if (p.Batch <= 0 || p.M <= 0 || p.N <= 0) return;
        var job = Job.ForThisThread;
        job.Prepare(in p);
        HostCpu.For(job.PackItems, job.PackBody);
        HostCpu.For(job.TileItems, job.TileBody);
    }

    /// <summary>The per-calling-thread workspace and the two parallel phases (pack, then tiles), with cached delegates
    /// so a warm call allocates nothing of its own.</summary>
    private sealed class Job
    {
        [ThreadStatic] private static Job? current;
        public static Job ForThisThread => current ??= new Job();

        public readonly Action<int> PackBody, TileBody;
        public int PackItems, TileItems;
        private Problem p;
        private float[] space = [];
        private float* packedA, packedB;
        private int panelsM, panelsN, batchesB, tilesM, tilesN, aChunk, bChunk, aItems, aPacked;
        private bool packAllA;

        private Job()
        {
            PackBody = Pack;
            TileBody = Tile;
        }

        public void Prepare(in Problem problem)
        {
            p = problem;
            int k = Math.Max(p.K, 1), nr = NR;
            panelsM = (p.M + MR - 1) / MR;
            panelsN = (p.N + nr - 1) / nr;
            batchesB = p.SharedB ? 1 : p.Batch;
            long aLen = (long)p.Batch * panelsM * MR * k, bLen = (long)batchesB * panelsN * nr * k;
            long need = aLen + bLen + 16;
            if (need > Array.MaxLength) throw new ArgumentException($"matmul: packed operands of {need} floats exceed one array");
            if (space.Length < need) space = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
            // 64-byte align the panels (the array is pinned, so its address is stable).
            float* basePtr = (float*)Unsafe.AsPointer(ref space[0]);
            packedA = (float*)(((nint)basePtr + 63) & ~(nint)63);
            packedB = packedA + aLen;

            // Pack work items: chunks of panels, a few per core so uneven chunks balance.
            int cores = HostCpu.Cores;
            // A stored (M, K) is read in place by the micro-kernel (six row pointers); only Aᵀ and the ragged last panel
            // of each batch (rows past M read as 0) are packed.
            // (Packing A whose rows sit 4 KB apart, to keep them out of one L1 set, measured slower at 1024³: not done.)
            packAllA = p.TransA || p.Precision != Precision.Fp32; // reduced precision: every A element is rounded as packed
            int aPanels = packAllA ? p.Batch * panelsM : p.M % MR != 0 ? p.Batch : 0, bPanels = batchesB * panelsN;
            aPacked = aPanels;
            aChunk = Math.Max(1, aPanels / (4 * cores));
            bChunk = Math.Max(1, bPanels / (4 * cores));
            aItems = (aPanels + aChunk - 1) / aChunk;
            PackItems = aItems + (bPanels + bChunk - 1) / bChunk;

            tilesM = (p.M + MC - 1) / MC;
            tilesN = (p.N + NC - 1) / NC;
            TileItems = p.Batch * tilesM * tilesN;
        }

        private void Pack(int item)
        {
            int k = p.K, kk = Math.Max(k, 1), nr = NR;
            if (item < aItems)
            {
                int first = item * aChunk, end = Math.Min(first + aChunk, aPacked);
                for (int u = first; u < end; u++)
                {
                    int q = packAllA ? u : u * panelsM + panelsM - 1; // all panels, or each batch's ragged last one
                    int z = q / panelsM, i0 = (q % panelsM) * MR;
                    PackA(p.A + (long)z * p.M * k, p.M, k, p.TransA, i0, packedA + (long)q * MR * kk);
                    if (p.Precision != Precision.Fp32) RoundPanel(packedA + (long)q * MR * kk, (long)MR * k, p.Precision);
                }
            }
            else
            {
                int first = (item - aItems) * bChunk, end = Math.Min(first + bChunk, batchesB * panelsN);
                for (int q = first; q < end; q++)
                {
                    int z = q / panelsN, j0 = (q % panelsN) * nr;
                    if (p.BHalf != null) PackBHalf(p.BHalf + (long)z * k * p.N, p.N, k, p.TransB, j0, nr, packedB + (long)q * nr * kk, p.Precision);
                    else PackB(p.B + (long)z * k * p.N, p.N, k, p.TransB, j0, nr, packedB + (long)q * nr * kk);
                    if (p.BHalf == null && p.Precision != Precision.Fp32) RoundPanel(packedB + (long)q * nr * kk, (long)nr * k, p.Precision);
                }
            }
        }

        // Partial sums of a tile between K blocks: one MC × NC scratch tile per worker thread (C itself may be the
        // residual of the LayerScale epilogue, and beta·C needs C's old value, so C is written once, at the end).
        [ThreadStatic] private static float[]? partial;

        private void Tile(int item)
        {
            int tm = item % tilesM, rest = item / tilesM, tn = rest % tilesN, z = rest / tilesN;
            int k = p.K, kk = Math.Max(k, 1), nr = NR;
            int i0 = tm * MC, i1 = Math.Min(i0 + MC, p.M), j0 = tn * NC, j1 = Math.Min(j0 + NC, p.N);
            float* aBase = packedA + (long)z * panelsM * MR * kk;
            float* bBase = packedB + (long)(p.SharedB ? 0 : z) * panelsN * nr * kk;
            long cBase = (long)z * p.M * p.N;
            float* acc = stackalloc float[MR * 64];
            partial ??= GC.AllocateUninitializedArray<float>(MC * NC, pinned: true);
            float* part = (float*)Unsafe.AsPointer(ref partial[0]);
            var e = new Epilogue(in p);
            int blockK = (k + (k + MaxKC - 1) / MaxKC - 1) / Math.Max(1, (k + MaxKC - 1) / MaxKC);
            for (int pc = 0; ; pc += blockK)
            {
                int kc = Math.Min(blockK, k - pc);
                e.First = pc == 0;
                e.Last = pc + kc >= k;
                for (int i = i0; i < i1; i += MR)
                {
                    int rows = Math.Min(MR, i1 - i);
                    bool inPlace = !packAllA && rows == MR;
                    float* ap = inPlace ? p.A + ((long)z * p.M + i) * k + pc : aBase + (long)(i / MR) * MR * kk + (long)pc * MR;
                    nint rs = inPlace ? k : 1, ks = inPlace ? 1 : MR;
                    for (int j = j0; j < j1; j += nr)
                    {
                        float* bp = bBase + (long)(j / nr) * nr * kk + (long)pc * nr;
                        MicroKernel(kc, ap, rs, ks, bp, acc);
                        int cols = Math.Min(nr, j1 - j);
                        for (int r = 0; r < rows; r++)
                        {
                            long at = cBase + (long)(i + r) * p.N + j;
                            e.Row(acc + r * nr, part + (i + r - i0) * NC + (j - j0), p.C + at,
                                p.Residual == null ? null : p.Residual + at, j, cols);
                        }
                    }
                }
                if (e.Last) break;
            }
        }
    }

    // --- packing ---

    /// <summary>Rows i0 … i0+MR−1 of A (M, K) — or of Aᵀ when stored (K, M) — into dst[k·MR + r]; rows past M are 0.</summary>
    private static void PackA(float* a, int m, int k, bool trans, int i0, float* dst)
    {
        int rows = Math.Min(MR, m - i0);
        if (trans)
        {
            for (int t = 0; t < k; t++, dst += MR)
            {
                float* src = a + (long)t * m + i0;
                int r = 0;
                for (; r < rows; r++) dst[r] = src[r];
                for (; r < MR; r++) dst[r] = 0f;
            }
            return;
        }
        // Six source rows read side by side, the panel written front to back (sequential streams both ways).
        float* s0 = a + (long)i0 * k;
        if (rows == MR)
        {
            for (int t = 0; t < k; t++, dst += MR)
            {
                dst[0] = s0[t];
                dst[1] = s0[k + t];
                dst[2] = s0[2 * k + t];
                dst[3] = s0[3 * k + t];
                dst[4] = s0[4 * k + t];
                dst[5] = s0[5 * k + t];
            }
            return;
        }
        for (int t = 0; t < k; t++, dst += MR)
            for (int r = 0; r < MR; r++) dst[r] = r < rows ? s0[(long)r * k + t] : 0f;
    }

    /// <summary>Columns j0 … j0+nr−1 of B (K, N) — or of Bᵀ stored (N, K) — into dst[k·nr + c]; columns past N are 0.</summary>
    private static void PackB(float* b, int n, int k, bool trans, int j0, int nr, float* dst)
    {
        int cols = Math.Min(nr, n - j0);
        if (!trans)
        {
            for (int t = 0; t < k; t++, dst += nr)
            {
                new ReadOnlySpan<float>(b + (long)t * n + j0, cols).CopyTo(new Span<float>(dst, cols));
                if (cols < nr) new Span<float>(dst + cols, nr - cols).Clear();
            }
            return;
        }
        // Bᵀ (nn.Linear weights): each panel column is a contiguous row of W. Transposed 8 k at a time, so the 8 panel
        // rows being written (8 × NR floats, 2 KB) and the 8-float pieces of the NR source rows stay in L1; column by
        // column over all of K would touch a new cache line with every store.
        for (int t0 = 0; t0 < k; t0 += 8)
        {
            int steps = Math.Min(8, k - t0);
            float* d0 = dst + (long)t0 * nr;
            for (int c = 0; c < cols; c++)
            {
                float* src = b + (long)(j0 + c) * k + t0;
                for (int t = 0; t < steps; t++) d0[t * nr + c] = src[t];
            }
            for (int c = cols; c < nr; c++)
                for (int t = 0; t < steps; t++) d0[t * nr + c] = 0f;
        }
    }

    /// <summary>A packed panel's values rounded in place to what the tensor cores see of them (<see cref="TensorCoreOps.Round"/>).</summary>
    private static void RoundPanel(float* panel, long count, Precision precision)
    {
        for (long i = 0; i < count; i++) panel[i] = TensorCoreOps.Round(panel[i], precision);
    }

    /// <summary><see cref="PackB"/> for B stored in 16 bits (bf16 or f16): each element widened exactly as it is packed.</summary>
    private static void PackBHalf(ushort* b, int n, int k, bool trans, int j0, int nr, float* dst, Precision precision)
    {
        int cols = Math.Min(nr, n - j0);
        bool bf16 = precision == Precision.Bf16;
        for (int t = 0; t < k; t++, dst += nr)
        {
            int c = 0;
            for (; c < cols; c++)
            {
                uint h = trans ? b[(long)(j0 + c) * k + t] : b[(long)t * n + j0 + c];
                dst[c] = bf16 ? BitConverter.UInt32BitsToSingle(h << 16) : TensorCoreOps.HalfToFloat(h);
            }
            for (; c < nr; c++) dst[c] = 0f;
        }
    }

    // --- micro-kernels: acc[MR][NR] = Σ_k a[k][·] ⊗ b[k][·]; A element (r, t) at a[r·rs + t·ks] (a packed panel: rs = 1,
    // ks = MR; A read in place: rs = K, ks = 1), B a packed panel ---

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(int kc, float* a, nint rs, nint ks, float* b, float* acc)
    {
        if (Vector512.IsHardwareAccelerated) Micro6x64(kc, a, rs, ks, b, acc);
        else if (Vector256.IsHardwareAccelerated) Micro6x16(kc, a, rs, ks, b, acc);
        else MicroScalar(kc, a, rs, ks, b, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro6x64(int kc, float* a, nint rs, nint ks, float* b, float* acc)
    {
        nint r2 = 2 * rs, r3 = 3 * rs, r4 = 4 * rs, r5 = 5 * rs;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int t = 0; t < kc; t++, a += ks, b += 64)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a[rs]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a[r2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a[r3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
            x = Vector512.Create(a[r4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
            x = Vector512.Create(a[r5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(x, b2, c52); c53 = Vector512.FusedMultiplyAdd(x, b3, c53);
        }
        c00.Store(acc); c01.Store(acc + 16); c02.Store(acc + 32); c03.Store(acc + 48);
        c10.Store(acc + 64); c11.Store(acc + 80); c12.Store(acc + 96); c13.Store(acc + 112);
        c20.Store(acc + 128); c21.Store(acc + 144); c22.Store(acc + 160); c23.Store(acc + 176);
        c30.Store(acc + 192); c31.Store(acc + 208); c32.Store(acc + 224); c33.Store(acc + 240);
        c40.Store(acc + 256); c41.Store(acc + 272); c42.Store(acc + 288); c43.Store(acc + 304);
        c50.Store(acc + 320); c51.Store(acc + 336); c52.Store(acc + 352); c53.Store(acc + 368);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro6x16(int kc, float* a, nint rs, nint ks, float* b, float* acc)
    {
        nint r2 = 2 * rs, r3 = 3 * rs, r4 = 4 * rs, r5 = 5 * rs;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int t = 0; t < kc; t++, a += ks, b += 16)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[rs]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[r2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[r3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[r4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[r5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        c00.Store(acc); c01.Store(acc + 8); c10.Store(acc + 16); c11.Store(acc + 24); c20.Store(acc + 32); c21.Store(acc + 40);
        c30.Store(acc + 48); c31.Store(acc + 56); c40.Store(acc + 64); c41.Store(acc + 72); c50.Store(acc + 80); c51.Store(acc + 88);
    }

    private static void MicroScalar(int kc, float* a, nint rs, nint ks, float* b, float* acc)
    {
        const int nr = 16;
        new Span<float>(acc, MR * nr).Clear();
        for (int t = 0; t < kc; t++, a += ks, b += nr)
            for (int r = 0; r < MR; r++)
            {
                float x = a[r * rs];
                for (int c = 0; c < nr; c++) acc[r * nr + c] = MathF.FusedMultiplyAdd(x, b[c], acc[r * nr + c]);
            }
    }

    // --- epilogue ---

    /// <summary>
    /// One row segment of a micro-tile: before the last K block, the sum so far goes to the partial tile; on the last,
    /// v = alpha·(partial + acc), + beta·C (C read only when beta ≠ 0), + bias, then GELU or residual + gamma ⊙ v.
    /// </summary>
    private ref struct Epilogue(in Problem p)
    {
        private readonly float alpha = p.Alpha, beta = p.Beta;
        private readonly float* bias = p.Bias, gamma = p.Gamma;
        private readonly bool gelu = p.Gelu;
        public bool First, Last;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Row(float* acc, float* part, float* c, float* residual, int col, int count)
        {
            int j = 0;
            if (!Last)
            {
                if (First) new ReadOnlySpan<float>(acc, count).CopyTo(new Span<float>(part, count));
                else for (; j < count; j++) part[j] += acc[j];
                return;
            }
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j <= count - 16; j += 16)
                {
                    var s = Vector512.Load(acc + j);
                    if (!First) s += Vector512.Load(part + j);
                    var v = s * alpha;
                    if (beta != 0f) v += Vector512.Load(c + j) * beta;
                    if (bias != null) v += Vector512.Load(bias + col + j);
                    if (gelu) v = ActivationHost.GeluOp.Apply<Simd512, Vector512<float>>(v);
                    else if (gamma != null) v = Vector512.Load(residual + j) + Vector512.Load(gamma + col + j) * v;
                    v.Store(c + j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= count - 8; j += 8)
                {
                    var s = Vector256.Load(acc + j);
                    if (!First) s += Vector256.Load(part + j);
                    var v = s * alpha;
                    if (beta != 0f) v += Vector256.Load(c + j) * beta;
                    if (bias != null) v += Vector256.Load(bias + col + j);
                    if (gelu) v = ActivationHost.GeluOp.Apply<Simd256, Vector256<float>>(v);
                    else if (gamma != null) v = Vector256.Load(residual + j) + Vector256.Load(gamma + col + j) * v;
                    v.Store(c + j);
                }
            }
            for (; j < count; j++)
            {
                float s = First ? acc[j] : acc[j] + part[j];
                float v = s * alpha;
                if (beta != 0f) v += c[j] * beta;
                if (bias != null) v += bias[col + j];
                if (gelu) v = Activation.GeluValue(v);
                else if (gamma != null) v = residual[j] + gamma[col + j] * v;
                c[j] = v;
            }
        }
    }
}
