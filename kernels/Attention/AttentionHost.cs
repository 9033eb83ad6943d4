// Host version of attention (semantics as Attention.cs): out[b, i, h·D + e] = Σ_j softmax_j(q_i·k_j / √D) · v_j[e]
// on the fused qkv (B, N, 3C), optionally masked (a masked key scores −1e9, HF EoMT's additive mask), and of
// attention_mask (EoMT's query-to-patch mask as N×N bytes).
// PyTorch: F.scaled_dot_product_attention(q, k, v[, attn_mask]) per head.
//
// Flash attention on the CPU: no N×N matrix. Per (b·h, block of 48 query rows) the keys stream in blocks of
// Bk = 4 vectors (64 keys with AVX-512), and each block does
//   S (48 × Bk) = Q·Kᵀ            micro-kernel 6 rows × 4 vectors: 24 accumulators + 4 K vectors + 1 broadcast
//                                 = 29 of the 32 zmm registers; per D step 4 loads, 6 broadcasts, 24 FMAs
//   mask, online softmax          per row: block max, corr = 2^(m − m'), P = 2^(S − m') (scores in log₂ units: Q is
//                                 pre-scaled by log₂e/√D; a 12-op exp2 for non-positive inputs, vscalefps on AVX-512),
//                                 l = l·corr + ΣP kept as a vector per row (one horizontal add per row at the end)
//   O (48 × Dp) = O·corr + P·V    micro-kernel 6 rows × 4 vectors of D, the same register budget
// so the softmax statistics stay per row and O is rescaled in the P·V kernel's prologue (no extra pass).
// K is packed once per (b, h) transposed in Bk-key panels ([kb][e][Bk], one 16 KB panel per key block for D = 64:
// it and the 16 KB V panel sit in L1 while the 48 query rows sweep them); V is packed to rows of Dp (D rounded up to
// 4 vectors, zero padded) and keys to a multiple of Bk (zero V rows, −∞ scores) so no kernel has a tail.
// The masked variant reads EoMT's mask straight from its source: with the grid logits (B, Q, G²) a query row i < Q
// compares the logit row with 0 one vector at a time (no N×N bytes exist); a general (B, N, N) u8 mask is read per
// element (API completeness; the model uses the logits form).
//
// Napkin math, EoMT-B-640 (N = 1600 + 5 + 100 = 1705 in the query blocks, H = 12, D = 64), one layer:
//   FLOPs 2·2·N²·D·H = 4·1705²·768 = 8.9 GFLOP (+ N²·H = 35 M exps); ~45 % of a ViT-B block's GEMM FLOPs.
//   Compute bound: per 64-key block and 6-row tile the kernels issue 2·D·6·4 = 3072 FMAs for 6·4 exps, so the FMA
//   ports bound it; 2 Zen 5 cores at 2 × 16-lane FMAs per cycle (~3 GHz) peak at ~380 GFLOP/s → ≥ 23 ms per layer.
//   Memory: per query block K and V of one head (2 · 1728 · 64 · 4 B = 0.9 MB) stream from L2, 48 rows reuse each
//   element: ~20 FLOP per L2 byte, well above what L2 needs to keep up.
// Precision: bf16/fp16 round q, k and v as they are loaded/packed and P after the row sum (which stays float32), as
// attention v3 rounds them on the tensor cores; fp32 and tf32 are float32 throughout.
// Versions (host):
//   host  the above, work items (b·h, query block) over the cores; ISimd widths (Bk = 64/32/16 keys).
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (SIMD, multi-core) flash-style attention and EoMT's query-patch mask.</summary>
public static unsafe class AttentionHost
{
    private const int TileRows = 6, QueryBlock = 48; // QueryBlock: 8 micro-tiles per work item (24 and 96 measured slower)

    [ThreadStatic] private static float[]? scratch;

    /// <summary>Tensor form of <see cref="Attention.Forward"/> (optional (B, N, N) u8 mask).</summary>
    public static void Forward(Tensor qkv, Tensor output, int heads, Tensor? allowed, Precision precision = Precision.Fp32)
    {
        int b = qkv.Shape[0], n = qkv.Shape[1], d = qkv.Shape[2] / 3 / heads;
        if (b * n == 0) return;
        Dispatch(qkv.HostPointer<float>(), output.HostPointer<float>(), b, n, heads, d,
            new Mask(allowed is null ? null : allowed.HostPointer<byte>(), null, 0, 0, 0), precision);
    }

    /// <summary>Tensor form of <see cref="Attention.ForwardQueryPatchMasked"/>: the mask comes from the grid logits.</summary>
    public static void ForwardQueryPatchMasked(Tensor qkv, Tensor output, int heads, Tensor gridLogits, int firstPatch,
        Precision precision = Precision.Fp32)
    {
        int b = qkv.Shape[0], n = qkv.Shape[1], d = qkv.Shape[2] / 3 / heads;
        if (b * n == 0) return;
        Dispatch(qkv.HostPointer<float>(), output.HostPointer<float>(), b, n, heads, d,
            new Mask(null, gridLogits.HostPointer<float>(), gridLogits.Shape[1], firstPatch, n - firstPatch), precision);
    }

    /// <summary>qkv (B, N, 3·H·D) → output (B, N, H·D); <paramref name="allowed"/> (B, N, N) u8 or null.</summary>
    public static void Forward(float* qkv, float* output, int b, int n, int heads, int d, byte* allowed) =>
        Dispatch(qkv, output, b, n, heads, d, new Mask(allowed, null, 0, 0, 0));

    /// <summary>
    /// As <see cref="Forward(float*, float*, int, int, int, int, byte*)"/> with query rows i &lt; Q attending patch keys
    /// j ≥ firstPatch only where gridLogits[b, i, j − firstPatch] &gt; 0 (gridLogits (B, Q, N − firstPatch)).
    /// </summary>
    public static void ForwardQueryPatchMasked(float* qkv, float* output, int b, int n, int heads, int d, float* gridLogits, int queries, int firstPatch) =>
        Dispatch(qkv, output, b, n, heads, d, new Mask(null, gridLogits, queries, firstPatch, n - firstPatch));

    /// <summary>Tensor form of <see cref="Attention.QueryPatchMask"/>: allowed (B, N, N) u8 from the grid logits.</summary>
    public static void QueryPatchMask(Tensor gridLogits, int firstPatch, Tensor allowed)
    {
        int b = allowed.Shape[0], n = allowed.Shape[1], q = gridLogits.Shape[1], patches = n - firstPatch;
        if (allowed.Length == 0) return;
        nint pl = (nint)gridLogits.HostPointer<float>(), pa = (nint)allowed.HostPointer<byte>();
        HostSplit.Chunks((long)b * n, Math.Max(1, HostSplit.StreamChunk / Math.Max(n, 1)), (r0, count) =>
        {
            for (long r = r0; r < r0 + count; r++)
            {
                int i = (int)(r % n), bi = (int)(r / n);
                byte* row = (byte*)pa + r * n;
                if (i >= q)
                {
                    new Span<byte>(row, n).Fill(1);
                    continue;
                }
                new Span<byte>(row, firstPatch).Fill(1);
                float* logits = (float*)pl + ((long)bi * q + i) * patches;
                for (int j = 0; j < patches; j++) row[firstPatch + j] = logits[j] > 0f ? (byte)1 : (byte)0;
            }
        });
    }

    /// <summary>Where a key is masked: a (B, N, N) u8 mask, or EoMT's grid logits (B, Q, N − firstPatch), or neither.</summary>
    private readonly struct Mask(byte* allowed, float* logits, int queries, int firstPatch, int patches)
    {
        public readonly nint Allowed = (nint)allowed, Logits = (nint)logits;
        public readonly int Queries = queries, FirstPatch = firstPatch, Patches = patches;
    }

    private static void Dispatch(float* qkv, float* output, int b, int n, int heads, int d, Mask mask, Precision precision = Precision.Fp32)
    {
        var round = precision.IsHalf() ? precision : Precision.Fp32; // tf32 attention is float32 (no tf32 flash kernel)
        if (HostSimd.Wide) Run<Simd512, Vector512<float>>(qkv, output, b, n, heads, d, mask, round);
        else Run<Simd256, Vector256<float>>(qkv, output, b, n, heads, d, mask, round);
    }

    private static void Run<TS, TV>(float* qkv, float* output, int b, int n, int heads, int d, Mask mask, Precision round)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int bk = 4 * TS.Lanes, nkb = (n + bk - 1) / bk, npad = nkb * bk, dp = (d + bk - 1) / bk * bk, bh = b * heads;
        long kSize = (long)bh * npad * d, vSize = (long)bh * npad * dp;
        if (kSize + vSize > Array.MaxLength)
            throw new ArgumentException($"attention (host): packed K and V need {kSize + vSize} floats, more than one array holds; split the batch");
        var packed = ArrayPool<float>.Shared.Rent((int)(kSize + vSize));
        try
        {
            fixed (float* pk = packed)
            {
                nint pq = (nint)qkv, po = (nint)output, kt = (nint)pk, vp = (nint)(pk + kSize);
                HostCpu.For(bh, item => Pack((float*)pq, (float*)kt + (long)item * npad * d, (float*)vp + (long)item * npad * dp,
                    item / heads, item % heads, n, heads, d, dp, bk, npad, round));
                int nqb = (n + QueryBlock - 1) / QueryBlock;
                float scale = Log2E / MathF.Sqrt(d); // scores in log₂ units: the softmax runs on 2^x
                HostCpu.For(bh * nqb, item =>
                {
                    int head = item / nqb;
                    Block<TS, TV>((float*)pq, (float*)po, (float*)kt + (long)head * npad * d, (float*)vp + (long)head * npad * dp,
                        head / heads, head % heads, item % nqb * QueryBlock, n, heads, d, dp, nkb, scale, mask, round);
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    // K of head (bi, h) → [kb][e][Bk] panels (zero keys past N); V → [key][Dp] rows (zero columns past D, zero rows past N).
    private static void Pack(float* qkv, float* kt, float* vp, int bi, int h, int n, int heads, int d, int dp, int bk, int npad, Precision round)
    {
        int c = heads * d, stride = 3 * c;
        for (int key = 0; key < npad; key++)
        {
            float* kDst = kt + (long)(key / bk) * d * bk + key % bk;
            float* vDst = vp + (long)key * dp;
            if (key < n)
            {
                float* k = qkv + ((long)bi * n + key) * stride + c + h * d;
                for (int e = 0; e < d; e++) kDst[e * bk] = k[e];
                new ReadOnlySpan<float>(k + c, d).CopyTo(new Span<float>(vDst, d));
                new Span<float>(vDst + d, dp - d).Clear();
                if (round != Precision.Fp32)
                    for (int e = 0; e < d; e++)
                    {
                        kDst[e * bk] = TensorCoreOps.Round(kDst[e * bk], round);
                        vDst[e] = TensorCoreOps.Round(vDst[e], round);
                    }
            }
            else
            {
                for (int e = 0; e < d; e++) kDst[e * bk] = 0f;
                new Span<float>(vDst, dp).Clear();
            }
        }
    }

    // One work item: query rows [q0, q0 + 48) of head (bi, h) against every key block.
    private static void Block<TS, TV>(float* qkv, float* output, float* kt, float* vp, int bi, int h, int q0, int n, int heads, int d,
        int dp, int nkb, float scale, Mask mask, Precision round) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, bk = 4 * l, c = heads * d, stride = 3 * c;
        int rows = Math.Min(QueryBlock, n - q0), rowsPad = (rows + TileRows - 1) / TileRows * TileRows;
        int need = rowsPad * (d + bk + dp + 2 + l);
        var buf = scratch;
        if (buf is null || buf.Length < need) scratch = buf = new float[need];
        fixed (float* sb = buf)
        {
            float* q = sb, s = q + rowsPad * d, o = s + rowsPad * bk, m = o + rowsPad * dp, corr = m + rowsPad;
            TV* sum = (TV*)(corr + rowsPad); // per-row running sums as vectors: one horizontal add per row at the end
            for (int r = 0; r < rowsPad; r++)
            {
                float* src = qkv + ((long)bi * n + q0 + r) * stride + h * d;
                for (int e = 0; e < d; e++) q[r * d + e] = r < rows ? TensorCoreOps.Round(src[e], round) * scale : 0f;
                m[r] = float.NegativeInfinity;
                sum[r] = TS.Zero;
            }
            new Span<float>(o, rowsPad * dp).Clear();

            for (int kb = 0; kb < nkb; kb++)
            {
                int k0 = kb * bk, valid = Math.Min(bk, n - k0);
                float* kPanel = kt + (long)kb * d * bk, vPanel = vp + (long)k0 * dp;
                for (int r = 0; r < rowsPad; r += TileRows) ScoreTile<TS, TV>(q + r * d, d, kPanel, s + r * bk);
                for (int r = 0; r < rowsPad; r++)
                {
                    float* sr = s + r * bk;
                    if (r < rows) ApplyMask<TS, TV>(sr, bi, q0 + r, k0, valid, n, mask);
                    for (int j = valid; j < bk; j++) sr[j] = float.NegativeInfinity;
                    TV s0 = TS.Load(sr), s1 = TS.Load(sr + l), s2 = TS.Load(sr + 2 * l), s3 = TS.Load(sr + 3 * l);
                    float mOld = m[r], mNew = MathF.Max(mOld, MaxAcross<TS, TV>(TS.MaxNative(TS.MaxNative(s0, s1), TS.MaxNative(s2, s3))));
                    TV mv = TS.Splat(mNew);
                    s0 = Exp2NonPositive<TS, TV>(TS.Sub(s0, mv));
                    s1 = Exp2NonPositive<TS, TV>(TS.Sub(s1, mv));
                    s2 = Exp2NonPositive<TS, TV>(TS.Sub(s2, mv));
                    s3 = Exp2NonPositive<TS, TV>(TS.Sub(s3, mv));
                    TS.Store(sr, s0);
                    TS.Store(sr + l, s1);
                    TS.Store(sr + 2 * l, s2);
                    TS.Store(sr + 3 * l, s3);
                    float cr = mNew == mOld ? 1f : MathF.Exp((mOld - mNew) * Ln2); // 2^(m − m'): 0 at the first block (m = −∞)
                    corr[r] = cr;
                    sum[r] = TS.Fma(sum[r], TS.Splat(cr), TS.Add(TS.Add(s0, s1), TS.Add(s2, s3)));
                    m[r] = mNew;
                    if (round != Precision.Fp32) // P enters P·V in 16 bits, as v3 packs it; the row sum above is float32
                        for (int j = 0; j < bk; j++) sr[j] = TensorCoreOps.Round(sr[j], round);
                }
                for (int r = 0; r < rowsPad; r += TileRows)
                    for (int ct = 0; ct < dp; ct += bk)
                        ValueTile<TS, TV>(s + r * bk, bk, vPanel + ct, dp, o + r * dp + ct, corr + r);
            }

            for (int r = 0; r < rows; r++)
            {
                float inv = 1f / TS.Sum(sum[r]);
                float* dst = output + ((long)bi * n + q0 + r) * c + h * d;
                for (int e = 0; e < d; e++) dst[e] = o[r * dp + e] * inv;
            }
        }
    }

    // Horizontal max by in-register halvings (vextract, vpermilps) on AVX-512; the vocabulary's otherwise.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAcross<TS, TV>(TV v) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        if (typeof(TV) != typeof(Vector512<float>)) return TS.MaxAcross(v);
        var w = Unsafe.BitCast<TV, Vector512<float>>(v);
        var h = Vector256.MaxNative(w.GetLower(), w.GetUpper());
        var x = Vector128.MaxNative(h.GetLower(), h.GetUpper());
        x = Vector128.MaxNative(x, Vector128.Shuffle(x, Vector128.Create(2, 3, 0, 1)));
        x = Vector128.MaxNative(x, Vector128.Shuffle(x, Vector128.Create(1, 0, 3, 2)));
        return x.ToScalar();
    }

    private const float Ln2 = 0.693147180559945309f, Log2E = 1.44269504088896341f;

    /// <summary>
    /// 2^x for x ≤ 0 (a score minus its row max, in log₂ units): x clamped at −126 (so −∞ and masked scores give
    /// 2^−126 ≈ 1e-38, nothing next to the row max's 1), k = round(x), 2^(x − k) by a degree-6 fit on [−½, ½] (relative
    /// error ≤ 1e-7), times 2^k through the exponent field. ~12 vector ops against HostMath.Exp's ~25 (no range selects:
    /// the input is never positive, and a NaN score still comes out NaN through the polynomial).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp2NonPositive<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        x = TS.MaxNative(TS.Splat(-126f), x);
        TV k = TS.Round(x), f = TS.Sub(x, k);
        TV p = TS.Fma(TS.Splat(1.5337577497e-4f), f, TS.Splat(1.3399859890e-3f));
        p = TS.Fma(p, f, TS.Splat(9.6185198054e-3f));
        p = TS.Fma(p, f, TS.Splat(5.5503290147e-2f));
        p = TS.Fma(p, f, TS.Splat(2.4022646248e-1f));
        p = TS.Fma(p, f, TS.Splat(6.9314718246e-1f));
        p = TS.Fma(p, f, TS.Splat(1f));
        if (typeof(TV) == typeof(Vector512<float>) && Avx512F.IsSupported) // vscalefps: p·2^k in one instruction
            return Unsafe.BitCast<Vector512<float>, TV>(Avx512F.Scale(Unsafe.BitCast<TV, Vector512<float>>(p), Unsafe.BitCast<TV, Vector512<float>>(k)));
        return TS.Mul(p, TS.Pow2(k));
    }

    // Masked keys of query row i in key block [k0, k0 + valid) score −1e9 (replacing the score, as v1/v2).
    private static void ApplyMask<TS, TV>(float* sr, int bi, int i, int k0, int valid, int n, Mask mask)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        if (mask.Allowed != 0)
        {
            byte* row = (byte*)mask.Allowed + ((long)bi * n + i) * n + k0;
            for (int j = 0; j < valid; j++)
                if (row[j] == 0) sr[j] = Attention.MaskedScore;
            return;
        }
        if (mask.Logits == 0 || i >= mask.Queries) return; // rows past the queries see every key
        int j0 = Math.Max(0, mask.FirstPatch - k0);           // keys before the patches (queries, CLS, registers) are open
        if (j0 >= valid) return;
        // logits[key − firstPatch] for key = k0 + j
        float* logits = (float*)mask.Logits + ((long)bi * mask.Queries + i) * mask.Patches + (k0 + j0 - mask.FirstPatch);
        int l = TS.Lanes, jj = j0;
        TV masked = TS.Splat(Attention.MaskedScore);
        for (; jj <= valid - l; jj += l)
            TS.Store(sr + jj, TS.Select(TS.GreaterThan(TS.Load(logits + jj - j0), TS.Zero), TS.Load(sr + jj), masked));
        for (; jj < valid; jj++)
            if (!(logits[jj - j0] > 0f)) sr[jj] = Attention.MaskedScore;
    }

    // s (6 × 4L) = q (6 × D, row stride D) · panel (D × 4L).
    private static void ScoreTile<TS, TV>(float* q, int d, float* panel, float* s) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, bk = 4 * l;
        TV a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero, a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero;
        TV a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero, a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero;
        TV a40 = TS.Zero, a41 = TS.Zero, a42 = TS.Zero, a43 = TS.Zero, a50 = TS.Zero, a51 = TS.Zero, a52 = TS.Zero, a53 = TS.Zero;
        float* q1 = q + d, q2 = q1 + d, q3 = q2 + d, q4 = q3 + d, q5 = q4 + d;
        for (int e = 0; e < d; e++)
        {
            float* kr = panel + e * bk;
            TV k0 = TS.Load(kr), k1 = TS.Load(kr + l), k2 = TS.Load(kr + 2 * l), k3 = TS.Load(kr + 3 * l);
            TV x = TS.Splat(q[e]);
            a00 = TS.Fma(x, k0, a00); a01 = TS.Fma(x, k1, a01); a02 = TS.Fma(x, k2, a02); a03 = TS.Fma(x, k3, a03);
            x = TS.Splat(q1[e]);
            a10 = TS.Fma(x, k0, a10); a11 = TS.Fma(x, k1, a11); a12 = TS.Fma(x, k2, a12); a13 = TS.Fma(x, k3, a13);
            x = TS.Splat(q2[e]);
            a20 = TS.Fma(x, k0, a20); a21 = TS.Fma(x, k1, a21); a22 = TS.Fma(x, k2, a22); a23 = TS.Fma(x, k3, a23);
            x = TS.Splat(q3[e]);
            a30 = TS.Fma(x, k0, a30); a31 = TS.Fma(x, k1, a31); a32 = TS.Fma(x, k2, a32); a33 = TS.Fma(x, k3, a33);
            x = TS.Splat(q4[e]);
            a40 = TS.Fma(x, k0, a40); a41 = TS.Fma(x, k1, a41); a42 = TS.Fma(x, k2, a42); a43 = TS.Fma(x, k3, a43);
            x = TS.Splat(q5[e]);
            a50 = TS.Fma(x, k0, a50); a51 = TS.Fma(x, k1, a51); a52 = TS.Fma(x, k2, a52); a53 = TS.Fma(x, k3, a53);
        }
        Store4<TS, TV>(s, l, a00, a01, a02, a03);
        Store4<TS, TV>(s + bk, l, a10, a11, a12, a13);
        Store4<TS, TV>(s + 2 * bk, l, a20, a21, a22, a23);
        Store4<TS, TV>(s + 3 * bk, l, a30, a31, a32, a33);
        Store4<TS, TV>(s + 4 * bk, l, a40, a41, a42, a43);
        Store4<TS, TV>(s + 5 * bk, l, a50, a51, a52, a53);
    }

    // o (6 × 4L, row stride dp) = o · corr[row] + p (6 × bk, row stride bk) · v (bk × 4L, row stride dp).
    private static void ValueTile<TS, TV>(float* p, int bk, float* v, int dp, float* o, float* corr) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes;
        float* o1 = o + dp, o2 = o1 + dp, o3 = o2 + dp, o4 = o3 + dp, o5 = o4 + dp;
        TV c = TS.Splat(corr[0]);
        TV a00 = TS.Mul(TS.Load(o), c), a01 = TS.Mul(TS.Load(o + l), c), a02 = TS.Mul(TS.Load(o + 2 * l), c), a03 = TS.Mul(TS.Load(o + 3 * l), c);
        c = TS.Splat(corr[1]);
        TV a10 = TS.Mul(TS.Load(o1), c), a11 = TS.Mul(TS.Load(o1 + l), c), a12 = TS.Mul(TS.Load(o1 + 2 * l), c), a13 = TS.Mul(TS.Load(o1 + 3 * l), c);
        c = TS.Splat(corr[2]);
        TV a20 = TS.Mul(TS.Load(o2), c), a21 = TS.Mul(TS.Load(o2 + l), c), a22 = TS.Mul(TS.Load(o2 + 2 * l), c), a23 = TS.Mul(TS.Load(o2 + 3 * l), c);
        c = TS.Splat(corr[3]);
        TV a30 = TS.Mul(TS.Load(o3), c), a31 = TS.Mul(TS.Load(o3 + l), c), a32 = TS.Mul(TS.Load(o3 + 2 * l), c), a33 = TS.Mul(TS.Load(o3 + 3 * l), c);
        c = TS.Splat(corr[4]);
        TV a40 = TS.Mul(TS.Load(o4), c), a41 = TS.Mul(TS.Load(o4 + l), c), a42 = TS.Mul(TS.Load(o4 + 2 * l), c), a43 = TS.Mul(TS.Load(o4 + 3 * l), c);
        c = TS.Splat(corr[5]);
        TV a50 = TS.Mul(TS.Load(o5), c), a51 = TS.Mul(TS.Load(o5 + l), c), a52 = TS.Mul(TS.Load(o5 + 2 * l), c), a53 = TS.Mul(TS.Load(o5 + 3 * l), c);
        float* p1 = p + bk, p2 = p1 + bk, p3 = p2 + bk, p4 = p3 + bk, p5 = p4 + bk;
        for (int j = 0; j < bk; j++)
        {
            float* vr = v + (long)j * dp;
            TV v0 = TS.Load(vr), v1 = TS.Load(vr + l), v2 = TS.Load(vr + 2 * l), v3 = TS.Load(vr + 3 * l);
            TV x = TS.Splat(p[j]);
            a00 = TS.Fma(x, v0, a00); a01 = TS.Fma(x, v1, a01); a02 = TS.Fma(x, v2, a02); a03 = TS.Fma(x, v3, a03);
            x = TS.Splat(p1[j]);
            a10 = TS.Fma(x, v0, a10); a11 = TS.Fma(x, v1, a11); a12 = TS.Fma(x, v2, a12); a13 = TS.Fma(x, v3, a13);
            x = TS.Splat(p2[j]);
            a20 = TS.Fma(x, v0, a20); a21 = TS.Fma(x, v1, a21); a22 = TS.Fma(x, v2, a22); a23 = TS.Fma(x, v3, a23);
            x = TS.Splat(p3[j]);
            a30 = TS.Fma(x, v0, a30); a31 = TS.Fma(x, v1, a31); a32 = TS.Fma(x, v2, a32); a33 = TS.Fma(x, v3, a33);
            x = TS.Splat(p4[j]);
            a40 = TS.Fma(x, v0, a40); a41 = TS.Fma(x, v1, a41); a42 = TS.Fma(x, v2, a42); a43 = TS.Fma(x, v3, a43);
            x = TS.Splat(p5[j]);
            a50 = TS.Fma(x, v0, a50); a51 = TS.Fma(x, v1, a51); a52 = TS.Fma(x, v2, a52); a53 = TS.Fma(x, v3, a53);
        }
        Store4<TS, TV>(o, l, a00, a01, a02, a03);
        Store4<TS, TV>(o1, l, a10, a11, a12, a13);
        Store4<TS, TV>(o2, l, a20, a21, a22, a23);
        Store4<TS, TV>(o3, l, a30, a31, a32, a33);
        Store4<TS, TV>(o4, l, a40, a41, a42, a43);
        Store4<TS, TV>(o5, l, a50, a51, a52, a53);
    }

    private static void Store4<TS, TV>(float* p, int l, TV a, TV b, TV c, TV d) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TS.Store(p, a);
        TS.Store(p + l, b);
        TS.Store(p + 2 * l, c);
        TS.Store(p + 3 * l, d);
    }
}
