// GEMM: C = alpha·op(A)·op(B) + beta·C + bias, op = identity or transpose; bias is per column (N); optional fused GELU
// epilogue. Shapes: A (M, K) or (K, M) when transposed, B (K, N) or (N, K), C (M, N); batched: A (B, M, K), C (B, M, N),
// B either (B, K, N) or one (K, N) shared across the batch. Linear: y(..., N) = x(..., K)·Wᵀ + bias, W (N, K) as nn.Linear.
// PyTorch: torch.addmm(bias, A, B, beta, alpha), torch.matmul / torch.bmm, F.linear(x, W, b).
// v1 "thread-per-output": one thread per output element, implicitly grouped, K-loop over global memory. 2·K loads per 2·K FLOPs (0.25
//     FLOP/B): on an H100 it is bound by L1/L2 at a few TFLOP/s. The CPU simulator's version and the teaching baseline.
// v2 "smem-tile64": shared-memory tiles + register blocking. A 16×16 group computes a 64×64 tile of C; each thread owns a 4×4 block
//     (rows ty+16i, columns tx+16j: neighbouring threads on neighbouring columns, so C stores and shared reads are
//     contiguous) in 16 hand-written scalar accumulators (ILGPU 1.5.3 does not unroll loops, and a local array indexed
//     by a loop variable would spill to local memory). Per 16-deep K step the group stages a 64×16 slice of A and a
//     16×64 slice of B (2 × 4 KB, rows padded to 66 floats so the transposing stores are bank-conflict free; 8.4 KB of
//     shared memory in all) and each thread then does 16 FMAs per 8 shared loads. Ragged M, N, K are zero-filled at the
//     load and masked at the store; either operand may be transposed (the loaders pick the coalesced walk at run time).
// Napkin math (H100 SXM, /work/shared/specs/perf.md §2: FP32 FFMA 66.9 TFLOP/s, HBM3 3.35 TB/s, cuBLAS SGEMM reaches
// 50 TFLOP/s at 8192³): the EoMT-L 640² MLP fc1 is M = 1800 tokens, K = 1024, N = 4096: 2·M·N·K = 15.1 GFLOP against
// 4·(MK + KN + MN) = 54 MB, i.e. 280 FLOP/B, far above the 20 FLOP/B ridge (66.9 T / 3.35 T): compute bound. At peak it
// is 0.23 ms; a 64×64, 4×4-blocked SIMT kernel like v2 typically lands at 20–40 % of FP32 peak (~0.6–1.1 ms). Each
// 64×64×16 step moves 8 KB into shared memory for 131 kFLOP (16 FLOP/B from L2). The road past this is tensor cores:
// v3 "mma": mma.sync on tf32/bf16/fp16 operands, 128×128 tiles, ldmatrix + cp.async, in GemmTensorCore.cs.
// Precision (the user's choice, in GemmArgs): fp32 runs on v1, v2 and the host; tf32/bf16/fp16 on v3 (CUDA, or forced
// on the simulator) and on the host version, which rounds the operands exactly as the tensor cores do (A while packing
// it, B widened from its 16-bit storage or rounded while packing it) and accumulates in float32. bf16/fp16 weights are
// stored in 16 bits (DType.BFloat16 / Float16); the activations stay float32 and are rounded where they are read.
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>What a GEMM applies to each output after alpha, beta and bias.</summary>
public enum GemmEpilogue
{
    /// <summary>Nothing: y = alpha·AB + beta·C + bias.</summary>
    None,
    /// <summary>Exact (erf) GELU of the result, as F.gelu(F.linear(x, W, b)).</summary>
    Gelu,
    /// <summary>LayerScale + residual: y = residual + gamma ⊙ (x·Wᵀ + b), the ViT block's "x + ls(branch(x))" in one
    /// pass; used through <see cref="Gemm.LinearLayerScale"/>, which takes gamma and the residual.</summary>
    LayerScaleResidual,
}

/// <summary>One GEMM call after the entry point's checks: C (batch, m, n) = alpha·op(A)·op(B) + beta·C + bias.
/// Gamma and Residual are set for the LayerScale + residual epilogue only. Precision says how the operands are rounded
/// (B is stored in 16 bits for bf16/fp16); accumulation is float32.</summary>
public readonly record struct GemmArgs(Tensor A, Tensor B, Tensor C, Tensor? Bias, int Batch, int M, int N, int K, int Flags,
    float Alpha, float Beta, Tensor? Gamma = null, Tensor? Residual = null, Precision Precision = Precision.Fp32);

/// <summary>Matrix multiply (plain, transposed, batched) and nn.Linear.</summary>
public static partial class Gemm
{
    /// <summary>v1: one thread per output, K-loop over global memory.</summary>
    public static readonly OpVersion<GemmArgs> ThreadPerOutput = new("gemm", "thread-per-output", VersionKind.Simple,
        "one thread per output, K-loop over global memory", ["Gemm.MatmulV1"],
        g => LaunchMatmulV1(g.C.Device, new Index3D(g.N, g.M, g.Batch), g.A.View, g.B.View, g.C.View, BiasView(g), GammaView(g),
            ResidualView(g), g.M, g.N, g.K, g.Flags, g.Alpha, g.Beta), Fp32Only);

    /// <summary>v2: 64×64 shared-memory tiles, 4×4 register blocking per thread.</summary>
    public static readonly OpVersion<GemmArgs> SmemTile64 = new("gemm", "smem-tile64", VersionKind.Grouped,
        "64x64 shared-memory tiles, 4x4 register blocking", ["Gemm.MatmulV2"],
        g => LaunchMatmulV2(g.C.Device, new Index3D(g.N, g.M, g.Batch), g.A.View, g.B.View, g.C.View, BiasView(g), GammaView(g),
            ResidualView(g), g.M, g.N, g.K, g.Flags, g.Alpha, g.Beta), Fp32Only);

    /// <summary>The SIMT kernels compute in float32 on float32 operands only; other precisions go to v3 or the host.</summary>
    private static string? Fp32Only(Runtime.ComputeDevice _, GemmArgs g) =>
        g.Precision != Precision.Fp32 ? $"it computes in fp32, the call asks for {g.Precision.Name()} (the tensor-core or host version serves it)"
        : g.A.DType != DType.Float32 || g.B.DType != DType.Float32 ? $"it reads f32 operands, got {g.A.DType.Name()} and {g.B.DType.Name()}"
        : null;

    /// <summary>The host version serves every precision (operands rounded while packed): f32 A, f32 or 16-bit B.</summary>
    private static string? HostOperands(Runtime.ComputeDevice _, GemmArgs g) =>
        g.A.DType != DType.Float32 ? $"it reads an f32 A, got {g.A.DType.Name()}"
        : g.B.DType != DType.Float32 && g.B.DType != g.Precision.WeightType() ? $"B is {g.B.DType.Name()}, {g.Precision.Name()} reads f32 or {g.Precision.WeightType().Name()}"
        : null;

    /// <summary>The op row: C = α·op(A)·op(B) + β·C + bias; 2·B·M·N·K FLOPs over A, B and C once each (+ C read when β ≠ 0).</summary>
    public static readonly Op<GemmArgs> Op = new Op<GemmArgs>("gemm",
        "C = α·op(A)·op(B) + β·C + bias [+ GELU] (torch.addmm/matmul/bmm, F.linear), in fp32, tf32, bf16 or fp16",
        "GemmRef.Matmul",
        g => 2.0 * g.Batch * g.M * g.N * g.K,
        g => 4.0 * ((double)g.Batch * g.M * g.K + g.B.DType.SizeOf() / 4.0 * ((g.Flags & SharedB) != 0 ? 1 : g.Batch) * (double)g.K * g.N
            + (g.Beta != 0 ? 2.0 : 1.0) * g.Batch * g.M * g.N + (g.Bias is null ? 0 : g.N)
            + (g.Residual is null ? 0 : (double)g.Batch * g.M * g.N + g.N)),
        ThreadPerOutput, SmemTile64, MmaVersion(),
        new OpVersion<GemmArgs>("gemm", "host", VersionKind.Host,
            "packed B panels, 6x64 (AVX-512) / 6x16 (AVX2) FMA micro-kernel, all cores, fused epilogues; tf32/bf16/fp16 operands rounded while packed",
            [], g => GemmHost.Run(g.A, g.B, g.C, g.Bias, g.Gamma, g.Residual, g.Batch, g.M, g.N, g.K, (g.Flags & TransA) != 0,
                (g.Flags & TransB) != 0, (g.Flags & SharedB) != 0, (g.Flags & Gelu) != 0, g.Alpha, g.Beta, g.Precision),
            HostOperands));

    /// <summary>GEMM's host version when the table has one, else null (the table picks): what host code of other ops calls.</summary>
    public static OpVersion? HostOrDefault => Op.Versions.FirstOrDefault(v => v.Kind == VersionKind.Host);

    // Absent bias/gamma/residual: pass C's view as a placeholder (the launcher wants valid views; the flags say they are
    // never read).
    private static ArrayView<float> BiasView(GemmArgs g) => g.Bias?.View ?? g.C.View;
    private static ArrayView<float> GammaView(GemmArgs g) => g.Gamma?.View ?? g.C.View;
    private static ArrayView<float> ResidualView(GemmArgs g) => g.Residual?.View ?? g.C.View;

    // Launch flags: packed into one int so the kernels stay within the 16-argument delegate limit.
    private const int TransA = 1, TransB = 2, HasBias = 4, SharedB = 8, Gelu = 16, LayerScale = 32;

    // v2 geometry: 16×16 threads, 64×64 tile of C, K step 16, shared rows padded to 66 floats.
    private const int Tile = 64, Step = 16, Pad = 66;

    [Kernel("gemm", Version = "v1 naive, thread per output")]
    internal static void MatmulV1(Index3D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> gamma, ArrayView<float> residual, int m, int n, int k, int flags, float alpha, float beta)
    {
        int col = i.X, row = i.Y, batch = i.Z;
        long aBase = (long)batch * m * k, bBase = (flags & SharedB) != 0 ? 0 : (long)batch * k * n;
        int sAm = (flags & TransA) != 0 ? 1 : k, sAk = (flags & TransA) != 0 ? m : 1;
        int sBk = (flags & TransB) != 0 ? 1 : n, sBn = (flags & TransB) != 0 ? k : 1;
        float acc = 0f;
        for (int t = 0; t < k; t++) acc += a[aBase + row * sAm + t * sAk] * b[bBase + t * sBk + col * sBn];
        Store(c, bias, gamma, residual, ((long)batch * m + row) * n + col, col, acc, flags, alpha, beta);
    }

    [Kernel("gemm", Version = "v2 smem 64x64 tiles, 4x4 register blocking", GroupX = 16, GroupY = 16, TileX = Tile, TileY = Tile, ProblemRank = 3)]
    internal static void MatmulV2(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> gamma, ArrayView<float> residual, int m, int n, int k, int flags, float alpha, float beta)
    {
        var sa = SharedMemory.Allocate<float>(Step * Pad); // [kk][mm]: A slice stored K-major
        var sb = SharedMemory.Allocate<float>(Step * Pad); // [kk][nn]
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * 16 + tx;
        int col0 = Grid.IdxX * Tile, row0 = Grid.IdxY * Tile, batch = Grid.IdxZ;
        long aBase = (long)batch * m * k, bBase = (flags & SharedB) != 0 ? 0 : (long)batch * k * n;
        bool ta = (flags & TransA) != 0, tb = (flags & TransB) != 0;
        int sAm = ta ? 1 : k, sAk = ta ? m : 1;
        int sBk = tb ? 1 : n, sBn = tb ? k : 1;

        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;

        for (int k0 = 0; k0 < k; k0 += Step)
        {
            // Stage 64×16 of A and 16×64 of B: 1024 elements each, 4 per thread. Consecutive threads walk the operand's
            // contiguous axis (K for plain A and transposed B, M/N otherwise) so the global reads coalesce.
            for (int r = 0; r < 4; r++)
            {
                int e = tid + 256 * r;
                int mm = ta ? e & 63 : e >> 4, ka = ta ? e >> 6 : e & 15;
                int gm = row0 + mm, gka = k0 + ka;
                sa[ka * Pad + mm] = gm < m && gka < k ? a[aBase + gm * sAm + gka * sAk] : 0f;

                int nn = tb ? e >> 4 : e & 63, kb = tb ? e & 15 : e >> 6;
                int gn = col0 + nn, gkb = k0 + kb;
                sb[kb * Pad + nn] = gn < n && gkb < k ? b[bBase + gkb * sBk + gn * sBn] : 0f;
            }
            Group.Barrier();

            for (int kk = 0; kk < Step; kk++)
            {
                int o = kk * Pad;
                float a0 = sa[o + ty], a1 = sa[o + ty + 16], a2 = sa[o + ty + 32], a3 = sa[o + ty + 48];
                float b0 = sb[o + tx], b1 = sb[o + tx + 16], b2 = sb[o + tx + 32], b3 = sb[o + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int r0 = row0 + ty, q0 = col0 + tx;
        StoreRow(c, bias, gamma, residual, batch, m, n, r0, q0, c00, c01, c02, c03, flags, alpha, beta);
        StoreRow(c, bias, gamma, residual, batch, m, n, r0 + 16, q0, c10, c11, c12, c13, flags, alpha, beta);
        StoreRow(c, bias, gamma, residual, batch, m, n, r0 + 32, q0, c20, c21, c22, c23, flags, alpha, beta);
        StoreRow(c, bias, gamma, residual, batch, m, n, r0 + 48, q0, c30, c31, c32, c33, flags, alpha, beta);
    }

    /// <summary>Stores one thread's four outputs of row <paramref name="row"/> (columns col, +16, +32, +48), masked.</summary>
    private static void StoreRow(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> gamma, ArrayView<float> residual, int batch, int m, int n, int row, int col,
        float v0, float v1, float v2, float v3, int flags, float alpha, float beta)
    {
        if (row >= m) return;
        long at = ((long)batch * m + row) * n + col;
        if (col < n) Store(c, bias, gamma, residual, at, col, v0, flags, alpha, beta);
        if (col + 16 < n) Store(c, bias, gamma, residual, at + 16, col + 16, v1, flags, alpha, beta);
        if (col + 32 < n) Store(c, bias, gamma, residual, at + 32, col + 32, v2, flags, alpha, beta);
        if (col + 48 < n) Store(c, bias, gamma, residual, at + 48, col + 48, v3, flags, alpha, beta);
    }

    /// <summary>The epilogue: alpha, beta·C (C is not read when beta is 0, so it may hold garbage), bias, then GELU or
    /// residual + gamma ⊙ v (the residual is read at the element it overwrites, so it may alias C).</summary>
    private static void Store(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> gamma, ArrayView<float> residual,
        long at, int col, float acc, int flags, float alpha, float beta)
    {
        float v = alpha * acc;
        if (beta != 0f) v += beta * c[at];
        if ((flags & HasBias) != 0) v += bias[col];
        if ((flags & Gelu) != 0) v = Activation.GeluValue(v);
        if ((flags & LayerScale) != 0) v = residual[at] + gamma[col] * v;
        c[at] = v;
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C + bias (torch.addmm / torch.matmul / torch.bmm). 2-D: A (M, K), B (K, N),
    /// C (M, N); batched: A (B, M, K), B (B, K, N) or a shared (K, N), C (B, M, N). <paramref name="transA"/> means A is
    /// stored (…, K, M), <paramref name="transB"/> that B is stored (…, N, K). <paramref name="bias"/> is (N), added
    /// after alpha and beta. C must not alias A or B. When beta is 0, C's old contents are ignored (NaN included).
    /// </summary>
    public static void Matmul(Tensor a, Tensor b, Tensor c, bool transA = false, bool transB = false, Tensor? bias = null,
        float alpha = 1f, float beta = 0f, OpVersion? version = null)
    {
        int ra = a.Shape.Rank, rb = b.Shape.Rank;
        if (ra is not (2 or 3))
            throw new ArgumentException($"matmul: a must be (M, K) or (B, M, K), got {a.Shape}", nameof(a));
        if (rb != 2 && !(rb == 3 && ra == 3))
            throw new ArgumentException($"matmul: b must be (K, N){(ra == 3 ? " or (B, K, N)" : "")} for a {a.Shape}, got {b.Shape}", nameof(b));
        int batch = ra == 3 ? a.Shape[0] : 1;
        int m = transA ? a.Shape[-1] : a.Shape[-2], k = transA ? a.Shape[-2] : a.Shape[-1];
        int kb = transB ? b.Shape[-1] : b.Shape[-2], n = transB ? b.Shape[-2] : b.Shape[-1];
        if (kb != k || (rb == 3 && b.Shape[0] != batch))
        {
            string want = (rb == 3 ? $"({batch}, " : "(") + (transB ? $"N, {k})" : $"{k}, N)");
            throw new ArgumentException($"matmul: b must be {want} to match a {a.Shape} (transA {transA}, transB {transB}), got {b.Shape}", nameof(b));
        }
        int[] cShape = ra == 3 ? [batch, m, n] : [m, n];
        c.Expect("matmul c", cShape);
        bias?.Expect("matmul bias", n);
        int flags = (transA ? TransA : 0) | (transB ? TransB : 0) | (rb == 2 && ra == 3 ? SharedB : 0);
        Run(a, b, c, bias, null, null, batch, m, n, k, flags, alpha, beta, version);
    }

    /// <summary>y(…, N) = x(…, K)·Wᵀ + bias with W (N, K) in nn.Linear layout and bias (N) or null (F.linear).</summary>
    public static void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y, OpVersion? version = null,
        Precision precision = Precision.Fp32) =>
        Linear(x, weight, bias, y, GemmEpilogue.None, version, precision);

    /// <summary>
    /// y(…, N) = epilogue(x(…, K)·Wᵀ + bias), W (N, K) in nn.Linear layout, bias (N) or null. With
    /// <see cref="GemmEpilogue.Gelu"/> it is F.gelu(F.linear(x, W, b)) in one pass (the ViT MLP's first half).
    /// <see cref="GemmEpilogue.LayerScaleResidual"/> needs gamma and the residual: call <see cref="LinearLayerScale"/>.
    /// <paramref name="precision"/>: how the operands are rounded (float32 accumulation); bf16/fp16 want the weight
    /// stored in that type (round it once when loading), fp32/tf32 an f32 weight; x stays f32 (rounded where read).
    /// </summary>
    public static void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y, GemmEpilogue epilogue, OpVersion? version = null,
        Precision precision = Precision.Fp32)
    {
        if (epilogue == GemmEpilogue.LayerScaleResidual)
            throw new ArgumentException("linear: the LayerScale + residual epilogue needs gamma and the residual: call Gemm.LinearLayerScale", nameof(epilogue));
        int rows = CheckLinear(x, weight, bias, y, precision, out int n, out int k);
        Run(x, weight, y, bias, null, null, 1, rows, n, k, TransB | (epilogue == GemmEpilogue.Gelu ? Gelu : 0), 1f, 0f, version, precision);
    }

    /// <summary>
    /// y(…, N) = residual + gamma ⊙ (x(…, K)·Wᵀ + bias): a ViT block's "x + ls(proj(h))" in one pass over the output
    /// (<see cref="GemmEpilogue.LayerScaleResidual"/>). gamma is (N); residual has y's shape and may be y itself
    /// (the residual stream updated in place).
    /// </summary>
    public static void LinearLayerScale(Tensor x, Tensor weight, Tensor? bias, Tensor gamma, Tensor residual, Tensor y,
        OpVersion? version = null, Precision precision = Precision.Fp32)
    {
        int rows = CheckLinear(x, weight, bias, y, precision, out int n, out int k);
        gamma.Expect("linear layer-scale gamma", n);
        residual.Expect("linear layer-scale residual", y.Shape.ToArray());
        Run(x, weight, y, bias, gamma, residual, 1, rows, n, k, TransB | LayerScale, 1f, 0f, version, precision);
    }

    private static int CheckLinear(Tensor x, Tensor weight, Tensor? bias, Tensor y, Precision precision, out int n, out int k)
    {
        if (x.DType != DType.Float32)
            throw new ArgumentException($"linear: x must be f32 (it is rounded to {precision.Name()} where it is read), got {x.DType.Name()}", nameof(x));
        if (weight.DType != precision.WeightType())
            throw new ArgumentException($"linear: {precision.Name()} wants a {precision.WeightType().Name()} weight, got {weight.DType.Name()}; "
                + "convert it once when loading (HalfConvert.FromFloat)", nameof(weight));
        if (x.Shape.Rank == 0 || weight.Shape.Rank != 2)
            throw new ArgumentException($"linear: x must be (…, K) and weight (N, K), got x {x.Shape}, weight {weight.Shape}");
        k = x.Shape[-1];
        n = weight.Shape[0];
        if (weight.Shape[1] != k)
            throw new ArgumentException($"linear: weight must be (N, {k}) to match x {x.Shape}, got {weight.Shape}", nameof(weight));
        var yShape = x.Shape.ToArray();
        yShape[^1] = n;
        y.Expect("linear y", yShape);
        bias?.Expect("linear bias", n);
        return k == 0 ? (int)(y.Length / Math.Max(n, 1)) : (int)(x.Length / k);
    }

    private static void Run(Tensor a, Tensor b, Tensor c, Tensor? bias, Tensor? gamma, Tensor? residual, int batch, int m,
        int n, int k, int flags, float alpha, float beta, OpVersion? version, Precision precision = Precision.Fp32)
    {
        if ((long)m * k > int.MaxValue || (long)k * n > int.MaxValue || (long)m * n > int.MaxValue)
            throw new ArgumentException($"matmul: one matrix of {m}×{k}·{k}×{n} exceeds 2³¹ elements (int offsets in the kernels)");
        if (bias is not null) flags |= HasBias;
        Op.Run(c.Device, new GemmArgs(a, b, c, bias, batch, m, n, k, flags, alpha, beta, gamma, residual, precision), version);
    }
}
