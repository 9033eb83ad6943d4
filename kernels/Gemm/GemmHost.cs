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
//           (nn.Linear weights: AVX2 gathers, 8 rows of W per load), batched and shared B. A constant weight
//           (Tensor.MarkConstant: the model's) is packed once and its panels cached per tensor and generation
//           (PackedWeights below). A stored (M, K) is read in place through six row pointers (the micro-panel is
//           6 rows × KC, ≤ 9 KB, L1-resident across the jr loop); Aᵀ is packed k-major ([panel][k][MR]), the ragged
//           last panel and LayerNorm(A) by rows ([panel][MR][K]). Packing reads each input once (K·N floats against
//           2·M·N·K FLOPs).
//   LN      layernorm_linear's prologue: each row of A is normalised into its packed panel with LayerNormHost's row
//           (mean and variance once per row, the layer_norm op's numbers), so LN(x) is never a tensor of its own.
//   tiles   the output is cut into tiles of up to MC × NC = 96 × 384 (16 × 6 micro-tiles), claimed dynamically by the
//           cores through HostCpu.For; items walk M fastest so both cores share the same B columns in L3, and shrink
//           to 2 micro-panel rows as the work runs out (guided sizes), so the cores finish together (ViT M = 1600–1705).
//   pc      K in equal blocks of KC ≤ 384: the tile's B block (KC × NC × 4 B ≤ 590 KB) stays in the core's 1 MB L2 while
//           the tile's A panels pass over it; between blocks the micro-kernel loads its partial sums from a per-thread
//           MC × NC scratch tile into its registers and stores them back (C is written once, by the epilogue).
//   ir, jr  an A micro-panel (MR × KC × 4 B ≤ 9 KB) stays in L1 across the NC / NR = 6 B micro-panels it meets.
//   micro   MR × NR = 6 × 64 floats in 24 zmm accumulators (+ 4 B vectors + 1 broadcast = 29 of 32 registers): per k,
//           4 loads and 6 broadcasts feed 24 FMAs, enough independent chains (24) to cover the 4-cycle FMA latency
//           (the JIT keeps all of it in registers: checked with DOTNET_JitDisasm=Micro6x64, no stack traffic in the
//           loop). Alone, with B from L2, it runs at 100 % of the FMA loop's rate (114 GFLOP per core-second); in the
//           GEMM 84–91 % (per CPU-second, 2 cores, ViT-B and 1024³ shapes): the rest is A/B cache misses, packing and
//           the epilogue. AVX2: 6 × 16 in 12 ymm (of 16). No SIMD: a scalar loop of the same shape.
//   epilogue on the last K block each micro-tile is finished row by row in vectors: alpha, beta·C (C read only when
//           beta ≠ 0), bias, then GELU (ActivationHost's lanes: the erf polynomials of Activation.cs with an
//           in-register exp) or residual + gamma ⊙ v. Ragged tiles use the same row routine with a scalar tail, so the
//           fused result never makes a second pass over C.
// Workspace: the packed panels live in one pinned array per calling thread, grown on demand and reused: no allocation
// per call once warm (a constant weight's first call allocates its cache entry). Workers only read the packed panels
// and write disjoint C tiles, so there are no locks.
// Precision (tf32/bf16/fp16; the tensor cores' rounding, float32 accumulation): the packing is the only reader of A and
// B, so it is the only change: A is always packed and each element rounded (after the LayerNorm prologue), B stored in
// 16 bits widened while packed (PackBHalf), an f32 B rounded while packed (and then not cached). The micro-kernel and
// epilogue are unchanged: the result equals the tensor cores' up to summation order.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

    /// <summary>One GEMM problem over host pointers (row-major, contiguous; see <see cref="Run(in Problem)"/>).</summary>
    internal struct Problem
    {
        public float* A, B, C, Bias, Gamma, Residual;
        /// <summary>B stored as bf16/f16 (then B is null): widened while packed.</summary>
        public ushort* BHalf;
        /// <summary>tf32/bf16/fp16: every A element and an f32 B rounded while packed, as the tensor cores round them.</summary>
        public Precision Precision;
        /// <summary>Set for the LayerNorm prologue: A's rows are normalised (LnGamma, LnBeta, LnEps) while packed.</summary>
        public float* LnGamma, LnBeta;
        public float LnEps;
        /// <summary>B's tensor when it is a constant 2-D weight (<see cref="Tensor.IsConstant"/>): its packed panels are
        /// cached per tensor and generation (<see cref="PackedWeights"/>).</summary>
        public Tensor? ConstantB;
        public int Batch, M, N, K;
        public bool TransA, TransB, SharedB, Gelu;
        public float Alpha, Beta;
    }

    // --- tensor-level entry points (same semantics as Gemm.Matmul / Gemm.Linear; arguments are checked there) ---

    /// <summary>Gemm.Matmul / Gemm.Linear on host memory: batch, shapes and flags already validated by Gemm.</summary>
    internal static void Run(Tensor a, Tensor b, Tensor c, Tensor? bias, Tensor? gamma, Tensor? residual, int batch, int m,
        int n, int k, bool transA, bool transB, bool sharedB, bool gelu, float alpha, float beta, Precision precision = Precision.Fp32)
    {
        var p = new Problem
        {
            A = a.HostPointer<float>(), C = c.HostPointer<float>(),
            Bias = Pointer(bias), Gamma = Pointer(gamma), Residual = Pointer(residual),
            ConstantB = CacheableB(b, precision) && (sharedB || batch == 1) ? b : null,
            Batch = batch, M = m, N = n, K = k, TransA = transA, TransB = transB, SharedB = sharedB, Gelu = gelu,
            Alpha = alpha, Beta = beta,
        };
        SetB(ref p, b, precision);
        Run(in p);
    }

    // Precision: a 16-bit B is widened while packed (the same panels every call: cacheable); an f32 B rounded to a
    // reduced precision is not cached, so an fp32 call of the same weight never meets rounded panels.
    private static void SetB(ref Problem p, Tensor b, Precision precision)
    {
        bool half = b.DType != DType.Float32;
        p.B = half ? null : b.HostPointer<float>();
        p.BHalf = half ? b.HostPointer<ushort>() : null;
        p.Precision = precision;
    }

    private static bool CacheableB(Tensor b, Precision precision) =>
        b.IsConstant && (precision == Precision.Fp32 || b.DType != DType.Float32);

    /// <summary>y = [GELU](LayerNorm(x)·Wᵀ + b) with the LayerNorm done while A is packed (LayerNormLinear's host version).</summary>
    internal static void RunLayerNormLinear(Tensor x, Tensor lnGamma, Tensor lnBeta, float eps, Tensor weight, Tensor? bias,
        Tensor y, int rows, int n, int k, bool gelu, Precision precision = Precision.Fp32)
    {
        var p = new Problem
        {
            A = x.HostPointer<float>(), C = y.HostPointer<float>(), Bias = Pointer(bias),
            LnGamma = lnGamma.HostPointer<float>(), LnBeta = lnBeta.HostPointer<float>(), LnEps = eps,
            ConstantB = CacheableB(weight, precision) ? weight : null,
            Batch = 1, M = rows, N = n, K = k, TransB = true, Gelu = gelu, Alpha = 1f,
        };
        SetB(ref p, weight, precision);
        Run(in p);
    }

    private static float* Pointer(Tensor? t) => t is null ? null : t.HostPointer<float>();

    // --- pointer-level core ---

    /// <summary>
    /// C[z] = epilogue(alpha·op(A[z])·op(B[z]) + beta·C[z] + bias) for z &lt; Batch. A holds (M, K) per batch, or (K, M)
    /// when TransA; B (K, N) or (N, K) when TransB, one shared matrix when SharedB; C and Residual (Batch, M, N).
    /// Epilogue: GELU when Gelu; y = Residual + Gamma ⊙ v when Gamma is set (Residual may alias C). C must not alias A/B.
    /// With LnGamma set, op(A) is LayerNorm(A) over K (A stored (M, K)), computed while packing.
    /// </summary>
    internal static void Run(in Problem p)
    {
        if (p.Batch <= 0 || p.M <= 0 || p.N <= 0) return;
        var job = Job.ForThisThread;
        var weight = p.ConstantB is null ? null : PackedWeights.Find(p.ConstantB, p.N, p.K, p.TransB, NR);
        job.Prepare(in p, weight);
        HostCpu.For(job.PackItems, job.PackBody);
        if (weight is { IsPacked: false }) PackedWeights.Publish(p.ConstantB!, weight); // its panels are complete now
        HostCpu.For(job.TileItems, job.TileBody);
    }

    /// <summary>Calls whose constant weight was already packed (how tests see the cache work; diagnostics).</summary>
    public static long PackedWeightReuses => Interlocked.Read(ref PackedWeights.Reuses);

    /// <summary>
    /// Packed B panels of constant weights, one entry per weight tensor (a weak table: it dies with the tensor), valid
    /// while the tensor's <see cref="Tensor.Generation"/>, storage address, N, K and layout match; otherwise the call packs
    /// a fresh entry and publishes it once complete, so concurrent callers never see a half-packed or changing one. Packing
    /// reads and writes the weight once per call otherwise (ViT-B fc1: 9.4 MB each way, a few % of the GEMM). Costs
    /// memory: the panels are a second copy of each weight (rounded up to 64 columns).
    /// </summary>
    private static class PackedWeights
    {
        private static readonly ConditionalWeakTable<Tensor, Entry> table = new();
        public static long Reuses;

        public sealed class Entry(long generation, nint storage, int n, int k, bool trans, int nr)
        {
            public readonly long Generation = generation;
            public readonly nint Storage = storage;
            public readonly int N = n, K = k, Nr = nr;
            public readonly bool Trans = trans;
            public float[] Space = [];
            public bool IsPacked;
            public float* Panels => (float*)(((nint)Unsafe.AsPointer(ref Space[0]) + 63) & ~(nint)63);

            public bool Matches(long generation, nint storage, int n, int k, bool trans, int nr) =>
                IsPacked && Generation == generation && Storage == storage && N == n && K == k && Trans == trans && Nr == nr;
        }

        /// <summary>The valid packed entry of <paramref name="weight"/>, or a new unpacked one to fill (generation read
        /// before packing: a write declared meanwhile leaves the new entry stale, never wrong).</summary>
        public static Entry Find(Tensor weight, int n, int k, bool trans, int nr)
        {
            long generation = weight.Generation;
            nint storage = (nint)weight.HostPointer<float>();
            if (table.TryGetValue(weight, out var e) && e.Matches(generation, storage, n, k, trans, nr))
            {
                Interlocked.Increment(ref Reuses);
                return e;
            }
            long floats = (long)(n + nr - 1) / nr * nr * Math.Max(k, 1) + 16;
            if (floats > Array.MaxLength) throw new ArgumentException($"matmul: packed weight of {floats} floats exceeds one array");
            return new Entry(generation, storage, n, k, trans, nr) { Space = GC.AllocateUninitializedArray<float>((int)floats, pinned: true) };
        }

        public static void Publish(Tensor weight, Entry e)
        {
            e.IsPacked = true;
            table.AddOrUpdate(weight, e);
        }
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
        private int panelsM, panelsN, batchesB, tilesN, aChunk, bChunk, aItems, aPacked, blocks, blockK;
        private bool packAllA;
        private TileItem[] items = [];

        private Job()
        {
            PackBody = Pack;
            TileBody = Tile;
        }

        public void Prepare(in Problem problem, PackedWeights.Entry? weight)
        {
            p = problem;
            int k = Math.Max(p.K, 1), nr = NR;
            panelsM = (p.M + MR - 1) / MR;
            panelsN = (p.N + nr - 1) / nr;
            batchesB = p.SharedB ? 1 : p.Batch;
            long aLen = (long)p.Batch * panelsM * MR * k, bLen = weight is null ? (long)batchesB * panelsN * nr * k : 0;
            long need = aLen + bLen + 16;
            if (need > Array.MaxLength) throw new ArgumentException($"matmul: packed operands of {need} floats exceed one array");
            if (space.Length < need) space = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
            // 64-byte align the panels (the array is pinned, so its address is stable).
            float* basePtr = (float*)Unsafe.AsPointer(ref space[0]);
            packedA = (float*)(((nint)basePtr + 63) & ~(nint)63);
            packedB = weight is null ? packedA + aLen : weight.Panels; // a constant weight's panels live in its cache entry

            // Pack work items: chunks of panels, a few per core so uneven chunks balance.
            int cores = HostCpu.Cores;
            // A stored (M, K) is read in place by the micro-kernel (six row pointers); only Aᵀ, LayerNorm(A) and the
            // ragged last panel of each batch (rows past M read as 0) are packed.
            // (Packing A whose rows sit 4 KB apart, to keep them out of one L1 set, measured slower at 1024³: not done.)
            packAllA = p.TransA || p.LnGamma != null || p.Precision != Precision.Fp32; // reduced precision: A rounded as packed
            int aPanels = packAllA ? p.Batch * panelsM : p.M % MR != 0 ? p.Batch : 0;
            int bPanels = weight is { IsPacked: true } ? 0 : batchesB * panelsN;
            aPacked = aPanels;
            aChunk = Math.Max(1, aPanels / (4 * cores));
            bChunk = Math.Max(1, bPanels / (4 * cores));
            aItems = (aPanels + aChunk - 1) / aChunk;
            PackItems = aItems + (bPanels + bChunk - 1) / bChunk;

            blocks = Math.Max(1, (p.K + MaxKC - 1) / MaxKC); // K in equal blocks of ≤ MaxKC (K = 0: one empty block)
            blockK = (p.K + blocks - 1) / blocks;
            PlanTiles(cores);
        }

        // Output tiles: NC / NR = 6 column panels (the panels of N spread evenly over the column tiles) by up to
        // MC / MR = 16 row panels. Guided sizes: an item takes 16 row panels while much work remains and fewer near the
        // end (down to 2), so the cores, which claim items dynamically, run out of work at nearly the same time.
        // Items walk M fastest, so both cores work on the same B columns (shared in L3) at once.
        private void PlanTiles(int cores)
        {
            tilesN = (panelsN + NC / NR - 1) / (NC / NR);
            long units = (long)p.Batch * panelsM * panelsN, left = units;
            int count = 0;
            for (int z = 0; z < p.Batch; z++)
                for (int tn = 0; tn < tilesN; tn++)
                {
                    int jp0 = (int)((long)tn * panelsN / tilesN), jp1 = (int)((long)(tn + 1) * panelsN / tilesN);
                    for (int ip = 0; ip < panelsM;)
                    {
                        int rowPanels = (int)Math.Clamp(left / (2L * cores * (jp1 - jp0)), 2, MC / MR);
                        rowPanels = Math.Min(rowPanels, panelsM - ip);
                        if (count == items.Length) Array.Resize(ref items, Math.Max(64, 2 * items.Length));
                        items[count++] = new TileItem(z, ip, ip + rowPanels, jp0, jp1);
                        left -= (long)rowPanels * (jp1 - jp0);
                        ip += rowPanels;
                    }
                }
            TileItems = count;
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
                    float* dst = packedA + (long)q * MR * kk;
                    if (p.TransA) PackATransposed(p.A + (long)z * p.M * k, p.M, k, i0, dst);
                    else PackARows(p.A + (long)z * p.M * k, p.M, k, i0, dst, p.LnGamma, p.LnBeta, p.LnEps);
                    if (p.Precision != Precision.Fp32) RoundPanel(dst, (long)MR * k, p.Precision);
                }
            }
            else
            {
                int first = (item - aItems) * bChunk, end = Math.Min(first + bChunk, batchesB * panelsN); // (none when cached)
                for (int q = first; q < end; q++)
                {
                    int z = q / panelsN, j0 = (q % panelsN) * nr;
                    float* dst = packedB + (long)q * nr * kk;
                    if (p.BHalf != null) PackBHalf(p.BHalf + (long)z * k * p.N, p.N, k, p.TransB, j0, nr, dst, p.Precision);
                    else PackB(p.B + (long)z * k * p.N, p.N, k, p.TransB, j0, nr, dst);
                    if (p.BHalf == null && p.Precision != Precision.Fp32) RoundPanel(dst, (long)nr * k, p.Precision);
                }
            }
        }

        // Partial sums of a tile between K blocks: one MC × NC scratch tile per worker thread (C itself may be the
        // residual of the LayerScale epilogue, and beta·C needs C's old value, so C is written once, at the end).
        [ThreadStatic] private static float[]? partial;

        private void Tile(int index)
        {
            var t = items[index];
            int z = t.Z, k = p.K, kk = Math.Max(k, 1), nr = NR;
            int i0 = t.Panel0 * MR, i1 = Math.Min(t.Panel1 * MR, p.M), j0 = t.Col0 * nr, j1 = Math.Min(t.Col1 * nr, p.N);
            float* aBase = packedA + (long)z * panelsM * MR * kk;
            float* bBase = packedB + (long)(p.SharedB ? 0 : z) * panelsN * nr * kk;
            long cBase = (long)z * p.M * p.N;
            // One K block: each micro-tile goes to a stack tile and is finished at once. Several: the micro-kernel
            // accumulates into the worker's partial tile (loaded into its registers, stored back) and the last block
            // finishes it from there.
            float* acc = stackalloc float[MR * 64];
            float* part = acc;
            nint ld = nr;
            if (blocks > 1)
            {
                partial ??= GC.AllocateUninitializedArray<float>(MC * NC, pinned: true);
                part = (float*)Unsafe.AsPointer(ref partial[0]);
                ld = NC;
            }
            var e = new Epilogue(in p);
            for (int b = 0, pc = 0; b < blocks; b++, pc += blockK)
            {
                int kc = Math.Min(blockK, k - pc);
                bool last = b == blocks - 1;
                for (int i = i0; i < i1; i += MR)
                {
                    int rows = Math.Min(MR, i1 - i);
                    bool inPlace = !packAllA && rows == MR;
                    // A in place (rs = K), a panel packed by rows ([MR][K], rs = K) or Aᵀ's packed k-major ([K][MR]).
                    float* ap = inPlace ? p.A + ((long)z * p.M + i) * k + pc
                        : aBase + (long)(i / MR) * MR * kk + (p.TransA ? (long)pc * MR : pc);
                    nint rs = p.TransA && !inPlace ? 1 : kk, ks = p.TransA && !inPlace ? MR : 1;
                    for (int j = j0; j < j1; j += nr)
                    {
                        float* bp = bBase + (long)(j / nr) * nr * kk + (long)pc * nr;
                        float* dst = blocks > 1 ? part + (i - i0) * NC + (j - j0) : acc;
                        MicroKernel(kc, ap, rs, ks, bp, dst, ld, b > 0);
                        if (!last) continue;
                        int cols = Math.Min(nr, j1 - j);
                        for (int r = 0; r < rows; r++)
                        {
                            long at = cBase + (long)(i + r) * p.N + j;
                            e.Row(dst + r * ld, p.C + at, p.Residual == null ? null : p.Residual + at, j, cols);
                        }
                    }
                }
            }
        }
    }

    /// <summary>One tile work item: batch z, row panels [Panel0, Panel1), column panels [Col0, Col1).</summary>
    private readonly record struct TileItem(int Z, int Panel0, int Panel1, int Col0, int Col1);

    // --- packing (each panel is packed once per call by one worker; the micro-kernel then reads it from L1/L2) ---

    /// <summary>Rows i0 … i0+MR−1 of A (M, K) into dst[r·K + k] (rows past M are 0); with <paramref name="lnGamma"/>
    /// set, each row is LayerNorm(row)·γ + β (LayerNormHost's row: its mean and variance, once per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARows(float* a, int m, int k, int i0, float* dst, float* lnGamma, float* lnBeta, float eps)
    {
        int rows = Math.Min(MR, m - i0);
        for (int r = 0; r < MR; r++, dst += Math.Max(k, 1))
        {
            float* src = a + (long)(i0 + r) * k;
            if (r >= rows) new Span<float>(dst, k).Clear();
            else if (lnGamma != null) LayerNormHost.Row(src, lnGamma, lnBeta, dst, k, eps);
            else new ReadOnlySpan<float>(src, k).CopyTo(new Span<float>(dst, k));
        }
    }

    /// <summary>Rows i0 … i0+MR−1 of Aᵀ, A stored (K, M), into dst[k·MR + r]; rows past M are 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackATransposed(float* a, int m, int k, int i0, float* dst)
    {
        int rows = Math.Min(MR, m - i0);
        for (int t = 0; t < k; t++, dst += MR)
        {
            float* src = a + (long)t * m + i0;
            int r = 0;
            for (; r < rows; r++) dst[r] = src[r];
            for (; r < MR; r++) dst[r] = 0f;
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

    /// <summary>Columns j0 … j0+nr−1 of B (K, N) — or of Bᵀ stored (N, K) — into dst[k·nr + c]; columns past N are 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        // Bᵀ (nn.Linear weights): each panel column is a contiguous row of W. With AVX2, one gather per 8 panel floats
        // (column t of 8 rows of W; the 8 source lines stay in L1 for the next 15 t): 1.5× the scalar transpose below.
        if (Avx2.IsSupported && cols == nr && nr % 8 == 0 && 8L * k < int.MaxValue / 4)
        {
            var rowsApart = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * k;
            for (int g = 0; g < nr; g += 8)
            {
                float* src = b + (long)(j0 + g) * k, d = dst + g;
                for (int t = 0; t < k; t++, d += nr) Avx2.GatherVector256(src + t, rowsApart, 4).Store(d);
            }
            return;
        }
        // Else transposed 8 k at a time, so the 8 panel
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

    // --- micro-kernels: c[r·ldc + j] (+)= Σ_t A(r, t)·b[t·NR + j] over one K block; A element (r, t) at a[r·rs + t·ks]
    // (A read in place or packed by rows: rs = K, ks = 1; Aᵀ packed: rs = 1, ks = MR), b a packed B micro-panel. With
    // accumulate the registers start from c (the partial sums of the earlier K blocks), else from 0 ---

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated) Micro6x64(kc, a, rs, ks, b, c, ldc, accumulate);
        else if (Vector256.IsHardwareAccelerated) Micro6x16(kc, a, rs, ks, b, c, ldc, accumulate);
        else MicroScalar(kc, a, rs, ks, b, c, ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro6x64(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, bool accumulate)
    {
        nint r2 = 2 * rs, r3 = 3 * rs, r4 = 4 * rs, r5 = 5 * rs;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc, c4 = c + 4 * ldc, c5 = c + 5 * ldc;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        if (accumulate)
        {
            c00 = Vector512.Load(c0); c01 = Vector512.Load(c0 + 16); c02 = Vector512.Load(c0 + 32); c03 = Vector512.Load(c0 + 48);
            c10 = Vector512.Load(c1); c11 = Vector512.Load(c1 + 16); c12 = Vector512.Load(c1 + 32); c13 = Vector512.Load(c1 + 48);
            c20 = Vector512.Load(c2); c21 = Vector512.Load(c2 + 16); c22 = Vector512.Load(c2 + 32); c23 = Vector512.Load(c2 + 48);
            c30 = Vector512.Load(c3); c31 = Vector512.Load(c3 + 16); c32 = Vector512.Load(c3 + 32); c33 = Vector512.Load(c3 + 48);
            c40 = Vector512.Load(c4); c41 = Vector512.Load(c4 + 16); c42 = Vector512.Load(c4 + 32); c43 = Vector512.Load(c4 + 48);
            c50 = Vector512.Load(c5); c51 = Vector512.Load(c5 + 16); c52 = Vector512.Load(c5 + 32); c53 = Vector512.Load(c5 + 48);
        }
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
        c00.Store(c0); c01.Store(c0 + 16); c02.Store(c0 + 32); c03.Store(c0 + 48);
        c10.Store(c1); c11.Store(c1 + 16); c12.Store(c1 + 32); c13.Store(c1 + 48);
        c20.Store(c2); c21.Store(c2 + 16); c22.Store(c2 + 32); c23.Store(c2 + 48);
        c30.Store(c3); c31.Store(c3 + 16); c32.Store(c3 + 32); c33.Store(c3 + 48);
        c40.Store(c4); c41.Store(c4 + 16); c42.Store(c4 + 32); c43.Store(c4 + 48);
        c50.Store(c5); c51.Store(c5 + 16); c52.Store(c5 + 32); c53.Store(c5 + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro6x16(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, bool accumulate)
    {
        nint r2 = 2 * rs, r3 = 3 * rs, r4 = 4 * rs, r5 = 5 * rs;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc, c4 = c + 4 * ldc, c5 = c + 5 * ldc;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (accumulate)
        {
            c00 = Vector256.Load(c0); c01 = Vector256.Load(c0 + 8); c10 = Vector256.Load(c1); c11 = Vector256.Load(c1 + 8);
            c20 = Vector256.Load(c2); c21 = Vector256.Load(c2 + 8); c30 = Vector256.Load(c3); c31 = Vector256.Load(c3 + 8);
            c40 = Vector256.Load(c4); c41 = Vector256.Load(c4 + 8); c50 = Vector256.Load(c5); c51 = Vector256.Load(c5 + 8);
        }
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
        c00.Store(c0); c01.Store(c0 + 8); c10.Store(c1); c11.Store(c1 + 8); c20.Store(c2); c21.Store(c2 + 8);
        c30.Store(c3); c31.Store(c3 + 8); c40.Store(c4); c41.Store(c4 + 8); c50.Store(c5); c51.Store(c5 + 8);
    }

    private static void MicroScalar(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, bool accumulate)
    {
        const int nr = 16;
        if (!accumulate)
            for (int r = 0; r < MR; r++) new Span<float>(c + r * ldc, nr).Clear();
        for (int t = 0; t < kc; t++, a += ks, b += nr)
            for (int r = 0; r < MR; r++)
            {
                float x = a[r * rs];
                for (int j = 0; j < nr; j++) c[r * ldc + j] = MathF.FusedMultiplyAdd(x, b[j], c[r * ldc + j]);
            }
    }

    // --- epilogue ---

    /// <summary>
    /// One finished row segment of a micro-tile (the sum over all of K): v = alpha·s, + beta·C (C read only when
    /// beta ≠ 0), + bias, then GELU or residual + gamma ⊙ v, written to C.
    /// </summary>
    private readonly ref struct Epilogue(in Problem p)
    {
        private readonly float alpha = p.Alpha, beta = p.Beta;
        private readonly float* bias = p.Bias, gamma = p.Gamma;
        private readonly bool gelu = p.Gelu;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row(float* sum, float* c, float* residual, int col, int count)
        {
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j <= count - 16; j += 16)
                {
                    var v = Vector512.Load(sum + j) * alpha;
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
                    var v = Vector256.Load(sum + j) * alpha;
                    if (beta != 0f) v += Vector256.Load(c + j) * beta;
                    if (bias != null) v += Vector256.Load(bias + col + j);
                    if (gelu) v = ActivationHost.GeluOp.Apply<Simd256, Vector256<float>>(v);
                    else if (gamma != null) v = Vector256.Load(residual + j) + Vector256.Load(gamma + col + j) * v;
                    v.Store(c + j);
                }
            }
            for (; j < count; j++)
            {
                float v = sum[j] * alpha;
                if (beta != 0f) v += c[j] * beta;
                if (bias != null) v += bias[col + j];
                if (gelu) v = Activation.GeluValue(v);
                else if (gamma != null) v = residual[j] + gamma[col + j] * v;
                c[j] = v;
            }
        }
    }
}
