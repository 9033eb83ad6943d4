// Multi-head scaled dot-product attention on the fused QKV projection (eomt.md §1.5, §2.2).
//   qkv (B, N, 3C) = [q | k | v], each C = H·D wide, head h in columns h·D .. h·D+D-1 of its part;
//   out[b, i, h·D + e] = Σ_j softmax_j(q_i·k_j / √D) · v_j[e]        → out (B, N, C), head-major, ready for out_proj.
// PyTorch: F.scaled_dot_product_attention(q, k, v) on q/k/v = qkv.view(B, N, 3, H, D).permute(2, 0, 3, 1, 4),
//          then .transpose(1, 2).reshape(B, N, C).
// Optional mask `allowed` (B, N, N) u8, shared by all heads: 1 = key j may be attended by query i. Masked keys get
// the score −1e9 (Hugging Face EoMT turns the boolean mask into an additive float mask of +1 / −1e9, so its masked
// scores are s − 1e9 ≈ −1e9). Consequence for a fully-masked row (never produced by EoMT: query rows always see the
// Q+1+R prefix tokens and other rows see everything): every key scores −1e9, the softmax is uniform and the row is
// the mean of V, exactly what HF computes whenever |q·k/√D| < 32. (The original code's boolean SDPA mask gives NaN in
// torch < 2.5 and 0 from torch 2.5 on; we follow HF, the parity reference.)
//
// Versions
//   v1 "thread-per-query": one thread per (b, h, query row): online softmax over all keys, the output row doubles as the accumulator
//      (no N×N matrix, no local arrays). In bf16/fp16 it rounds q, k, v and P as v3 does (any head dim: what runs
//      where v3 cannot). Reads K and V once per query: N²·2D·4 B per head from cache. The CPU path.
//   v2 "flash-tiles": flash-attention tiles: a group of 8 warps per (b·h, 32-query tile). The Q tile (32×D) stays in shared memory;
//      K tiles (32 keys × D, row stride D+1 so lane j reads key j without bank conflicts) and then V tiles reuse one
//      shared buffer. Lane j computes the scores of key j for the warp's 4 rows; the row max comes from a warp
//      reduction, the running sum stays per lane until the end, P (32 × 32) goes through shared memory; the output
//      (4 rows × D ≤ 128) lives in registers, lane l owning dims l, l+32, l+64, l+96. 37 KB shared memory;
//      D ≤ 128 (its predicate; the table picks v1 above that).
//
// Napkin math, EoMT-L at 1024 (N = 4096 + 100 + 5 = 4201, C = 1024, H = 16, D = 64), batch 1, one layer:
//   FLOPs: QKᵀ and PV are 2·N²·D each per head → 4·N²·C = 72.3 GFLOP (+ N²·H = 0.28 G exp).
//   Bytes (compulsory): read qkv N·3C·4 = 51.6 MB, write N·C·4 = 17.2 MB → 69 MB ≈ 21 µs at 3.35 TB/s: compute bound.
//   H100 FP32 (no tensor cores) 67 TFLOP/s → ≥ 1.1 ms; FA2-class mma.sync FP16 at ~300 TFLOP/s → ~0.25 ms.
//   v2 re-reads K and V once per 32-query tile: ⌈N/32⌉·2·N·D·4·H = 132 · 2.15 MB · 16 ≈ 4.5 GB from L2 (≈ 0.5 ms at
//   ~10 TB/s), so a v3 with mma.sync and 64–128-row tiles is the next step:
//   v3 "flash-mma" FlashAttention-2 on mma.sync (bf16/fp16, D = 64, 64-row tiles; attention_patch_masked's "bits-mma"
//      reads a per-query patch bitmask): AttentionTensorCore.cs.
// Precision (the user's choice, in the args): fp32 and tf32 run v1, v2 and the host version in float32; bf16/fp16 run v3
// (CUDA, head dim 64; forced on the simulator), v1 and the host version, which round q, k, v and P as v3 does (float32
// statistics).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Multi-head attention over a fused QKV tensor, optionally masked (EoMT's masked-attention path).</summary>
public static partial class Attention
{
    /// <summary>The score given to a masked key (Hugging Face EoMT's additive mask value).</summary>
    public const float MaskedScore = -1e9f;

    /// <summary>Largest head dim the tiled version supports (its shared-memory tiles are sized for it).</summary>
    public const int TiledMaxHeadDim = 128;

    private const int TileRows = 32, TileKeys = 32, Threads = 256;

    [Kernel("attention", Version = "v1 one thread per query row, online softmax")]
    internal static void ForwardV1(Index1D i, ArrayView<float> qkv, ArrayView<float> output, ArrayView<byte> allowed,
        int n, int heads, int d, float scale, int masked, int round)
    {
        int row = i % n, bh = i / n;
        int h = bh % heads, b = bh / heads;
        int c = heads * d, stride = 3 * c;
        int qBase = (b * n + row) * stride + h * d;
        int oBase = (b * n + row) * c + h * d;
        for (int e = 0; e < d; e++) output[oBase + e] = 0f;
        float m = float.NegativeInfinity, l = 0f;
        for (int j = 0; j < n; j++)
        {
            int kBase = (b * n + j) * stride + c + h * d;
            float s = 0f;
            for (int e = 0; e < d; e++) s += TensorCoreOps.RoundHalf(qkv[qBase + e], round) * TensorCoreOps.RoundHalf(qkv[kBase + e], round);
            s *= scale;
            if (masked != 0 && allowed[(b * n + row) * n + j] == 0) s = MaskedScore;
            float mNew = XMath.Max(m, s);
            float corr = XMath.Exp(m - mNew); // 0 at the first key (m = −∞)
            float p = XMath.Exp(s - mNew);
            l = l * corr + p;
            p = TensorCoreOps.RoundHalf(p, round); // bf16/fp16: P enters P·V in 16 bits as on the tensor cores; l stays float32
            int vBase = kBase + c;
            for (int e = 0; e < d; e++) output[oBase + e] = output[oBase + e] * corr + p * TensorCoreOps.RoundHalf(qkv[vBase + e], round);
            m = mNew;
        }
        float inv = 1f / l;
        for (int e = 0; e < d; e++) output[oBase + e] *= inv;
    }

    [Kernel("attention", Version = "v2 flash tiles: Q tile + K/V tiles in shared memory, online softmax in registers",
        GroupX = Threads, TileX = TileRows, TileY = 1)]
    internal static void ForwardV2(ArrayView<float> qkv, ArrayView<float> output, ArrayView<byte> allowed,
        int n, int heads, int d, float scale, int masked)
    {
        var qs = SharedMemory.Allocate<float>(TileRows * TiledMaxHeadDim);        // (32, D), row stride D
        var kv = SharedMemory.Allocate<float>(TileKeys * (TiledMaxHeadDim + 1)); // K: (32, D) stride D+1; V: stride D
        var ps = SharedMemory.Allocate<float>(TileRows * TileKeys);              // P tile (32 rows, 32 keys)
        int tid = Group.IdxX, lane = Warp.LaneIdx, r0 = Warp.WarpIdx * 4;
        int q0 = Grid.IdxX * TileRows, bh = Grid.IdxY;
        int h = bh % heads, b = bh / heads;
        int c = heads * d, stride = 3 * c, tokens = b * n, ks = d + 1;

        for (int idx = tid; idx < TileRows * d; idx += Threads)
        {
            int r = idx / d, e = idx - r * d, t = q0 + r;
            qs[idx] = t < n ? qkv[(tokens + t) * stride + h * d + e] : 0f;
        }

        float m0 = float.NegativeInfinity, m1 = m0, m2 = m0, m3 = m0;
        float l0 = 0f, l1 = 0f, l2 = 0f, l3 = 0f; // per-lane partial sums, reduced at the end
        float o00 = 0f, o01 = 0f, o02 = 0f, o03 = 0f, o10 = 0f, o11 = 0f, o12 = 0f, o13 = 0f;
        float o20 = 0f, o21 = 0f, o22 = 0f, o23 = 0f, o30 = 0f, o31 = 0f, o32 = 0f, o33 = 0f;

        for (int k0 = 0; k0 < n; k0 += TileKeys)
        {
            Group.Barrier(); // the previous V tile is consumed (first pass: the Q tile is loaded)
            for (int idx = tid; idx < TileKeys * d; idx += Threads)
            {
                int j = idx / d, e = idx - j * d, t = k0 + j;
                kv[j * ks + e] = t < n ? qkv[(tokens + t) * stride + c + h * d + e] : 0f;
            }
            Group.Barrier();

            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            int kRow = lane * ks, qRow = r0 * d;
            for (int e = 0; e < d; e++)
            {
                float k = kv[kRow + e];
                s0 += qs[qRow + e] * k;
                s1 += qs[qRow + d + e] * k;
                s2 += qs[qRow + 2 * d + e] * k;
                s3 += qs[qRow + 3 * d + e] * k;
            }
            int key = k0 + lane;
            s0 = Score(s0 * scale, allowed, masked, n, tokens, q0 + r0, key);
            s1 = Score(s1 * scale, allowed, masked, n, tokens, q0 + r0 + 1, key);
            s2 = Score(s2 * scale, allowed, masked, n, tokens, q0 + r0 + 2, key);
            s3 = Score(s3 * scale, allowed, masked, n, tokens, q0 + r0 + 3, key);

            // Online softmax: the tile max is finite (key k0 < n exists), so corr and p are well defined.
            float mn0 = XMath.Max(m0, WarpMax(s0)), mn1 = XMath.Max(m1, WarpMax(s1));
            float mn2 = XMath.Max(m2, WarpMax(s2)), mn3 = XMath.Max(m3, WarpMax(s3));
            float c0 = XMath.Exp(m0 - mn0), c1 = XMath.Exp(m1 - mn1), c2 = XMath.Exp(m2 - mn2), c3 = XMath.Exp(m3 - mn3);
            float p0 = XMath.Exp(s0 - mn0), p1 = XMath.Exp(s1 - mn1), p2 = XMath.Exp(s2 - mn2), p3 = XMath.Exp(s3 - mn3);
            m0 = mn0; m1 = mn1; m2 = mn2; m3 = mn3;
            l0 = l0 * c0 + p0; l1 = l1 * c1 + p1; l2 = l2 * c2 + p2; l3 = l3 * c3 + p3;
            o00 *= c0; o01 *= c0; o02 *= c0; o03 *= c0;
            o10 *= c1; o11 *= c1; o12 *= c1; o13 *= c1;
            o20 *= c2; o21 *= c2; o22 *= c2; o23 *= c2;
            o30 *= c3; o31 *= c3; o32 *= c3; o33 *= c3;
            // P goes through shared memory (made visible by the barriers below) rather than 4 shuffles per key:
            // the same cost on a GPU, and far cheaper on the CPU simulator where every shuffle is a warp barrier.
            int pRow = r0 * TileKeys + lane;
            ps[pRow] = p0; ps[pRow + TileKeys] = p1; ps[pRow + 2 * TileKeys] = p2; ps[pRow + 3 * TileKeys] = p3;

            Group.Barrier(); // every warp is done with K
            for (int idx = tid; idx < TileKeys * d; idx += Threads)
            {
                int j = idx / d, t = k0 + j;
                kv[idx] = t < n ? qkv[(tokens + t) * stride + 2 * c + h * d + (idx - j * d)] : 0f;
            }
            Group.Barrier();

            int kn = XMath.Min(TileKeys, n - k0);
            for (int j = 0; j < kn; j++)
            {
                int v = j * d + lane;
                float v0 = lane < d ? kv[v] : 0f;
                float v1 = lane + 32 < d ? kv[v + 32] : 0f;
                float v2 = lane + 64 < d ? kv[v + 64] : 0f;
                float v3 = lane + 96 < d ? kv[v + 96] : 0f;
                int pj = r0 * TileKeys + j; // broadcast reads
                float pa = ps[pj], pb = ps[pj + TileKeys], pc = ps[pj + 2 * TileKeys], pd = ps[pj + 3 * TileKeys];
                o00 += pa * v0; o01 += pa * v1; o02 += pa * v2; o03 += pa * v3;
                o10 += pb * v0; o11 += pb * v1; o12 += pb * v2; o13 += pb * v3;
                o20 += pc * v0; o21 += pc * v1; o22 += pc * v2; o23 += pc * v3;
                o30 += pd * v0; o31 += pd * v1; o32 += pd * v2; o33 += pd * v3;
            }
        }

        l0 = WarpSum(l0); l1 = WarpSum(l1); l2 = WarpSum(l2); l3 = WarpSum(l3);
        StoreRow(output, n, tokens, c, h * d, d, lane, q0 + r0, o00 / l0, o01 / l0, o02 / l0, o03 / l0);
        StoreRow(output, n, tokens, c, h * d, d, lane, q0 + r0 + 1, o10 / l1, o11 / l1, o12 / l1, o13 / l1);
        StoreRow(output, n, tokens, c, h * d, d, lane, q0 + r0 + 2, o20 / l2, o21 / l2, o22 / l2, o23 / l2);
        StoreRow(output, n, tokens, c, h * d, d, lane, q0 + r0 + 3, o30 / l3, o31 / l3, o32 / l3, o33 / l3);
    }

    private static float Score(float s, ArrayView<byte> allowed, int masked, int n, int tokens, int row, int key)
    {
        if (key >= n) return float.NegativeInfinity;                // padding key of the last tile: weight 0
        if (masked != 0 && row < n && allowed[(tokens + row) * n + key] == 0) return MaskedScore;
        return s;
    }

    private static void StoreRow(ArrayView<float> output, int n, int tokens, int c, int col, int d, int lane, int row,
        float a, float b, float e, float f)
    {
        if (row >= n) return;
        int o = (tokens + row) * c + col + lane;
        if (lane < d) output[o] = a;
        if (lane + 32 < d) output[o + 32] = b;
        if (lane + 64 < d) output[o + 64] = e;
        if (lane + 96 < d) output[o + 96] = f;
    }

    private static float WarpMax(float v)
    {
        for (int offset = 16; offset > 0; offset >>= 1) v = XMath.Max(v, Warp.ShuffleXor(v, offset));
        return v;
    }

    private static float WarpSum(float v)
    {
        for (int offset = 16; offset > 0; offset >>= 1) v += Warp.ShuffleXor(v, offset);
        return v;
    }

    [Kernel("attention_mask", Version = "v1 one thread per mask element")]
    internal static void QueryPatchMaskV1(Index1D i, ArrayView<float> gridLogits, ArrayView<byte> allowed,
        int n, int queries, int firstPatch)
    {
        int j = i % n, row = (i / n) % n, b = i / (n * n);
        int patches = n - firstPatch;
        bool open = row >= queries || j < firstPatch || gridLogits[(b * queries + row) * patches + (j - firstPatch)] > 0f;
        allowed[i] = open ? (byte)1 : (byte)0;
    }

    /// <summary>
    /// Attention over the fused projection <paramref name="qkv"/> (B, N, 3C) into <paramref name="output"/> (B, N, C),
    /// scale 1/√D with D = C / <paramref name="heads"/>. <paramref name="allowed"/> (B, N, N) u8, when given, lets query
    /// i attend key j only where it is 1 (masked keys score −1e9; see the file header for fully-masked rows).
    /// The table picks v2 on CUDA when D ≤ 128 (v1 otherwise); <paramref name="version"/> forces one.
    /// <paramref name="precision"/>: fp32 and tf32 compute in float32 (there is no tf32 flash kernel); bf16/fp16 round q,
    /// k, v and the softmax weights P before P·V, as the tensor-core version (v3, head dim 64, unmasked) does; the host
    /// version rounds the same way. The softmax statistics and accumulation are float32 in every precision.
    /// </summary>
    public static void Forward(Tensor qkv, Tensor output, int heads, Tensor? allowed = null, OpVersion? version = null,
        Precision precision = Precision.Fp32)
    {
        if (qkv.Shape.Rank != 3 || heads <= 0 || qkv.Shape[2] % (3 * heads) != 0 || qkv.Shape[2] == 0)
            throw new ArgumentException($"attention: qkv must be (B, N, 3·heads·D) with heads = {heads}, got {qkv.Shape}");
        int b = qkv.Shape[0], n = qkv.Shape[1], c = qkv.Shape[2] / 3, d = c / heads;
        output.Expect("attention output", b, n, c);
        if (allowed is not null)
        {
            if (allowed.DType != DType.UInt8) throw new ArgumentException($"attention: allowed must be u8, got {allowed.DType.Name()}");
            allowed.Expect("attention allowed mask", b, n, n);
        }
        Int32Extent.Check(qkv, "attention qkv");
        if (allowed is not null) Int32Extent.Check(allowed, "attention allowed mask");
        if (b * n == 0) return;
        float scale = 1f / MathF.Sqrt(d);
        var mask = allowed?.Cast<byte>() ?? qkv.Cast<byte>(); // never read when masked == 0
        int masked = allowed is null ? 0 : 1;
        Op.Run(qkv.Device, new AttentionArgs(qkv, output, allowed, mask, masked, b, n, heads, d, scale, precision), version);
    }

    /// <summary>v1: one thread per query row, online softmax.</summary>
    public static readonly OpVersion<AttentionArgs> ThreadPerQuery = new("attention", "thread-per-query", VersionKind.Simple,
        "one thread per query row, online softmax", ["Attention.ForwardV1"],
        a => LaunchForwardV1(a.Qkv.Device, a.B * a.Heads * a.N, a.Qkv.View, a.Output.View, a.Mask, a.N, a.Heads, a.D, a.Scale, a.Masked,
            TensorCoreOps.HalfCode(a.Precision)),
        (_, a) => HostQkv(a.Qkv)); // every precision: bf16/fp16 round q, k, v and P as v3 does (any head dim)

    /// <summary>v2: flash tiles (Q tile, K/V tiles in shared memory), head dim ≤ 128.</summary>
    public static readonly OpVersion<AttentionArgs> FlashTiles = new("attention", "flash-tiles", VersionKind.Grouped,
        "flash tiles: Q tile + K/V tiles in shared memory, online softmax in registers", ["Attention.ForwardV2"],
        a => LaunchForwardV2(a.Qkv.Device, new Index2D(a.N, a.B * a.Heads), a.Qkv.View, a.Output.View, a.Mask, a.N, a.Heads, a.D, a.Scale, a.Masked),
        (_, a) => a.D > TiledMaxHeadDim ? $"head dim must be ≤ {TiledMaxHeadDim}, got D = {a.D} ({a.Heads} heads)" : Float32Only(a.Qkv, a.Precision));

    /// <summary>The SIMT kernels compute in float32: they serve fp32 and tf32 (whose attention is float32) on f32 qkv.</summary>
    private static string? Float32Only(Tensor qkv, Precision precision) =>
        precision.IsHalf() ? $"it computes in float32, the call asks for {precision.Name()} (the tensor-core or host version serves it)"
        : qkv.DType != DType.Float32 ? $"it reads an f32 qkv, got {qkv.DType.Name()}"
        : null;

    /// <summary>v1 and the host versions serve every precision on an f32 qkv (bf16/fp16: q, k, v and P rounded as v3 rounds them).</summary>
    private static string? HostQkv(Tensor qkv) => qkv.DType != DType.Float32 ? $"it reads an f32 qkv, got {qkv.DType.Name()}" : null;

    /// <summary>
    /// The op row: QKᵀ and PV are 2·N·N·D FLOPs each per (batch, head), plus ~5 per score for the softmax; qkv read
    /// once, the output written once, the mask (when given) read once.
    /// </summary>
    public static readonly Op<AttentionArgs> Op = new Op<AttentionArgs>("attention",
        "softmax(QKᵀ/√D + mask)·V over a fused qkv (F.scaled_dot_product_attention), in fp32, bf16 or fp16", "AttentionRef.Forward",
        a => (double)a.B * a.Heads * a.N * a.N * (4.0 * a.D + 5),
        a => (3.0 * a.Qkv.DType.SizeOf() + 4.0) * a.B * a.N * a.Heads * a.D + (a.Masked != 0 ? (double)a.B * a.N * a.N : 0),
        ThreadPerQuery, FlashTiles, FlashMma(),
        new OpVersion<AttentionArgs>("attention", "host", VersionKind.Host,
            "plain C# over host memory: SIMD, all cores; bf16/fp16: q, k, v, P rounded as the tensor cores round them", [],
            a => AttentionHost.Forward(a.Qkv, a.Output, a.Heads, a.Allowed, a.Precision), (_, a) => HostQkv(a.Qkv)));

    /// <summary>
    /// Attention under EoMT's query-patch mask given by its source, the grid logits (B, Q, G, G) or (B, Q, G²): the
    /// result of <see cref="QueryPatchMask"/> into a (B, N, N) mask followed by <see cref="Forward"/> with it. The host
    /// version reads the logits while it streams the keys (no N×N bytes); the other versions build the mask in the
    /// device's kept scratch first.
    /// </summary>
    public static void ForwardQueryPatchMasked(Tensor qkv, Tensor output, int heads, Tensor gridLogits, int firstPatch,
        OpVersion? version = null, Precision precision = Precision.Fp32)
    {
        if (qkv.Shape.Rank != 3 || heads <= 0 || qkv.Shape[2] % (3 * heads) != 0 || qkv.Shape[2] == 0)
            throw new ArgumentException($"attention: qkv must be (B, N, 3·heads·D) with heads = {heads}, got {qkv.Shape}");
        int b = qkv.Shape[0], n = qkv.Shape[1];
        output.Expect("attention output", b, n, qkv.Shape[2] / 3);
        if (gridLogits.Shape.Rank < 3 || gridLogits.Shape[0] != b || firstPatch < gridLogits.Shape[1] || firstPatch > n
            || gridLogits.Length != (long)b * gridLogits.Shape[1] * (n - firstPatch))
            throw new ArgumentException($"attention: gridLogits {gridLogits.Shape} must be (B={b}, Q, G, G) holding B·Q·(N − firstPatch) logits (N = {n}, firstPatch = {firstPatch} ≥ Q)");
        Int32Extent.Check(qkv, "attention qkv");
        PatchMaskedOp.Run(qkv.Device, new PatchMaskedArgs(qkv, output, heads, gridLogits, firstPatch, precision), version);
    }

    /// <summary>
    /// The op row of attention under the query-patch mask: the attention's cost; the CUDA path also writes and reads
    /// the (B, N, N) byte mask, the host path streams the grid logits instead.
    /// </summary>
    public static readonly Op<PatchMaskedArgs> PatchMaskedOp = new Op<PatchMaskedArgs>("attention_patch_masked",
        "attention with EoMT's query-patch mask built from the grid logits (QueryPatchMask, then Forward)", "AttentionRef.Forward",
        a => (double)a.Qkv.Shape[0] * a.Qkv.Shape[1] * a.Qkv.Shape[1] * (4.0 * a.Qkv.Shape[2] / 3 + 5 * a.Heads),
        a => 4.0 * a.Qkv.Length + 4.0 * a.Output.Length + 4.0 * a.GridLogits.Length,
        [new("attention_patch_masked", "build-mask", VersionKind.Simple,
            "the (B, N, N) byte mask in the device's kept scratch (attention_mask), then attention with it", ["Attention.QueryPatchMaskV1"],
            a =>
            {
                int b = a.Qkv.Shape[0], n = a.Qkv.Shape[1];
                var allowed = a.Qkv.Device.Scratch.Get("attention_patch_masked.allowed", new Shape(b, n, n), DType.UInt8);
                QueryPatchMask(a.GridLogits, a.FirstPatch, allowed);
                Forward(a.Qkv, a.Output, a.Heads, allowed, precision: a.Precision);
            }, (_, a) => HostQkv(a.Qkv)), BitsMma(), // every precision: attention v1 rounds q, k, v and P for bf16/fp16
        new OpVersion<PatchMaskedArgs>("attention_patch_masked", "host", VersionKind.Host,
            "the mask read from the grid logits while the keys stream (no N×N bytes), SIMD, all cores; bf16/fp16 rounded as v3", [],
            a => AttentionHost.ForwardQueryPatchMasked(a.Qkv, a.Output, a.Heads, a.GridLogits, a.FirstPatch, a.Precision),
            (_, a) => HostQkv(a.Qkv))]);

    /// <summary>
    /// Builds EoMT's masked-attention mask (eomt.md §2.2): <paramref name="allowed"/> (B, N, N) u8 is 1 everywhere
    /// except query rows i &lt; Q against patch columns j ≥ <paramref name="firstPatch"/> (= Q + 1 + registers), where it
    /// is gridLogits[b, i, j − firstPatch] &gt; 0. <paramref name="gridLogits"/> is (B, Q, G, G) or (B, Q, G²): the mask
    /// logits already bilinearly downsampled to the patch grid.
    /// </summary>
    public static void QueryPatchMask(Tensor gridLogits, int firstPatch, Tensor allowed, OpVersion? version = null)
    {
        if (allowed.DType != DType.UInt8 || allowed.Shape.Rank != 3 || allowed.Shape[1] != allowed.Shape[2])
            throw new ArgumentException($"attention mask: allowed must be u8 (B, N, N), got {allowed.Shape} {allowed.DType.Name()}");
        int b = allowed.Shape[0], n = allowed.Shape[1];
        if (gridLogits.Shape.Rank < 3 || gridLogits.Shape[0] != b)
            throw new ArgumentException($"attention mask: gridLogits must be (B={b}, Q, G, G), got {gridLogits.Shape}");
        int q = gridLogits.Shape[1];
        if (firstPatch < q || firstPatch > n || gridLogits.Length != (long)b * q * (n - firstPatch))
            throw new ArgumentException($"attention mask: gridLogits {gridLogits.Shape} must hold B·Q·(N − firstPatch) = {b}·{q}·{n - firstPatch} logits (N = {n}, firstPatch = {firstPatch} ≥ Q)");
        if (allowed.Length == 0) return;
        MaskOp.Run(allowed.Device, (gridLogits, allowed, n, q, firstPatch), version);
    }

    /// <summary>The op row of EoMT's query-patch mask: one compare per element, the grid logits read, the mask written.</summary>
    public static readonly Op<(Tensor GridLogits, Tensor Allowed, int N, int Q, int FirstPatch)> MaskOp = new Op<(Tensor GridLogits, Tensor Allowed, int N, int Q, int FirstPatch)>("attention_mask",
        "allowed[b,i,j] = i ≥ Q or j < firstPatch or gridLogits[b,i,j−firstPatch] > 0 (EoMT masked attention)",
        "AttentionRef.QueryPatchMask", a => a.Allowed.Length, a => a.Allowed.Length + 4.0 * a.GridLogits.Length,
        [new("attention_mask", "thread-per-element", VersionKind.Simple,
            "one thread per mask element", ["Attention.QueryPatchMaskV1"],
            a => LaunchQueryPatchMaskV1(a.Allowed.Device, (int)a.Allowed.Length, a.GridLogits.View, a.Allowed.Cast<byte>(), a.N, a.Q, a.FirstPatch))])
        .WithHost(a => AttentionHost.QueryPatchMask(a.GridLogits, a.FirstPatch, a.Allowed));
}

/// <summary>One attention call after the entry point's checks; Mask is never read when Masked is 0.</summary>
public readonly record struct AttentionArgs(Tensor Qkv, Tensor Output, Tensor? Allowed, ArrayView<byte> Mask, int Masked, int B, int N, int Heads,
    int D, float Scale, Precision Precision = Precision.Fp32);

/// <summary>One call of attention under EoMT's query-patch mask given by the grid logits (B, Q, G, G).</summary>
public readonly record struct PatchMaskedArgs(Tensor Qkv, Tensor Output, int Heads, Tensor GridLogits, int FirstPatch,
    Precision Precision = Precision.Fp32);
