// Semantic map (eomt.md §4.2 step 5, §7 "no-object class"):
//   prob[b, q, :] = softmax(classLogits[b, q, 0..K])        (over all K+1 entries, the last being "no object")
//   map[b, k, h, w] = Σ_q prob[b, q, k] · sigmoid(maskLogits[b, q, h, w])   for k < K (no-object dropped, NOT renormalised)
// maskLogits must already be upsampled (sigmoid after interpolation: the two do not commute).
// PyTorch: torch.einsum("bqc,bqhw->bchw", class_logits.softmax(-1)[..., :-1], mask_logits.sigmoid()).
// Both versions first run ClassProbsV1 (one thread per (b, q) row, max-shifted softmax; B·Q·(K+1) values — tiny), then:
//   v1 "thread-per-element": one thread per map element, sigmoid recomputed per class (K× the exps; fine on the CPU simulator).
//   v2 "smem-tile64": the RegisterTile GEMM: map = Pᵀ · σ(M) with A[k, q] = prob[q, k] (k-major) and σ applied while staging the mask
//      tile in shared memory, so sigmoid(mask) is never written to memory and each σ is computed once per 64 classes.
// Napkin math, L-1024 window: Q = 100, K = 19, 1024² pixels: mask 419 MB in, map 80 MB out ≈ 0.15 ms at 3.35 TB/s;
// 2·19·100·1M = 4 GFLOP + 105 M exps: bandwidth bound. Fusing the bilinear upsample into the mask loader would read the
// 26 MB low-resolution logits instead of 419 MB.
// semantic_map_upsampled: the same map from the LOW-resolution mask logits (B, Q, h, w) bilinearly upsampled to the map's
// (H, W) first (eomt.md §4.2 steps 4-5: F.interpolate(align_corners=False), then sigmoid and the class sum):
//   "resize-then-map": bilinear_resize into a kept (B, Q, H, W) workspace buffer, then semantic_map (any device);
//   host: the taps, σ and the class sum per 64-pixel tile (SemanticMapHost.cs): the upsampled logits never exist.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>EoMT's per-pixel class scores: class softmax (no-object dropped) × mask sigmoid, summed over queries.</summary>
public static partial class SemanticMap
{
    [Kernel("class_probs", Version = "v1 one thread per (b, q) row")]
    internal static void ClassProbsV1(Index1D row, ArrayView<float> logits, ArrayView<float> probs, int width)
    {
        int o = row * width;
        float m = float.NegativeInfinity;
        for (int k = 0; k < width; k++) m = XMath.Max(m, logits[o + k]);
        float sum = 0f;
        for (int k = 0; k < width; k++)
        {
            float e = XMath.Exp(logits[o + k] - m);
            probs[o + k] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int k = 0; k < width; k++) probs[o + k] *= inv;
    }

    [Kernel("semantic_map", Version = "v1 one thread per map element")]
    internal static void MapV1(Index1D i, ArrayView<float> probs, ArrayView<float> masks, ArrayView<float> map,
        int q, int classes, int pixels)
    {
        int p = i % pixels, k = (i / pixels) % classes, b = i / (pixels * classes);
        float acc = 0f;
        for (int j = 0; j < q; j++)
        {
            float s = 1f / (1f + XMath.Exp(-masks[(b * q + j) * pixels + p]));
            acc += probs[(b * q + j) * (classes + 1) + k] * s;
        }
        map[i] = acc;
    }

    [Kernel("semantic_map", Version = "v2 shared-memory tile GEMM, sigmoid fused into the mask tile load",
        GroupX = 16, GroupY = 16, TileX = RegisterTile.Tile, TileY = RegisterTile.Tile, TileZ = 1)]
    internal static void MapV2(ArrayView<float> probs, ArrayView<float> masks, ArrayView<float> map, int q, int classes, int pixels)
    {
        var tileA = SharedMemory.Allocate<float>(RegisterTile.ASize);
        var tileB = SharedMemory.Allocate<float>(RegisterTile.BSize);
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * 16 + tx;
        int n0 = Grid.IdxX * RegisterTile.Tile, m0 = Grid.IdxY * RegisterTile.Tile, b = Grid.IdxZ;
        var acc = default(Tile4x4);
        for (int k0 = 0; k0 < q; k0 += RegisterTile.Depth)
        {
            // A[k, j] = prob[b, j, k]: k-major with leading dim K+1; the no-object column is simply never a row.
            RegisterTile.LoadAKMajor(tileA, probs, b * q * (classes + 1), classes + 1, classes, q, m0, k0, tid);
            RegisterTile.LoadB(tileB, masks, b * q * pixels, pixels, q, k0, n0, tid, 1);
            Group.Barrier();
            RegisterTile.Accumulate(ref acc, tileA, tileB, tx, ty);
            Group.Barrier();
        }
        RegisterTile.StoreRowMajor(ref acc, map, b * classes * pixels, classes, pixels, m0, n0, tx, ty);
    }

    /// <summary>
    /// map (B, K, H, W) = Σ_q softmax(classLogits[b, q, :])[k] · sigmoid(maskLogits[b, q, h, w]) for k &lt; K, from
    /// <paramref name="maskLogits"/> (B, Q, H, W) (already upsampled) and <paramref name="classLogits"/> (B, Q, K+1).
    /// <paramref name="version"/> forces one of <see cref="Op"/>'s versions; null lets the table pick.
    /// </summary>
    public static void Forward(Tensor maskLogits, Tensor classLogits, Tensor map, OpVersion? version = null)
    {
        if (maskLogits.Shape.Rank != 4) throw new ArgumentException($"semantic map: maskLogits must be (B, Q, H, W), got {maskLogits.Shape}");
        int b = maskLogits.Shape[0], q = maskLogits.Shape[1], h = maskLogits.Shape[2], w = maskLogits.Shape[3];
        if (classLogits.Shape.Rank != 3 || classLogits.Shape[0] != b || classLogits.Shape[1] != q || classLogits.Shape[2] < 1)
            throw new ArgumentException($"semantic map: classLogits must be (B={b}, Q={q}, K+1), got {classLogits.Shape}");
        int k = classLogits.Shape[2] - 1;
        map.Expect("semantic map", b, k, h, w);
        Int32Extent.Check(maskLogits, "semantic map maskLogits");
        Int32Extent.Check(map, "semantic map");
        if (map.Length == 0) return;
        Op.Run(maskLogits.Device, new SemanticMapArgs(maskLogits, classLogits, map, b, q, k, h * w), version);
    }

    /// <summary>v1: class softmax per query, then one thread per map element.</summary>
    public static readonly OpVersion<SemanticMapArgs> ThreadPerElement = new("semantic_map", "thread-per-element", VersionKind.Simple,
        "class softmax (thread per query), then one thread per map element, Q-loop", ["SemanticMap.ClassProbsV1", "SemanticMap.MapV1"],
        a => WithProbs(a, probs => LaunchMapV1(a.Map.Device, (int)a.Map.Length, probs.View, a.MaskLogits.View, a.Map.View, a.Q, a.K, a.Hw)));

    /// <summary>v2: class softmax, then a shared-memory tile GEMM with the sigmoid fused into the mask tile load.</summary>
    public static readonly OpVersion<SemanticMapArgs> SmemTile64 = new("semantic_map", "smem-tile64", VersionKind.Grouped,
        "class softmax, then a shared-memory tile GEMM with the sigmoid fused into the mask tile load", ["SemanticMap.ClassProbsV1", "SemanticMap.MapV2"],
        a => WithProbs(a, probs => LaunchMapV2(a.Map.Device, new Index3D(a.Hw, a.K, a.B), probs.View, a.MaskLogits.View, a.Map.View, a.Q, a.K, a.Hw)));

    /// <summary>The op row: a sigmoid per mask logit and a (K × Q)·(Q × HW) GEMM per image; masks read, map written once.</summary>
    public static readonly Op<SemanticMapArgs> Op = new Op<SemanticMapArgs>("semantic_map",
        "map = einsum('bqk,bqhw->bkhw', softmax(class logits)[..., :-1], sigmoid(mask logits)) (EoMT semantic inference)",
        "SemanticRef.Map", a => 2.0 * a.B * a.K * a.Q * a.Hw + 4.0 * a.MaskLogits.Length,
        a => 4.0 * ((double)a.MaskLogits.Length + a.ClassLogits.Length + a.Map.Length), ThreadPerElement, SmemTile64)
        .WithHost(a => SemanticMapHost.Forward(a.MaskLogits, a.ClassLogits, a.Map));

    // The class probabilities (B, Q, K+1) both versions read, in the device's kept scratch (no allocation per call).
    private static void WithProbs(SemanticMapArgs a, Action<Tensor> map)
    {
        var probs = a.Map.Device.Scratch.Get("semantic_map.class_probs", a.ClassLogits.Shape);
        if (a.Q > 0) LaunchClassProbsV1(a.Map.Device, a.B * a.Q, a.ClassLogits.View, probs.View, a.K + 1);
        map(probs);
    }
}

public static partial class SemanticMap
{
    /// <summary>
    /// map (B, K, H, W) = <see cref="Forward"/> of <paramref name="maskLogits"/> (B, Q, h, w) bilinearly resized to
    /// (H, W) (F.interpolate, align_corners=False) with <paramref name="classLogits"/> (B, Q, K+1): EoMT's semantic
    /// inference from the mask head's output. <paramref name="version"/> forces one of <see cref="UpsampledOp"/>'s versions.
    /// </summary>
    public static void ForwardUpsampled(Tensor maskLogits, Tensor classLogits, Tensor map, OpVersion? version = null)
    {
        if (maskLogits.Shape.Rank != 4) throw new ArgumentException($"semantic map: maskLogits must be (B, Q, h, w), got {maskLogits.Shape}");
        int b = maskLogits.Shape[0], q = maskLogits.Shape[1];
        if (classLogits.Shape.Rank != 3 || classLogits.Shape[0] != b || classLogits.Shape[1] != q || classLogits.Shape[2] < 1)
            throw new ArgumentException($"semantic map: classLogits must be (B={b}, Q={q}, K+1), got {classLogits.Shape}");
        int k = classLogits.Shape[2] - 1;
        if (map.Shape.Rank != 4 || map.Shape[0] != b || map.Shape[1] != k)
            throw new ArgumentException($"semantic map: map must be (B={b}, K={k}, H, W), got {map.Shape}");
        if ((maskLogits.Shape[2] == 0 || maskLogits.Shape[3] == 0) && map.Length > 0)
            throw new ArgumentException($"semantic map: cannot upsample empty mask logits {maskLogits.Shape} to {map.Shape[2]}x{map.Shape[3]}");
        Int32Extent.Check(maskLogits, "semantic map maskLogits");
        Int32Extent.Check(map, "semantic map");
        if (map.Length == 0) return;
        UpsampledOp.Run(maskLogits.Device, new SemanticMapUpsampledArgs(maskLogits, classLogits, map, b, q, k,
            maskLogits.Shape[2], maskLogits.Shape[3], map.Shape[2], map.Shape[3]), version);
    }

    /// <summary>
    /// The op row of the upsampled semantic map: the map's FLOPs plus the resize's and a sigmoid per upsampled logit; bytes
    /// as fused (low-resolution logits read, map written), what the host version moves.
    /// </summary>
    public static readonly Op<SemanticMapUpsampledArgs> UpsampledOp = new Op<SemanticMapUpsampledArgs>("semantic_map_upsampled",
        "map = semantic_map(F.interpolate(mask logits, (H, W), mode='bilinear', align_corners=False), class logits)",
        "SemanticRef.MapUpsampled",
        a => (double)a.B * a.Q * a.OutH * a.OutW * (2.0 * a.K + 12),
        a => 4.0 * ((double)a.MaskLogits.Length + a.ClassLogits.Length + a.Map.Length),
        [new("semantic_map_upsampled", "resize-then-map", VersionKind.Simple,
            "bilinear_resize into a kept (B, Q, H, W) workspace buffer, then semantic_map", ["Bilinear.ResizeV1", "SemanticMap.ClassProbsV1", "SemanticMap.MapV1"],
            a =>
            {
                var up = a.Map.Device.Scratch.Get("semantic_map_upsampled.upsampled", new Shape(a.B, a.Q, a.OutH, a.OutW));
                Bilinear.Resize(a.MaskLogits, up);
                Forward(up, a.ClassLogits, a.Map);
            })])
        .WithHost(a => SemanticMapUpsampledHost.Forward(a.MaskLogits, a.ClassLogits, a.Map),
            "bilinear taps, sigmoid and the class sum per 64-pixel tile (the upsampled logits never reach memory), SIMD, all cores");
}

/// <summary>One upsampled semantic-map call: low-resolution mask logits (B, Q, InH, InW), class logits (B, Q, K+1), map (B, K, OutH, OutW).</summary>
public readonly record struct SemanticMapUpsampledArgs(Tensor MaskLogits, Tensor ClassLogits, Tensor Map, int B, int Q, int K,
    int InH, int InW, int OutH, int OutW);

/// <summary>One semantic-map call: mask logits (B, Q, HW), class logits (B, Q, K+1), map (B, K, HW).</summary>
public readonly record struct SemanticMapArgs(Tensor MaskLogits, Tensor ClassLogits, Tensor Map, int B, int Q, int K, int Hw);
