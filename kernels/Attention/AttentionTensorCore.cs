// Attention v3, FlashAttention-2 on tensor cores: out = softmax(q·kᵀ/√D (+ mask))·v per head over a fused bf16/fp16 qkv
// (B, N, 3C), head dim D = 64 (every EoMT variant), float32 output (B, N, C). The masked variant reads a per-query
// patch bitmask (B, Q, ⌈P/32⌉ words, P = N − firstPatch): query rows i < Q see patch key j ≥ firstPatch only where bit
// j − firstPatch is set (EoMT's masked attention, eomt.md §2.2, with no N×N byte mask); masked keys score −1e9 as in HF.
// PyTorch: F.scaled_dot_product_attention(q, k, v, attn_mask) on q/k/v.bfloat16() (or .half()), float32 softmax.
//
// v3 (this file): 128 threads = 4 warps per block, 64 query rows per block (16 per warp), 64-key tiles.
//   Q (64×64) is copied once and lives in registers as mma A fragments (16 regs). Per key tile: S = Q·Kᵀ by 32
//   mma.m16n8k16 (K fragments by ldmatrix.x4 from K rows, d contiguous = the "col" B layout); the online softmax runs on
//   the S accumulators in registers (log2 domain: p = 2^(s·log2e/√D − m), row max by two quad shuffles, the row sum
//   kept per lane and reduced once at the end); P is packed to bf16/fp16 straight from the S registers as the A
//   fragments of P·V (the C layout of two adjacent 16×8 tiles is the A layout of one 16×16 tile, FA2's register reuse);
//   O += P·V by 32 mma with V fragments from ldmatrix.x4.trans. K and V tiles are double-buffered by cp.async: tile
//   kt+1 is in flight while tile kt is multiplied.
//   Shared: Q 8 KB + 2 stages × (K 8 KB + V 8 KB) = 40 KB static. Rows are 128 bytes (64 halves, 8 chunks of 16 B):
//   chunk c of row r is stored at chunk c ^ (r & 7), so the 8 rows one ldmatrix phase reads (same logical chunk,
//   consecutive rows) sit in 8 different 16-byte bank groups: conflict-free, trans or not.
//   The simulator runs the same kernel with every fragment register of the warp held in a per-warp register file in
//   (simulator-only) dynamic shared memory: each emulated mma reads its operands from the lanes and registers the PTX
//   ISA tables give (kernels/Gemm/TensorCoreOps.cs), so the data movement and fragment mapping are checked exactly.
//
// Napkin math, EoMT-L at 1024 (N = 4201, 16 heads, D = 64), one layer: 4·N²·C = 72.3 GFLOP. Per block and key tile
//   16 KB from L2 for 2·2·64·64·64 = 1 MFLOP (64 FLOP/B). 66 query tiles × 16 heads = 1056 blocks, 2.7 waves on 132
//   SMs at 3 blocks per SM (ptx-check, ptxas 11.8: 147 registers, 40 KB static shared, no spills or stack; register-
//   bound, 12 warps per SM; loading each K/V pair right before its two mma, rather than all four first, took it from
//   192 registers and 2 blocks). At FA2's ~320 TFLOP/s it is 0.23 ms per layer against ≥ 1.1 ms for any FP32 kernel (v2).
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NativeEngine.Tensors;
using static NativeEngine.Kernels.TensorCoreOps;

namespace NativeEngine.Kernels;

public static partial class Attention
{
    /// <summary>The head dim attention v3 is built for.</summary>
    public const int TensorCoreHeadDim = 64;

    // v3 geometry (bytes past the aligned shared base): Q tile, then two stages of K and V tiles.
    private const int FaRows = 64, FaKeys = 64, FaStage = 16384, FaV = 8192, FaQBytes = 8192, FaSharedWords = (FaQBytes + 2 * FaStage) / 4;
    private const int FaMasked = 4, FaStashRowBytes = 72 * 4;

    // The simulator's register file: Q 0..15, S 16..47, O 48..79, P 80..95, K/V 96..111, 32 lanes each.
    private const int RQ = 0, RS = 16, RO = 48, RP = 80, RK = 96, RegsPerWarp = 112;

    [Kernel("attention", Version = "v3 flash-attention-2 on mma.sync (bf16/fp16), 64 query rows x 4 warps, cp.async double-buffered K/V",
        GroupX = 128, TileX = FaRows, TileY = 1, ProblemRank = 2, SimulatorSharedBytes = 4 * RegsPerWarp * 32 * 4)]
    internal static void ForwardV3(ArrayView<uint> qkv, ulong qkvAddress, ArrayView<float> output, ArrayView<uint> bits,
        int n, int heads, int queries, int firstPatch, int words, int flags, float scaleLog2e)
    {
        var smem = SharedMemory.Allocate<uint>(FaSharedWords + 4);   // +4 words: room to align the PTX base to 16 B
        var rf = SharedMemory.GetDynamic<uint>();                      // the simulator's register file (0 bytes on CUDA)
        int tid = Group.IdxX, lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
        int q0 = Grid.IdxX * FaRows, bh = Grid.IdxY, h = bh % heads, b = bh / heads;
        int c = heads * TensorCoreHeadDim, rowWords = 3 * c / 2;       // one token's qkv row, in 32-bit words
        long tokenBase = (long)b * n;
        int kind = flags & 3, wrf = warp * RegsPerWarp * 32;
        bool masked = (flags & FaMasked) != 0;
        int q = lane >> 3, r = lane & 7;                               // ldmatrix: this lane supplies row r of matrix q

        if (CudaAsm.IsSupported) FaDeclare();
        float m0 = float.NegativeInfinity, m1 = m0, l0 = 0f, l1 = 0f; // the simulator's row max / sum (rows g, g + 8)
        if (!CudaAsm.IsSupported)
            for (int i = 0; i < 32; i++) rf[wrf + (RO + i) * 32 + lane] = 0u;

        // Q tile, then K/V tile 0, as one cp.async group.
        for (int i = 0; i < 4; i++)
        {
            int idx = tid + 128 * i, row = idx >> 3, chunk = idx & 7, tok = q0 + row;
            bool ok = tok < n;
            long word = ok ? (tokenBase + tok) * rowWords + h * 32 + chunk * 4 : 0;
            CopyAsync16(FaSwizzle(row, chunk), qkvAddress + (ulong)(word * 4), ok, smem, qkv, word);
        }
        int tiles = (n + FaKeys - 1) / FaKeys;
        LoadKv(qkv, qkvAddress, smem, FaQBytes, 0, n, tokenBase, rowWords, c, h, tid);
        CommitAsync();

        for (int kt = 0; kt < tiles; kt++)
        {
            if (kt + 1 < tiles)
            {
                LoadKv(qkv, qkvAddress, smem, FaQBytes + ((kt + 1) & 1) * FaStage, (kt + 1) * FaKeys, n, tokenBase, rowWords, c, h, tid);
                CommitAsync();
                WaitAsync(true);
            }
            else WaitAsync(false);
            Group.Barrier(); // tile kt (and at kt = 0 the Q tile) is in shared memory

            int sk = FaQBytes + (kt & 1) * FaStage, sv = sk + FaV, k0 = kt * FaKeys;
            // Per-lane key masks for the 16 scores of each row this lane holds (bit e: key k0 + 8(e >> 1) + 2t + (e & 1)).
            int row0 = q0 + warp * 16 + g;
            uint keep = 0, allow0 = 0, allow1 = 0;
            for (int e = 0; e < 16; e++)
            {
                int key = k0 + 8 * (e >> 1) + 2 * t + (e & 1);
                if (key < n) keep |= 1u << e;
                if (Allowed(bits, masked, b, row0, key, n, queries, firstPatch, words)) allow0 |= 1u << e;
                if (Allowed(bits, masked, b, row0 + 8, key, n, queries, firstPatch, words)) allow1 |= 1u << e;
            }

            if (CudaAsm.IsSupported)
            {
                if (kt == 0)
                    FaLoadQ((uint)((16 * warp + 8 * (q & 1) + r) * 128), Chunk(0, q >> 1, r), Chunk(1, q >> 1, r), Chunk(2, q >> 1, r), Chunk(3, q >> 1, r));
                uint kRow = (uint)(sk + (8 * (q >> 1) + r) * 128), vRow = (uint)(sv + (8 * (q & 1) + r) * 128);
                if (kind == Bf16)
                {
                    FaScoresBf16(kRow, Chunk(0, q & 1, r), Chunk(1, q & 1, r), Chunk(2, q & 1, r), Chunk(3, q & 1, r));
                    FaSoftmaxBf16(keep, allow0, keep, allow1, scaleLog2e);
                    FaValuesBf16(vRow, Chunk(0, q >> 1, r), Chunk(1, q >> 1, r), Chunk(2, q >> 1, r), Chunk(3, q >> 1, r));
                }
                else
                {
                    FaScoresFp16(kRow, Chunk(0, q & 1, r), Chunk(1, q & 1, r), Chunk(2, q & 1, r), Chunk(3, q & 1, r));
                    FaSoftmaxFp16(keep, allow0, keep, allow1, scaleLog2e);
                    FaValuesFp16(vRow, Chunk(0, q >> 1, r), Chunk(1, q >> 1, r), Chunk(2, q >> 1, r), Chunk(3, q >> 1, r));
                }
            }
            else
            {
                if (kt == 0)
                    for (int kk = 0; kk < 4; kk++) // rows 16w + 8(q' & 1) + g of matrix q', chunk 2kk + (q' >> 1)
                        for (int qq = 0; qq < 4; qq++)
                            rf[wrf + (RQ + 4 * kk + qq) * 32 + lane] = smem[(FaSwizzle(16 * warp + 8 * (qq & 1) + g, 2 * kk + (qq >> 1)) >> 2) + t];
                EmulatedScores(rf, smem, wrf, sk, kind, lane);
                EmulatedSoftmax(rf, wrf, lane, keep, allow0, allow1, scaleLog2e, kind, ref m0, ref l0, ref m1, ref l1);
                EmulatedValues(rf, smem, wrf, sv, kind, lane);
            }
            Group.Barrier(); // every warp is done with tile kt before the copy of tile kt + 2 overwrites its stage
        }

        // O / l into the warp's 16 staging rows (72 floats each), then lane l writes columns l and l + 32 of each row.
        int stash = warp * 16 * FaStashRowBytes, mine = stash + g * FaStashRowBytes + 8 * t;
        if (CudaAsm.IsSupported) FaFinish((uint)mine);
        else
        {
            l0 += Warp.ShuffleXor(l0, 1); l0 += Warp.ShuffleXor(l0, 2);
            l1 += Warp.ShuffleXor(l1, 1); l1 += Warp.ShuffleXor(l1, 2);
            for (int j = 0; j < 8; j++)
                for (int e = 0; e < 4; e++)
                {
                    float v = Interop.IntAsFloat(rf[wrf + (RO + 4 * j + e) * 32 + lane]) * (1f / (e < 2 ? l0 : l1));
                    smem[(mine + 32 * j + 4 * (e & 1) + 8 * FaStashRowBytes * (e >> 1)) >> 2] = Interop.FloatAsInt(v);
                }
        }
        Warp.Barrier();
        for (int rr = 0; rr < 16; rr++)
        {
            int tok = q0 + warp * 16 + rr;
            if (tok >= n) break;
            long o = (tokenBase + tok) * c + h * TensorCoreHeadDim + lane;
            int s0 = (stash + rr * FaStashRowBytes) >> 2;
            output[o] = Interop.IntAsFloat(smem[s0 + lane]);
            output[o + 32] = Interop.IntAsFloat(smem[s0 + lane + 32]);
        }
    }

    /// <summary>Byte offset of 16-byte chunk <paramref name="chunk"/> (0..7) of 128-byte row <paramref name="row"/> (XOR swizzle, header).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FaSwizzle(int row, int chunk) => row * 128 + ((chunk ^ (row & 7)) << 4);

    /// <summary>The swizzled byte offset, within its row, of chunk 2·step + <paramref name="half"/> for a lane supplying row r (≡ r mod 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Chunk(int step, int half, int r) => (uint)(((2 * step + half) ^ r) << 4);

    /// <summary>Copies K and V rows k0..k0+63 of head h into the stage at byte <paramref name="stage"/> (4 + 4 chunks per thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadKv(ArrayView<uint> qkv, ulong qkvAddress, ArrayView<uint> smem, int stage, int k0, int n,
        long tokenBase, int rowWords, int c, int h, int tid)
    {
        for (int i = 0; i < 4; i++)
        {
            int idx = tid + 128 * i, row = idx >> 3, chunk = idx & 7, tok = k0 + row, dst = stage + FaSwizzle(row, chunk);
            bool ok = tok < n;
            long kw = ok ? (tokenBase + tok) * rowWords + c / 2 + h * 32 + chunk * 4 : 0, vw = ok ? kw + c / 2 : 0;
            CopyAsync16(dst, qkvAddress + (ulong)(kw * 4), ok, smem, qkv, kw);
            CopyAsync16(dst + FaV, qkvAddress + (ulong)(vw * 4), ok, smem, qkv, vw);
        }
    }

    /// <summary>True when query <paramref name="row"/> may attend key <paramref name="key"/>: always, except query rows &lt; Q
    /// against patch keys, where the bitmask decides (padding keys ≥ N are dropped by the keep bits instead).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Allowed(ArrayView<uint> bits, bool masked, int b, int row, int key, int n, int queries, int firstPatch, int words)
    {
        if (!masked || row >= queries || key < firstPatch || key >= n) return true;
        int p = key - firstPatch;
        return ((bits[((long)b * queries + row) * words + (p >> 5)] >> (p & 31)) & 1u) != 0;
    }

    // ---- The simulator's path: fragments in the per-warp register file rf[wrf + reg·32 + lane]. ----

    /// <summary>S = Q·Kᵀ: per d-step, four ldmatrix.x4 of K (rows 16p + 8(q &gt;&gt; 1) + 0..7, chunk 2kk + (q &amp; 1)) and 8 mma.</summary>
    private static void EmulatedScores(ArrayView<uint> rf, ArrayView<uint> smem, int wrf, int sk, int kind, int lane)
    {
        int g = lane >> 2, t = lane & 3;
        for (int i = 0; i < 32; i++) rf[wrf + (RS + i) * 32 + lane] = 0u;
        for (int kk = 0; kk < 4; kk++)
        {
            for (int p = 0; p < 4; p++)
                for (int qq = 0; qq < 4; qq++)
                    rf[wrf + (RK + 4 * p + qq) * 32 + lane] = smem[((sk + FaSwizzle(16 * p + 8 * (qq >> 1) + g, 2 * kk + (qq & 1))) >> 2) + t];
            Warp.Barrier();
            for (int j = 0; j < 8; j++) EmulatedMma(rf, wrf, RS + 4 * j, RQ + 4 * kk, RK + 4 * (j >> 1) + 2 * (j & 1), kind, lane);
            Warp.Barrier();
        }
    }

    /// <summary>O += P·V: per key step, four ldmatrix.x4.trans of V (rows 16kk + 8(q &amp; 1) + 0..7, chunk 2p + (q &gt;&gt; 1)) and 8 mma.</summary>
    private static void EmulatedValues(ArrayView<uint> rf, ArrayView<uint> smem, int wrf, int sv, int kind, int lane)
    {
        int col = lane >> 2, k = 2 * (lane & 3);
        for (int kk = 0; kk < 4; kk++)
        {
            for (int p = 0; p < 4; p++)
                for (int qq = 0; qq < 4; qq++)
                {
                    // Transposed: rows k and k + 1 of the matrix (keys 16kk + 8(qq & 1) + k, +1), element col of its chunk.
                    int key = 16 * kk + 8 * (qq & 1) + k, chunk = 2 * p + (qq >> 1);
                    uint lo = smem[((sv + FaSwizzle(key, chunk)) >> 2) + (col >> 1)], hi = smem[((sv + FaSwizzle(key + 1, chunk)) >> 2) + (col >> 1)];
                    uint a = (col & 1) == 0 ? lo & 0xFFFFu : lo >> 16, bb = (col & 1) == 0 ? hi & 0xFFFFu : hi >> 16;
                    rf[wrf + (RK + 4 * p + qq) * 32 + lane] = a | (bb << 16);
                }
            Warp.Barrier(); // also publishes this tile's P registers
            for (int j = 0; j < 8; j++) EmulatedMma(rf, wrf, RO + 4 * j, RP + 4 * kk, RK + 4 * (j >> 1) + 2 * (j & 1), kind, lane);
            Warp.Barrier();
        }
    }

    /// <summary>
    /// mma.m16n8k16 on the register file: lane (g, t) reads A(row, k) from lane 4·row' + (k &amp; 7)/2, register
    /// a + (k ≥ 8 ? 2 : 0) + (row ≥ 8 ? 1 : 0), half k &amp; 1, and B(k, n) from lane 4n + (k &amp; 7)/2, register
    /// b + (k ≥ 8 ? 1 : 0), half k &amp; 1 (the PTX ISA tables), and updates its own D registers d..d+3.
    /// </summary>
    private static void EmulatedMma(ArrayView<uint> rf, int wrf, int d, int a, int bReg, int kind, int lane)
    {
        int g = lane >> 2, n0 = 2 * (lane & 3);
        float s0 = Interop.IntAsFloat(rf[wrf + d * 32 + lane]), s1 = Interop.IntAsFloat(rf[wrf + (d + 1) * 32 + lane]);
        float s2 = Interop.IntAsFloat(rf[wrf + (d + 2) * 32 + lane]), s3 = Interop.IntAsFloat(rf[wrf + (d + 3) * 32 + lane]);
        for (int k = 0; k < 16; k++)
        {
            int owner = (k & 7) >> 1, hi = k >= 8 ? 1 : 0;
            bool high = (k & 1) != 0;
            float x0 = Widen(rf[wrf + (a + 2 * hi) * 32 + 4 * g + owner], kind, high);
            float x1 = Widen(rf[wrf + (a + 2 * hi + 1) * 32 + 4 * g + owner], kind, high);
            float y0 = Widen(rf[wrf + (bReg + hi) * 32 + 4 * n0 + owner], kind, high);
            float y1 = Widen(rf[wrf + (bReg + hi) * 32 + 4 * (n0 + 1) + owner], kind, high);
            s0 += x0 * y0; s1 += x0 * y1; s2 += x1 * y0; s3 += x1 * y1;
        }
        rf[wrf + d * 32 + lane] = Interop.FloatAsInt(s0); rf[wrf + (d + 1) * 32 + lane] = Interop.FloatAsInt(s1);
        rf[wrf + (d + 2) * 32 + lane] = Interop.FloatAsInt(s2); rf[wrf + (d + 3) * 32 + lane] = Interop.FloatAsInt(s3);
    }

    /// <summary>The online softmax of one tile on this lane's S registers (as FaSoftmax*): P packed into the P registers, O rescaled.</summary>
    private static void EmulatedSoftmax(ArrayView<uint> rf, int wrf, int lane, uint keep, uint allow0, uint allow1, float scaleLog2e,
        int kind, ref float m0, ref float l0, ref float m1, ref float l1)
    {
        for (int row = 0; row < 2; row++)
        {
            uint allow = row == 0 ? allow0 : allow1;
            float mx = float.NegativeInfinity;
            for (int e = 0; e < 16; e++)
            {
                int reg = RS + 4 * (e >> 1) + 2 * row + (e & 1);
                float s = Interop.IntAsFloat(rf[wrf + reg * 32 + lane]) * scaleLog2e;
                if ((allow & (1u << e)) == 0) s = MaskedScore * 1.44269504f;
                if ((keep & (1u << e)) == 0) s = float.NegativeInfinity;
                rf[wrf + reg * 32 + lane] = Interop.FloatAsInt(s);
                mx = XMath.Max(mx, s);
            }
            mx = XMath.Max(mx, Warp.ShuffleXor(mx, 1));
            mx = XMath.Max(mx, Warp.ShuffleXor(mx, 2));
            float old = row == 0 ? m0 : m1;
            mx = XMath.Max(mx, old);
            float corr = XMath.Exp2(old - mx), sum = 0f;
            for (int e = 0; e < 16; e++)
            {
                int reg = RS + 4 * (e >> 1) + 2 * row + (e & 1);
                float p = XMath.Exp2(Interop.IntAsFloat(rf[wrf + reg * 32 + lane]) - mx);
                rf[wrf + reg * 32 + lane] = Interop.FloatAsInt(p);
                sum += p;
            }
            for (int j = 0; j < 8; j++)
                for (int e = 0; e < 2; e++)
                {
                    int o = wrf + (RO + 4 * j + 2 * row + e) * 32 + lane;
                    rf[o] = Interop.FloatAsInt(Interop.IntAsFloat(rf[o]) * corr);
                }
            if (row == 0) { m0 = mx; l0 = l0 * corr + sum; }
            else { m1 = mx; l1 = l1 * corr + sum; }
        }
        // P fragments: key step kk = S tiles 2kk, 2kk + 1; a0 row g of tile 2kk, a1 row g + 8, a2/a3 the same of 2kk + 1.
        for (int kk = 0; kk < 4; kk++)
            for (int i = 0; i < 4; i++)
            {
                int lo = RS + 4 * (2 * kk + (i >> 1)) + 2 * (i & 1);
                float x = Interop.IntAsFloat(rf[wrf + lo * 32 + lane]), y = Interop.IntAsFloat(rf[wrf + (lo + 1) * 32 + lane]);
                uint px = kind == Bf16 ? FloatToBf16(x) : FloatToHalf(x), py = kind == Bf16 ? FloatToBf16(y) : FloatToHalf(y);
                rf[wrf + (RP + 4 * kk + i) * 32 + lane] = px | (py << 16);
            }
    }

    /// <summary>
    /// attention v3 as a version of the attention op: bf16/fp16, head dim 64, unmasked (the byte mask is not read; masked
    /// attention is attention_patch_masked's bits-mma). An f32 qkv is converted into a pooled 16-bit temporary first.
    /// </summary>
    private static OpVersion<AttentionArgs> FlashMma() =>
        new("attention", "flash-mma", VersionKind.TensorCore,
            "flash-attention-2 on mma.sync (bf16/fp16), 64 query rows x 4 warps, cp.async double-buffered K/V", ["Attention.ForwardV3"],
            a => LaunchFlash(a.Qkv, a.Output, null, a.B, a.N, a.Heads, 0, 0, a.Precision),
            (_, a) => a.Allowed is not null ? "it reads no byte mask (EoMT's masked attention runs as attention_patch_masked/bits-mma)"
                : FlashWhyNot(a.Qkv, a.D, a.Precision));

    /// <summary>
    /// EoMT's masked attention on v3: the grid logits → a (B, Q, ⌈P/32⌉) bitmask (attention_bits) in a kept
    /// scratch buffer, then v3 reading it (no N×N bytes).
    /// </summary>
    private static OpVersion<PatchMaskedArgs> BitsMma() =>
        new("attention_patch_masked", "bits-mma", VersionKind.TensorCore,
            "the per-query patch bitmask (attention_bits), then flash-attention-2 on mma.sync reading it (bf16/fp16)",
            ["Attention.QueryPatchBitsV1", "Attention.ForwardV3"],
            a =>
            {
                int b = a.Qkv.Shape[0], n = a.Qkv.Shape[1], queries = a.GridLogits.Shape[1];
                var bits = a.Qkv.Device.Scratch.Get("attention_patch_masked.bits", new Shape(b, queries, (n - a.FirstPatch + 31) / 32), DType.Int32); // kept
                QueryPatchBits(a.GridLogits, bits);
                LaunchFlash(a.Qkv, a.Output, bits, b, n, a.Heads, queries, a.FirstPatch, a.Precision);
            },
            (_, a) => FlashWhyNot(a.Qkv, a.Qkv.Shape[2] / 3 / a.Heads, a.Precision));

    private static string? FlashWhyNot(Tensor qkv, int d, Precision precision) =>
        !precision.IsHalf() ? $"it computes on bf16/fp16 operands and the call asks for {precision.Name()}"
        : d != TensorCoreHeadDim ? $"head dim must be {TensorCoreHeadDim}, got {d}"
        : qkv.DType != DType.Float32 && qkv.DType != precision.WeightType() ? $"qkv must be f32 or {precision.WeightType().Name()}, got {qkv.DType.Name()}"
        : null;

    /// <summary>Launches v3 on qkv (converted to the precision's 16-bit type when f32) with an optional bitmask.</summary>
    private static void LaunchFlash(Tensor qkv, Tensor output, Tensor? bits, int b, int n, int heads, int queries, int firstPatch,
        Precision precision)
    {
        if (b * n == 0) return;
        var t = precision.WeightType();
        Tensor? converted = null;
        if (qkv.DType != t)
        {
            converted = qkv.Device.Scratch.Get("attention.flash-mma.qkv16", qkv.Shape, t); // kept: no allocation per call
            HalfConvert.FromFloat(qkv, converted);
        }
        int flags = (t == DType.BFloat16 ? Bf16 : Fp16) | (bits is null ? 0 : FaMasked);
        var view = (converted ?? qkv).Cast<uint>();
        var bitsView = bits?.Cast<uint>() ?? view; // never read when unmasked
        float scaleLog2e = 1.44269504f / MathF.Sqrt(TensorCoreHeadDim);
        int words = bits is null ? 0 : bits.Shape[2];
        LaunchForwardV3(qkv.Device, new Index2D(n, b * heads), view, Gemm.Address(qkv.Device, view), output.View, bitsView,
            n, heads, queries, firstPatch, words, flags, scaleLog2e);
    }

    [Kernel("attention_bits", Version = "v1 one thread per 32-bit word")]
    internal static void QueryPatchBitsV1(Index1D i, ArrayView<float> gridLogits, ArrayView<uint> bits, int patches, int words)
    {
        int w = i % words, row = i / words;           // row = b·Q + query
        uint v = 0;
        for (int k = 0; k < 32; k++)
        {
            int p = w * 32 + k;
            if (p < patches && gridLogits[(long)row * patches + p] > 0f) v |= 1u << k;
        }
        bits[i] = v;
    }

    /// <summary>
    /// EoMT's masked-attention mask as bits for attention v3 (attention_patch_masked/bits-mma): <paramref name="bits"/> (B, Q,
    /// ⌈P/32⌉) i32, bit p of query i set where gridLogits[b, i, p] &gt; 0; <paramref name="gridLogits"/> is (B, Q, G, G) or
    /// (B, Q, P). The byte-mask equivalent is <see cref="QueryPatchMask"/>.
    /// </summary>
    public static void QueryPatchBits(Tensor gridLogits, Tensor bits)
    {
        if (gridLogits.Shape.Rank < 3 || bits.DType != DType.Int32 || bits.Shape.Rank != 3)
            throw new ArgumentException($"attention bits: gridLogits must be (B, Q, G, G) and bits i32 (B, Q, words), got {gridLogits.Shape} and {bits.Shape} {bits.DType.Name()}");
        int b = gridLogits.Shape[0], q = gridLogits.Shape[1];
        int patches = (int)(gridLogits.Length / Math.Max(1, (long)b * q));
        bits.Expect("attention bits", b, q, (patches + 31) / 32);
        if (bits.Length == 0) return;
        BitsOp.Run(bits.Device, (gridLogits, bits, patches));
    }

    /// <summary>The op row of the bit mask: one compare per grid logit; the logits read once, the bits written once.</summary>
    public static readonly Op<(Tensor GridLogits, Tensor Bits, int Patches)> BitsOp = new Op<(Tensor GridLogits, Tensor Bits, int Patches)>("attention_bits",
        "bits[b, i, w] bit k = gridLogits[b, i, 32w + k] > 0 (EoMT masked attention, as bits for attention v3)", "AttentionRef.QueryPatchBits",
        a => a.GridLogits.Length, a => 4.0 * ((double)a.GridLogits.Length + a.Bits.Length),
        [new("attention_bits", "thread-per-word", VersionKind.Simple, "one thread per 32-bit word", ["Attention.QueryPatchBitsV1"],
            a => LaunchQueryPatchBitsV1(a.Bits.Device, (int)a.Bits.Length, a.GridLogits.View, a.Bits.Cast<uint>(), a.Patches, (a.Patches + 31) / 32))]);
}
