// GEMM v3, tensor cores: y(M, N) = epilogue(x(M, K)·Wᵀ + bias), W (N, K) in nn.Linear layout (both operands K-contiguous),
// float32 output. Operands: float32 rounded to tf32 (mma m16n8k8), or bf16 / fp16 storage (mma m16n8k16), float32
// accumulation. Epilogues: bias, exact GELU, LayerScale + residual (y = r + γ ⊙ (xWᵀ + b), timm's x + ls(proj(…))).
// PyTorch: F.linear(x, W, b) under torch.backends.cuda.matmul.allow_tf32 = True, or on x.bfloat16() / x.half() with
// float32 accumulation; then F.gelu / residual + gamma * y.
//
// v3 (this file): 256 threads = 8 warps per 128×128 block tile, warps 2 (M) × 4 (N), each warp a 64×32 tile = 4×4 mma
//     tiles of 16×8, 64 float accumulators per thread (hand-written scalars: ILGPU 1.5.3 does not unroll loops, and a
//     local array indexed by a loop variable would live in local memory). K advances 64 bytes per stage (16 tf32 or 32
//     halves); each stage is two k-substeps of one mma per tile (k8 tf32 / k16 half). Global → shared by cp.async.cg
//     (16 B per copy, 4 per thread per stage, zero-filled past M, N and K), two stages double-buffered: the copy of
//     stage s+1 is in flight while stage s is multiplied. Shared → registers by ldmatrix.x4 (4 for A, 2 for B per
//     substep per warp).
//
// Shared layout and bank arithmetic. A stage holds A (128 rows × 64 B) and B (128 rows × 64 B): 16 KB; two stages
// 32 KB (static, under the 48 KB without opt-in). A row is 64 B = 16 banks, so unswizzled rows r and r + 2 would sit on
// the same banks: 8 consecutive rows read by one ldmatrix phase (8 rows × 16 B) would hit banks 0-3 four times (4-way
// conflict). The 16-byte chunk c of row r is stored at chunk c ^ ((r >> 1) & 3): byte r·64 + 16·(c ^ ((r >> 1) & 3)),
// so its first bank is (16r + 4(c ^ ((r >> 1) & 3))) mod 32. Over rows r0..r0+7 (r0 ≡ 0 mod 8) the parity of r picks
// the half (banks 0-15 / 16-31) and (r >> 1) & 3 takes 0, 1, 2, 3, so the XOR sends the 8 rows' chunk c to 8 distinct
// 4-bank groups: conflict-free for every c. cp.async writes a quarter-warp (8 lanes = 2 rows × 4 chunks = 128 B)
// into a permutation of two full rows: also conflict-free.
//
// Napkin math (H100 SXM, perf.md §2: BF16 dense 989 TFLOP/s, TF32 495, mma.sync ceiling ≈ 63 %): per stage a block
// moves 16 KB from L2 for 2·128·128·32 = 1.05 MFLOP (bf16): 64 FLOP/B from L2, 8× fewer bytes per FLOP than v2. The
// EoMT-L fc1 (M 1800, N 4096, K 1024, 15.1 GFLOP) is 15 × 32 = 480 blocks ≈ 1.8 waves on 132 SMs (ptx-check, ptxas
// 11.8: 115 registers, 32 KB static shared, no spills or stack → 2 blocks = 16 warps per SM, register-bound). At 60 % of
// the mma.sync ceiling (~370 TFLOP/s bf16) it takes 41 µs;
// TF32 at half that rate 82 µs, against ~0.6 ms for v2. Two stages hide about one L2 latency per 16 KB stage; a third
// stage needs more than 48 KB and so dynamic shared memory with an opt-in ILGPU 1.5.3 does not offer.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NativeEngine.Tensors;
using static NativeEngine.Kernels.TensorCoreOps;

namespace NativeEngine.Kernels;

public static partial class Gemm
{
    // v3 flags: bits 0-1 operand kind (TensorCoreOps.Tf32/Bf16/Fp16), then the epilogue.
    private const int TcBias = 4, TcGelu = 8, TcLayerScale = 16;

    // v3 geometry: 128×128 block tile, 64-byte K stage, two stages of A and B (2048 words each).
    private const int TcTile = 128, StageBytes = 16384, BBytes = 8192, TcSharedWords = 2 * StageBytes / 4, StashRowBytes = 40 * 4;

    // The simulator's per-warp fragment stash: four 16×16 A tiles and four 16×8 B tiles, as floats.
    private const int TcStashPerWarp = 4 * 256 + 4 * 128;

    [Kernel("gemm", Version = "v3 mma.sync tensor cores (tf32/bf16/fp16), 128x128 tiles, 8 warps, ldmatrix, cp.async double buffer",
        GroupX = 256, TileX = TcTile, TileY = TcTile, ProblemRank = 2, SimulatorSharedBytes = 8 * TcStashPerWarp * 4)]
    internal static void MatmulV3(ArrayView<uint> a, ArrayView<uint> b, ulong aAddress, ulong bAddress, ArrayView<float> c,
        ArrayView<float> bias, ArrayView<float> gamma, ArrayView<float> residual, int m, int n, int k, int flags)
    {
        // Pipeline offsets are bytes past %tcs, the allocation rounded up to 16 B (cp.async and ldmatrix need 16-byte
        // alignment; ILGPU aligns shared arrays to their element size only); the simulator uses them as word indices × 4.
        var smem = SharedMemory.Allocate<uint>(TcSharedWords + 4);
        var scratch = SharedMemory.GetDynamic<float>();              // the simulator's fragment stash (0 bytes on CUDA)
        int ws = (Group.IdxX >> 5) * TcStashPerWarp;
        int tid = Group.IdxX, lane = tid & 31, warp = tid >> 5;
        int n0 = Grid.IdxX * TcTile, m0 = Grid.IdxY * TcTile;
        int kind = flags & 3, rowWords = kind == Tf32 ? k : k >> 1;  // K bytes / 4 (a multiple of 4)
        bool tf32 = kind == Tf32;
        int kTiles = (rowWords + 15) >> 4;
        int wmRow = (warp >> 2) * 64, bRow = (warp & 3) * 32;        // the warp's tile origin in the block tile (M, N)
        int q = lane >> 3, r = lane & 7;                              // ldmatrix: this lane supplies row r of matrix q

        // Accumulators: PTX registers %tcd0..63 on the GPU (no asm outputs, see gen_tc_ptx.py), these on the simulator.
        float d000 = 0f, d001 = 0f, d002 = 0f, d003 = 0f, d010 = 0f, d011 = 0f, d012 = 0f, d013 = 0f, d020 = 0f, d021 = 0f, d022 = 0f, d023 = 0f, d030 = 0f, d031 = 0f, d032 = 0f, d033 = 0f;
        float d100 = 0f, d101 = 0f, d102 = 0f, d103 = 0f, d110 = 0f, d111 = 0f, d112 = 0f, d113 = 0f, d120 = 0f, d121 = 0f, d122 = 0f, d123 = 0f, d130 = 0f, d131 = 0f, d132 = 0f, d133 = 0f;
        float d200 = 0f, d201 = 0f, d202 = 0f, d203 = 0f, d210 = 0f, d211 = 0f, d212 = 0f, d213 = 0f, d220 = 0f, d221 = 0f, d222 = 0f, d223 = 0f, d230 = 0f, d231 = 0f, d232 = 0f, d233 = 0f;
        float d300 = 0f, d301 = 0f, d302 = 0f, d303 = 0f, d310 = 0f, d311 = 0f, d312 = 0f, d313 = 0f, d320 = 0f, d321 = 0f, d322 = 0f, d323 = 0f, d330 = 0f, d331 = 0f, d332 = 0f, d333 = 0f;
        if (CudaAsm.IsSupported) TcDeclare();

        LoadStage(a, b, aAddress, bAddress, smem, 0, 0, m0, n0, m, n, rowWords, tid);
        CommitAsync();
        for (int kt = 0; kt < kTiles; kt++)
        {
            if (kt + 1 < kTiles)
            {
                LoadStage(a, b, aAddress, bAddress, smem, ((kt + 1) & 1) * StageBytes, kt + 1, m0, n0, m, n, rowWords, tid);
                CommitAsync();
                WaitAsync(true);
            }
            else WaitAsync(false);
            Group.Barrier(); // stage kt is in shared memory for every thread

            int stA = (kt & 1) * StageBytes, stB = stA + BBytes;
            for (int s = 0; s < 2; s++)
            {
                if (CudaAsm.IsSupported)
                {
                    TcLoadA0((uint)AOffset(stA, wmRow, s, q, r), tf32);
                    TcLoadA1((uint)AOffset(stA, wmRow + 16, s, q, r), tf32);
                    TcLoadA2((uint)AOffset(stA, wmRow + 32, s, q, r), tf32);
                    TcLoadA3((uint)AOffset(stA, wmRow + 48, s, q, r), tf32);
                    TcLoadB0((uint)BOffset(stB, bRow, s, q, r), tf32);
                    TcLoadB1((uint)BOffset(stB, bRow + 16, s, q, r), tf32);
                    if (kind == Bf16) TcMmaBf16();
                    else if (kind == Fp16) TcMmaFp16();
                    else TcMmaTf32();
                }
                else
                {
                    EmulatedLoadA(smem, stA, wmRow, s, lane, kind, out uint a00, out uint a01, out uint a02, out uint a03);
                    EmulatedLoadA(smem, stA, wmRow + 16, s, lane, kind, out uint a10, out uint a11, out uint a12, out uint a13);
                    EmulatedLoadA(smem, stA, wmRow + 32, s, lane, kind, out uint a20, out uint a21, out uint a22, out uint a23);
                    EmulatedLoadA(smem, stA, wmRow + 48, s, lane, kind, out uint a30, out uint a31, out uint a32, out uint a33);
                    EmulatedLoadB(smem, stB, bRow, s, lane, kind, out uint b00, out uint b01, out uint b10, out uint b11);
                    EmulatedLoadB(smem, stB, bRow + 16, s, lane, kind, out uint b20, out uint b21, out uint b30, out uint b31);
                        StashA(scratch, ws + 0, a00, a01, a02, a03, kind, lane);
                    StashA(scratch, ws + 256, a10, a11, a12, a13, kind, lane);
                    StashA(scratch, ws + 512, a20, a21, a22, a23, kind, lane);
                    StashA(scratch, ws + 768, a30, a31, a32, a33, kind, lane);
                    StashB(scratch, ws + 1024, b00, b01, kind, lane);
                    StashB(scratch, ws + 1152, b10, b11, kind, lane);
                    StashB(scratch, ws + 1280, b20, b21, kind, lane);
                    StashB(scratch, ws + 1408, b30, b31, kind, lane);
                    Warp.Barrier();
                    MmaFromStash(ref d000, ref d001, ref d002, ref d003, scratch, ws + 0, ws + 1024, kind, lane);
                    MmaFromStash(ref d010, ref d011, ref d012, ref d013, scratch, ws + 0, ws + 1152, kind, lane);
                    MmaFromStash(ref d020, ref d021, ref d022, ref d023, scratch, ws + 0, ws + 1280, kind, lane);
                    MmaFromStash(ref d030, ref d031, ref d032, ref d033, scratch, ws + 0, ws + 1408, kind, lane);
                    MmaFromStash(ref d100, ref d101, ref d102, ref d103, scratch, ws + 256, ws + 1024, kind, lane);
                    MmaFromStash(ref d110, ref d111, ref d112, ref d113, scratch, ws + 256, ws + 1152, kind, lane);
                    MmaFromStash(ref d120, ref d121, ref d122, ref d123, scratch, ws + 256, ws + 1280, kind, lane);
                    MmaFromStash(ref d130, ref d131, ref d132, ref d133, scratch, ws + 256, ws + 1408, kind, lane);
                    MmaFromStash(ref d200, ref d201, ref d202, ref d203, scratch, ws + 512, ws + 1024, kind, lane);
                    MmaFromStash(ref d210, ref d211, ref d212, ref d213, scratch, ws + 512, ws + 1152, kind, lane);
                    MmaFromStash(ref d220, ref d221, ref d222, ref d223, scratch, ws + 512, ws + 1280, kind, lane);
                    MmaFromStash(ref d230, ref d231, ref d232, ref d233, scratch, ws + 512, ws + 1408, kind, lane);
                    MmaFromStash(ref d300, ref d301, ref d302, ref d303, scratch, ws + 768, ws + 1024, kind, lane);
                    MmaFromStash(ref d310, ref d311, ref d312, ref d313, scratch, ws + 768, ws + 1152, kind, lane);
                    MmaFromStash(ref d320, ref d321, ref d322, ref d323, scratch, ws + 768, ws + 1280, kind, lane);
                    MmaFromStash(ref d330, ref d331, ref d332, ref d333, scratch, ws + 768, ws + 1408, kind, lane);
                    Warp.Barrier(); // the stash is rewritten by the next substep
                }
            }
            Group.Barrier(); // every warp is done with stage kt before the next iteration's copy overwrites it
        }

        // Epilogue through shared memory, one 16-row A tile at a time: each lane stashes its C fragments (c0 (g, 2t),
        // c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1) of the four 16×8 tiles) into the warp's 16 × 40-float staging rows,
        // then lane l writes column l of all 16 rows: 128-byte coalesced stores. Rows of 40 floats make the 8-byte stash
        // stores conflict-free: lanes g = 0..3 (one half-warp phase) start at words 40g + 2t ≡ 8g + 2t (mod 32), all 32 banks.
        int stash = warp * 16 * StashRowBytes, mine = stash + (lane >> 2) * StashRowBytes + 8 * (lane & 3);
        int col = n0 + bRow + lane;
        for (int i = 0; i < 4; i++)
        {
            int st = mine;
            if (CudaAsm.IsSupported)
            {
                if (i == 0) TcStash0((uint)st);
                else if (i == 1) TcStash1((uint)st);
                else if (i == 2) TcStash2((uint)st);
                else TcStash3((uint)st);
            }
            else
            {
                if (i == 0) { Stash2(smem, st + 0, d000, d001); Stash2(smem, st + 0 + 8 * StashRowBytes, d002, d003); Stash2(smem, st + 32, d010, d011); Stash2(smem, st + 32 + 8 * StashRowBytes, d012, d013); Stash2(smem, st + 64, d020, d021); Stash2(smem, st + 64 + 8 * StashRowBytes, d022, d023); Stash2(smem, st + 96, d030, d031); Stash2(smem, st + 96 + 8 * StashRowBytes, d032, d033); }
                else if (i == 1) { Stash2(smem, st + 0, d100, d101); Stash2(smem, st + 0 + 8 * StashRowBytes, d102, d103); Stash2(smem, st + 32, d110, d111); Stash2(smem, st + 32 + 8 * StashRowBytes, d112, d113); Stash2(smem, st + 64, d120, d121); Stash2(smem, st + 64 + 8 * StashRowBytes, d122, d123); Stash2(smem, st + 96, d130, d131); Stash2(smem, st + 96 + 8 * StashRowBytes, d132, d133); }
                else if (i == 2) { Stash2(smem, st + 0, d200, d201); Stash2(smem, st + 0 + 8 * StashRowBytes, d202, d203); Stash2(smem, st + 32, d210, d211); Stash2(smem, st + 32 + 8 * StashRowBytes, d212, d213); Stash2(smem, st + 64, d220, d221); Stash2(smem, st + 64 + 8 * StashRowBytes, d222, d223); Stash2(smem, st + 96, d230, d231); Stash2(smem, st + 96 + 8 * StashRowBytes, d232, d233); }
                else if (i == 3) { Stash2(smem, st + 0, d300, d301); Stash2(smem, st + 0 + 8 * StashRowBytes, d302, d303); Stash2(smem, st + 32, d310, d311); Stash2(smem, st + 32 + 8 * StashRowBytes, d312, d313); Stash2(smem, st + 64, d320, d321); Stash2(smem, st + 64 + 8 * StashRowBytes, d322, d323); Stash2(smem, st + 96, d330, d331); Stash2(smem, st + 96 + 8 * StashRowBytes, d332, d333); }
            }
            Warp.Barrier();
            int row0 = m0 + wmRow + 16 * i;
            if (col < n)
                for (int rr = 0; rr < 16 && row0 + rr < m; rr++)
                    StoreTc(c, bias, gamma, residual, (long)(row0 + rr) * n + col, col,
                        Interop.IntAsFloat(smem[(stash + rr * StashRowBytes + 4 * lane) >> 2]), flags);
            Warp.Barrier(); // the stash is rewritten by the next tile
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stash2(ArrayView<uint> smem, int at, float lo, float hi)
    {
        smem[at >> 2] = Interop.FloatAsInt(lo);
        smem[(at >> 2) + 1] = Interop.FloatAsInt(hi);
    }

    /// <summary>Byte offset of 16-byte chunk <paramref name="chunk"/> (0..3) of tile row <paramref name="row"/>: the XOR swizzle of the header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Swizzle(int row, int chunk) => row * 64 + ((chunk ^ ((row >> 1) & 3)) << 4);

    /// <summary>
    /// Copies k-tile <paramref name="kt"/> of A (rows m0..m0+127) and B (rows n0..n0+127) into the stage at byte
    /// <paramref name="stage"/>: thread t copies chunk t &amp; 3 of rows t &gt;&gt; 2 and 64 + (t &gt;&gt; 2) of each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadStage(ArrayView<uint> a, ArrayView<uint> b, ulong aAddress, ulong bAddress, ArrayView<uint> smem,
        int stage, int kt, int m0, int n0, int m, int n, int rowWords, int tid)
    {
        int chunk = tid & 3, kw = kt * 16 + chunk * 4;
        bool kOk = kw < rowWords;
        for (int h = 0; h < 2; h++)
        {
            int row = (tid >> 2) + 64 * h, dst = stage + Swizzle(row, chunk);
            int ga = m0 + row, gb = n0 + row;
            bool va = kOk && ga < m, vb = kOk && gb < n;
            long wa = va ? (long)ga * rowWords + kw : 0, wb = vb ? (long)gb * rowWords + kw : 0;
            CopyAsync16(dst, aAddress + (ulong)(wa * 4), va, smem, a, wa);
            CopyAsync16(dst + BBytes, bAddress + (ulong)(wb * 4), vb, smem, b, wb);
        }
    }

    /// <summary>
    /// Byte offset (from the aligned base) of the row lane (q, r) hands ldmatrix for the A tile at rows
    /// <paramref name="row0"/>.., k-substep <paramref name="s"/>: matrix q holds rows row0 + 8(q &amp; 1) + 0..7, chunk
    /// 2s + (q &gt;&gt; 1), so the four registers come out as a0..a3 of the table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AOffset(int stage, int row0, int s, int q, int r) => stage + Swizzle(row0 + 8 * (q & 1) + r, 2 * s + (q >> 1));

    /// <summary>
    /// The same for two B tiles (B rows = output columns row0..row0+15): matrix q holds rows row0 + 8(q &gt;&gt; 1) + 0..7,
    /// chunk 2s + (q &amp; 1), so the registers come out as (b0, b1) of the first tile, then of the second.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BOffset(int stage, int row0, int s, int q, int r) => stage + Swizzle(row0 + 8 * (q >> 1) + r, 2 * s + (q & 1));

    /// <summary>The simulator's ldmatrix of an A tile: row L &gt;&gt; 2 of matrix q is the row lane 8q + (L &gt;&gt; 2) supplies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EmulatedLoadA(ArrayView<uint> smem, int stage, int row0, int s, int lane, int kind,
        out uint a0, out uint a1, out uint a2, out uint a3)
    {
        int g = lane >> 2;
        LdMatrixX4Emulated(smem, (AOffset(stage, row0, s, 0, g)) >> 2, (AOffset(stage, row0, s, 1, g)) >> 2,
            (AOffset(stage, row0, s, 2, g)) >> 2, (AOffset(stage, row0, s, 3, g)) >> 2,
            lane, out uint x0, out uint x1, out uint x2, out uint x3);
        a0 = RoundOperand(x0, kind); a1 = RoundOperand(x1, kind); a2 = RoundOperand(x2, kind); a3 = RoundOperand(x3, kind);
    }

    /// <summary>The simulator's ldmatrix of two B tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EmulatedLoadB(ArrayView<uint> smem, int stage, int row0, int s, int lane, int kind,
        out uint b0, out uint b1, out uint c0, out uint c1)
    {
        int g = lane >> 2;
        LdMatrixX4Emulated(smem, (BOffset(stage, row0, s, 0, g)) >> 2, (BOffset(stage, row0, s, 1, g)) >> 2,
            (BOffset(stage, row0, s, 2, g)) >> 2, (BOffset(stage, row0, s, 3, g)) >> 2,
            lane, out uint x0, out uint x1, out uint x2, out uint x3);
        b0 = RoundOperand(x0, kind); b1 = RoundOperand(x1, kind); c0 = RoundOperand(x2, kind); c1 = RoundOperand(x3, kind);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTc(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> gamma, ArrayView<float> residual,
        long at, int col, float v, int flags)
    {
        if ((flags & TcBias) != 0) v += bias[col];
        if ((flags & TcGelu) != 0) v = Activation.GeluValue(v);
        if ((flags & TcLayerScale) != 0) v = residual[at] + gamma[col] * v;
        c[at] = v;
    }

    /// <summary>
    /// gemm v3 as a version of the gemm op: y = epilogue(x·Wᵀ + bias) for the tf32, bf16 and fp16 precisions. W (N, K)
    /// is stored in the precision's type (f32 for tf32, which the kernel rounds with cvt.rna); an f32 x is converted to
    /// bf16/fp16 into a kept scratch buffer first (to_half, round to nearest even: what the host version's packing does).
    /// </summary>
    private static OpVersion<GemmArgs> MmaVersion() =>
        new("gemm", "mma", VersionKind.TensorCore,
            "mma.sync on tf32/bf16/fp16 operands, float32 accumulation, 128x128 tiles, 8 warps, ldmatrix, cp.async double buffer",
            ["Gemm.MatmulV3"], LaunchMma, MmaWhyNot);

    private static string? MmaWhyNot(Runtime.ComputeDevice _, GemmArgs g)
    {
        var t = g.Precision.WeightType();
        if (g.Precision == Precision.Fp32) return "it rounds operands to tf32/bf16/fp16 and the call asks for fp32";
        if ((g.Flags & (TransA | SharedB)) != 0 || (g.Flags & TransB) == 0 || g.Batch != 1 || g.Alpha != 1f || g.Beta != 0f)
            return "it computes y = x·Wᵀ (nn.Linear layout, no batch, alpha 1, beta 0) only";
        if (g.B.DType != t) return $"{g.Precision.Name()} needs a {t.Name()} weight, got {g.B.DType.Name()}";
        if (g.A.DType != DType.Float32 && g.A.DType != t) return $"x must be f32 or {t.Name()}, got {g.A.DType.Name()}";
        if (g.K * t.SizeOf() % 16 != 0) return $"K = {g.K} {t.Name()} values is not a whole number of 16-byte cp.async chunks (K must be a multiple of {16 / t.SizeOf()})";
        return null;
    }

    private static void LaunchMma(GemmArgs g)
    {
        if (g.M == 0 || g.N == 0) return;
        var t = g.Precision.WeightType();
        Tensor? converted = null;
        if (g.A.DType != t)
        {
            converted = g.C.Device.Scratch.Get("gemm.mma.x16", g.A.Shape, t); // kept: no allocation per call
            HalfConvert.FromFloat(g.A, converted);
        }
        var xs = (converted ?? g.A).Cast<uint>();
        var ws = g.B.Cast<uint>();
        int flags = (g.Precision == Precision.Bf16 ? Bf16 : g.Precision == Precision.Fp16 ? Fp16 : Tf32)
            | ((g.Flags & HasBias) != 0 ? TcBias : 0) | ((g.Flags & Gelu) != 0 ? TcGelu : 0) | ((g.Flags & LayerScale) != 0 ? TcLayerScale : 0);
        LaunchMatmulV3(g.C.Device, new Index2D(g.N, g.M), xs, ws, Address(g.C.Device, xs), Address(g.C.Device, ws), g.C.View,
            BiasView(g), GammaView(g), ResidualView(g), g.M, g.N, g.K, flags);
    }

    /// <summary>The device address of a view (cp.async takes raw global addresses); 0 on the simulator, which never uses it.</summary>
    internal static ulong Address(Runtime.ComputeDevice device, ArrayView<uint> view) =>
        view.Length == 0 || device.Kind != Runtime.DeviceKind.Cuda ? 0UL : (ulong)view.LoadEffectiveAddressAsPtr().ToInt64();
}
