// The forward plan (issue 11 item 4): what a forward allocates and when the host waits.
//   weights      uploaded once, at load.
//   activations  one Arena, rented from the device pool at the first forward for its batch and the model's fixed S
//                (one per input shape): every activation of the ViT, the heads, the upscale chain and the
//                masked-attention grid logits. A smaller batch takes leading views of it; only a larger batch
//                replaces it.
//   temporaries  kernels keep theirs in device.Scratch, one buffer per purpose sized by its first call (the masked
//                attention's N×N byte mask on the GPU path, the semantic map's class probabilities and, off the
//                host, its upsampled mask logits, the host transposed convolution's taps); host versions use stack or
//                ArrayPool memory.
//   host syncs   none: Forward and SemanticMap launch kernels only and read nothing back (an OpProfiler, when set,
//                synchronises at every mark); the caller's read of an output is the one wait.
//   fusion       GELU is fc1's epilogue, LayerScale + residual the epilogue of out_proj and fc2; LayerNorm computes
//                mean and variance in one pass over the row.
// tests/NativeEngine.Models.Tests/ForwardPlanTests checks the first four with ComputeDevice.Counters (after one
// warm-up forward: 0 allocations, 0 pool tensors, 0 host syncs). A CUDA graph of the window forward is not built: no
// GPU measurement yet shows the launch overhead it would save.
using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Models.Eomt;

/// <summary>
/// The model's outputs, named as Hugging Face's. They are views into the model's activation arena: valid until the next
/// <see cref="EomtModel.Forward"/>; copy them (ToHostFloat, CopyTo) to keep them.
/// </summary>
/// <param name="ClassQueriesLogits">(B, Q, K+1); the last class is "no object".</param>
/// <param name="MasksQueriesLogits">(B, Q, M, M), M = G·2^upscale blocks (S/4 for patch 16).</param>
/// <param name="LastHiddenState">(B, Q+1+R+G², C): the final LayerNorm's output, as HF's last_hidden_state.</param>
public sealed record EomtOutput(Tensor ClassQueriesLogits, Tensor MasksQueriesLogits, Tensor LastHiddenState);

/// <summary>
/// EoMT inference (eomt.md): a DINOv2-style ViT with registers whose last L2 blocks also carry Q learned queries,
/// then class and mask heads. Weights uploaded once; one activation arena sized by the largest batch, reused by every
/// forward (no allocation and no host sync in steady state: the plan at the top of this file). <see cref="Precision"/>:
/// the ViT blocks' matmuls (qkv, out_proj, fc1/gate, fc2) and attention run in the chosen precision, their weights
/// stored on the device in its type (bf16/fp16: rounded once at load); the patch embedding, LayerNorms, the class and
/// mask heads and everything after them stay float32.
/// </summary>
public sealed class EomtModel : IDisposable
{
    // Every transform between checkpoint tensors (HF names, eomt.md §5.2) and engine tensors, listed once:
    //   layers.i.attention.{q,k,v}_proj.{weight,bias}  → rows concatenated [q; k; v] → qkv (3C, C), (3C): timm's fused qkv
    //   layers.i.mlp.weights_in (2H, C), (2H)         → rows [0, H) gate (SiLU), rows [H, 2H) value   (SwiGLU, gate first)
    //   embeddings.patch_embeddings.projection.weight → (C, 3p²): the 16×16 stride-16 conv as a GEMM over Im2Col columns
    //   embeddings.cls_token (1, 1, C) → (C); embeddings.register_tokens (1, R, C) → (R, C)
    private sealed record Block(Tensor Norm1W, Tensor Norm1B, Tensor QkvW, Tensor QkvB, Tensor OutW, Tensor OutB, Tensor Ls1,
        Tensor Norm2W, Tensor Norm2B, Tensor Fc1W, Tensor Fc1B, Tensor? GateW, Tensor? GateB, Tensor Fc2W, Tensor Fc2B, Tensor Ls2);

    private sealed record Upscale(Tensor ConvW, Tensor ConvB, Tensor DepthW, Tensor NormW, Tensor NormB);

    private readonly ComputeDevice device;
    private readonly List<Tensor> owned = [];
    private readonly Tensor patchW, patchB, pos, cls, registers, query, normW, normB, classW, classB;
    private readonly Tensor[] maskW = new Tensor[3], maskB = new Tensor[3];
    private readonly Block[] blocks;
    private readonly Upscale[] upscale;
    private readonly bool[] maskedBlock;
    private Arena? arena;

    /// <summary>The architecture.</summary>
    public EomtConfig Config { get; }

    /// <summary>The device holding the weights and activations.</summary>
    public ComputeDevice Device => device;

    /// <summary>The precision of the ViT blocks' matmuls and attention (fp32 unless loaded otherwise).</summary>
    public Precision Precision { get; }

    /// <summary>
    /// When set, every op runs its plain version (<see cref="IOp.Plain"/>): the reference path `bench forward` checks
    /// the table's picks against. Off: the op table picks per device.
    /// </summary>
    public bool Plain { get; set; }

    private OpVersion? V(IOp op) => Plain ? op.Plain : null;

    // The ops that run in the model's precision: the plain versions compute in fp32 only, so a reduced-precision model
    // lets the table pick even when Plain is set.
    private OpVersion? VP(IOp op) => Precision == Precision.Fp32 ? V(op) : null;

    /// <summary>When set, every op group is timed per kernel family (see <see cref="OpProfiler"/>).</summary>
    public OpProfiler? Profiler { get; set; }

    /// <summary>True when some query block runs the deterministic masked attention (attn_mask_probs = 1).</summary>
    public bool UsesMaskedAttention => maskedBlock.Any(m => m);

    private int C => Config.HiddenSize;
    private int Prefix => 1 + Config.RegisterTokens;               // CLS + registers
    private int Tokens0 => Prefix + Config.Grid * Config.Grid;      // N before the queries
    private int Tokens1 => Config.Queries + Tokens0;                // N after the queries
    private int FirstQueryBlock => Config.Layers - Config.QueryBlocks;

    private EomtModel(ComputeDevice device, IEomtWeightSource source, Precision precision)
    {
        this.device = device;
        Config = source.Config;
        Precision = precision;
        var c = Config;
        int p = c.PatchSize, g2 = c.Grid * c.Grid, hid = c.MlpHidden;
        if (c.HiddenSize % c.Heads != 0) throw new InvalidDataException($"{source.Origin}: hidden size {c.HiddenSize} is not a multiple of {c.Heads} heads");
        if (c.QueryBlocks < 1 || c.QueryBlocks > c.Layers) throw new InvalidDataException($"{source.Origin}: num_blocks {c.QueryBlocks} must be in 1..{c.Layers}");
        var w = new WeightPath(source, device);
        Tensor Up(float[] data, params int[] dims) => Keep(Tensor.FromHost(device, new Shape(dims), data));
        Tensor Load(WeightPath at, string name, params int[] dims) => Keep(at.Load(name, dims));
        // A ViT-block matmul weight in the precision's storage type: bf16/fp16 rounded once here (to nearest even, the
        // rounding the tensor cores' operands get), so the device never holds a float32 copy.
        var wtype = precision.WeightType();
        Tensor MatW(float[] data, params int[] dims) => wtype == DType.Float32 ? Up(data, dims)
            : Keep(Tensor.FromSpan<ushort>(device, new Shape(dims), HalfConvert.ToBits(data, wtype), wtype));

        var e = w.Sub("embeddings");
        patchW = Up(e.Host("patch_embeddings.projection.weight", C, 3, p, p), C, 3 * p * p);
        patchB = Load(e, "patch_embeddings.projection.bias", C);
        pos = Load(e, "position_embeddings.weight", g2, C);
        cls = Up(e.Host("cls_token", 1, 1, C), C);
        registers = Up(e.Host("register_tokens", 1, c.RegisterTokens, C), c.RegisterTokens, C);
        blocks = new Block[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            var l = w.Sub($"layers.{i}");
            var a = l.Sub("attention");
            float[] qkvW = [.. a.Host("q_proj.weight", C, C), .. a.Host("k_proj.weight", C, C), .. a.Host("v_proj.weight", C, C)];
            float[] qkvB = [.. a.Host("q_proj.bias", C), .. a.Host("k_proj.bias", C), .. a.Host("v_proj.bias", C)];
            Tensor fc1W, fc1B, fc2W, fc2B;
            Tensor? gateW = null, gateB = null;
            if (c.SwiGlu)
            {
                var win = l.Host("mlp.weights_in.weight", 2 * hid, C);
                var bin = l.Host("mlp.weights_in.bias", 2 * hid);
                gateW = MatW(win[..(hid * C)], hid, C);
                gateB = Up(bin[..hid], hid);
                fc1W = MatW(win[(hid * C)..], hid, C);
                fc1B = Up(bin[hid..], hid);
                fc2W = MatW(l.Host("mlp.weights_out.weight", C, hid), C, hid);
                fc2B = Load(l, "mlp.weights_out.bias", C);
            }
            else
            {
                fc1W = MatW(l.Host("mlp.fc1.weight", hid, C), hid, C);
                fc1B = Load(l, "mlp.fc1.bias", hid);
                fc2W = MatW(l.Host("mlp.fc2.weight", C, hid), C, hid);
                fc2B = Load(l, "mlp.fc2.bias", C);
            }
            blocks[i] = new Block(Load(l, "norm1.weight", C), Load(l, "norm1.bias", C), MatW(qkvW, 3 * C, C), Up(qkvB, 3 * C),
                MatW(a.Host("out_proj.weight", C, C), C, C), Load(a, "out_proj.bias", C), Load(l, "layer_scale1.lambda1", C),
                Load(l, "norm2.weight", C), Load(l, "norm2.bias", C), fc1W, fc1B, gateW, gateB, fc2W, fc2B, Load(l, "layer_scale2.lambda1", C));
        }
        normW = Load(w, "layernorm.weight", C);
        normB = Load(w, "layernorm.bias", C);
        query = Load(w, "query.weight", c.Queries, C);
        classW = Load(w, "class_predictor.weight", c.Classes + 1, C);
        classB = Load(w, "class_predictor.bias", c.Classes + 1);
        for (int j = 0; j < 3; j++)
        {
            maskW[j] = Load(w, $"mask_head.fc{j + 1}.weight", C, C);
            maskB[j] = Load(w, $"mask_head.fc{j + 1}.bias", C);
        }
        upscale = new Upscale[c.UpscaleBlocks];
        for (int j = 0; j < c.UpscaleBlocks; j++)
        {
            var u = w.Sub($"upscale_block.block.{j}");
            upscale[j] = new Upscale(Load(u, "conv1.weight", C, C, 2, 2), Load(u, "conv1.bias", C), Load(u, "conv2.weight", C, 1, 3, 3),
                Load(u, "layernorm2d.weight", C), Load(u, "layernorm2d.bias", C));
        }
        maskedBlock = MaskedBlocks(source);
    }

    /// <summary>Builds the model from a weight source (shapes checked, weights uploaded once, the ViT blocks' matmul
    /// weights in <paramref name="precision"/>'s storage type).</summary>
    public static EomtModel Load(ComputeDevice device, IEomtWeightSource source, Precision precision = Precision.Fp32) =>
        new(device, source, precision);

    /// <summary>Opens a checkpoint (file or HF folder; <paramref name="configPath"/>: its config.json when it has none) and builds the model.</summary>
    public static EomtModel Load(ComputeDevice device, string path, string? configPath = null, Precision precision = Precision.Fp32)
    {
        using var source = EomtWeights.Open(path, configPath);
        return Load(device, source, precision);
    }

    // attn_mask_probs: 0 → plain attention; 1 → the deterministic masked attention of eomt.md §2.2 (as both reference
    // implementations do at p = 1); anything in between is random per query at inference in the references: refused.
    private static bool[] MaskedBlocks(IEomtWeightSource source)
    {
        var probs = EomtWeights.AttnMaskProbs(source);
        if (probs.Length != source.Config.QueryBlocks)
            throw new InvalidDataException($"{source.Origin}: attn_mask_probs has {probs.Length} values, expected num_blocks = {source.Config.QueryBlocks}");
        for (int j = 0; j < probs.Length; j++)
            if (probs[j] != 0f && probs[j] != 1f)
                throw new NotSupportedException(
                    $"{source.Origin}: attn_mask_probs[{j}] = {probs[j]}: between 0 and 1 the reference implementations keep each query's attention " +
                    "mask at random (training-time mask annealing), so inference is not deterministic; only 0 (plain attention, released checkpoints) " +
                    "or 1 (deterministic masked attention) are supported");
        return probs.Select(v => v == 1f).ToArray();
    }

    // Weights are constant once loaded: the host GEMM may then keep their packed panels (Tensor.MarkConstant).
    private Tensor Keep(Tensor t)
    {
        owned.Add(t);
        return t.MarkConstant();
    }

    /// <summary>
    /// Runs the model on normalised pixels (B, 3, S, S). <paramref name="probe"/>, when given, sees the intermediate
    /// activations by name (embeddings, layers.{i}, intermediate.{j}.*, mask_embeddings, upscale.{j}) while they are live.
    /// </summary>
    public EomtOutput Forward(Tensor pixelValues, Action<string, Tensor>? probe = null)
    {
        var c = Config;
        int s = c.ImageSize;
        if (pixelValues.Shape.Rank != 4 || pixelValues.Shape[1] != 3 || pixelValues.Shape[2] != s || pixelValues.Shape[3] != s)
            throw new ArgumentException($"pixel_values: expected (B, 3, {s}, {s}), got {pixelValues.Shape} (the position embedding is fixed to {s}x{s}; no interpolation)");
        int b = pixelValues.Shape[0];
        if (arena is null || arena.Capacity < b)
        {
            arena?.Dispose();
            arena = new Arena(this, b);
        }
        var a = arena;
        a.Use(b);
        Profiler?.Start();
        PatchEmbed.Im2Col(pixelValues, a.Cols, c.PatchSize, V(PatchEmbed.Op));
        Gemm.Linear(a.Cols, patchW, patchB, a.Patches, V(Gemm.Op));
        Kernels.Tokens.Assemble(a.Patches, pos, cls, registers, a.Tokens, V(Kernels.Tokens.AssembleOp));
        Mark("patch embed + tokens");
        probe?.Invoke("embeddings", a.Tokens);
        var x = a.Tokens;
        for (int i = 0; i < c.Layers; i++)
        {
            Tensor? allowed = null, grid = null;
            if (i == FirstQueryBlock)
            {
                Kernels.Tokens.InsertQueries(x, query, a.Hidden, V(Kernels.Tokens.InsertQueriesOp)); // [Q | CLS | registers | patches]
                x = a.Hidden;
                Mark("patch embed + tokens");
            }
            if (i >= FirstQueryBlock && maskedBlock[i - FirstQueryBlock])
            {
                // attention_patch_masked: the host version reads the mask from the grid logits; the GPU versions
                // build it as N×N bytes first.
                grid = QueryGrid(x, i - FirstQueryBlock, probe);
                Mark("masked-attention mask");
            }
            RunBlock(blocks[i], x, allowed, grid);
            probe?.Invoke($"layers.{i}", x);
        }
        LayerNorm.Forward(x, normW, normB, a.Normed, c.LayerNormEps, V(LayerNorm.Op));
        Mark("layernorm");
        Predict(a.Normed, probe);
        return new EomtOutput(a.Cls, a.Masks, a.Normed);
    }

    /// <summary>
    /// The per-pixel class scores of eomt.md §4.2 steps 4-5 into <paramref name="map"/> (B, K, S, S): mask logits
    /// bilinearly upsampled to S (align_corners=False), sigmoid, weighted by softmax over K+1 with no-object dropped
    /// (not renormalised), summed over the queries.
    /// </summary>
    public void SemanticMap(EomtOutput output, Tensor map)
    {
        var a = arena ?? throw new InvalidOperationException("SemanticMap needs a Forward first");
        int s = Config.ImageSize;
        map.Expect("semantic_map", a.Batch, Config.Classes, s, s);
        Kernels.SemanticMap.ForwardUpsampled(output.MasksQueriesLogits, output.ClassQueriesLogits, map, V(Kernels.SemanticMap.UpsampledOp));
        Mark("semantic map");
    }

    /// <summary>
    /// The final layer's patch tokens after the backbone norm as a feature map <paramref name="features"/> (B, C, G, G):
    /// what the hybrid anomaly head reads (seed.md §1.4: query and prefix tokens dropped, before the upscale blocks).
    /// <paramref name="output"/> must be this model's latest <see cref="Forward"/>.
    /// </summary>
    public void PatchFeatures(EomtOutput output, Tensor features)
    {
        var y = output.LastHiddenState;
        features.Expect("patch features", y.Shape[0], C, Config.Grid, Config.Grid);
        Kernels.Tokens.ToFeatureMap(y, Config.Queries + Prefix, features);
    }

    // One pre-norm block: x += ls1 ⊙ Attn(LN1(x)); x += ls2 ⊙ MLP(LN2(x)). x is (B, N, C), updated in place by the
    // projections' LayerScale + residual epilogue; GELU is fc1's epilogue, so no activation makes a pass of its own.
    private void RunBlock(Block w, Tensor x, Tensor? allowed, Tensor? grid)
    {
        var a = arena!;
        int b = x.Shape[0], n = x.Shape[1], hid = Config.MlpHidden;
        var h = View(a.Branch, b, n, C);
        var qkv = View(a.Qkv, b, n, 3 * C);
        var att = View(a.Attn, b, n, C);
        var mlp = View(a.Mlp, b, n, hid);
        // LN1 → qkv in one op: on the host the LayerNorm runs inside the GEMM's A packing (h is then untouched).
        LayerNormLinear.Forward(x, w.Norm1W, w.Norm1B, Config.LayerNormEps, w.QkvW, w.QkvB, qkv, h, GemmEpilogue.None,
            VP(LayerNormLinear.Op), V(LayerNorm.Op), VP(Gemm.Op), Precision);
        Mark("gemm");
        if (grid is not null)
            Attention.ForwardQueryPatchMasked(qkv, att, Config.Heads, grid, Config.Queries + Prefix, VP(Attention.PatchMaskedOp), Precision);
        else
            Attention.Forward(qkv, att, Config.Heads, allowed, VP(Attention.Op), Precision);
        Mark("attention");
        Gemm.LinearLayerScale(att, w.OutW, w.OutB, w.Ls1, x, x, VP(Gemm.Op), Precision); // x += ls1 ⊙ proj(att), fused
        Mark("gemm");
        if (w.GateW is null)
        {
            // LN2 → fc1 → GELU in one op (LayerNorm in the host GEMM's A packing, GELU its epilogue).
            LayerNormLinear.Forward(x, w.Norm2W, w.Norm2B, Config.LayerNormEps, w.Fc1W, w.Fc1B, mlp, h, GemmEpilogue.Gelu,
                VP(LayerNormLinear.Op), V(LayerNorm.Op), VP(Gemm.Op), Precision);
            Mark("gemm");
        }
        else
        {
            LayerNorm.Forward(x, w.Norm2W, w.Norm2B, h, Config.LayerNormEps, V(LayerNorm.Op));
            Mark("layernorm");
            Gemm.Linear(h, w.Fc1W, w.Fc1B, mlp, VP(Gemm.Op), Precision);
            Gemm.Linear(h, w.GateW, w.GateB, View(a.Gate!, b, n, hid), VP(Gemm.Op), Precision);
            Mark("gemm");
            Activation.SiLUMul(View(a.Gate!, b, n, hid), mlp, mlp, V(Activation.SiLUMulOp)); // silu(first half) · second half
            Mark("activation");
        }
        Gemm.LinearLayerScale(mlp, w.Fc2W, w.Fc2B, w.Ls2, x, x, VP(Gemm.Op), Precision); // x += ls2 ⊙ fc2(mlp), fused
        Mark("gemm");
    }

    // Heads on the final-normed sequence y (B, N1, C) → arena Cls (B, Q, K+1) and Masks (B, Q, M, M).
    private void Predict(Tensor y, Action<string, Tensor>? probe)
    {
        var a = arena!;
        var c = Config;
        Kernels.Tokens.SliceTokens(y, 0, a.Queries, V(Kernels.Tokens.SliceOp));
        Gemm.Linear(a.Queries, classW, classB, a.Cls, V(Gemm.Op));
        Gemm.Linear(a.Queries, maskW[0], maskB[0], a.Embed1, GemmEpilogue.Gelu, V(Gemm.Op));
        Gemm.Linear(a.Embed1, maskW[1], maskB[1], a.Embed2, GemmEpilogue.Gelu, V(Gemm.Op));
        Gemm.Linear(a.Embed2, maskW[2], maskB[2], a.Embed1, V(Gemm.Op));
        Mark("heads: class + mask MLP");
        probe?.Invoke("mask_embeddings", a.Embed1);
        int g = c.Grid, b = a.Batch;
        var feat = View(a.FeatA, b, C, g, g);
        Kernels.Tokens.ToFeatureMap(y, c.Queries + Prefix, feat, V(Kernels.Tokens.ToFeatureMapOp));
        for (int j = 0; j < upscale.Length; j++, g *= 2)
        {
            var u = upscale[j];
            var up = View(a.FeatB, b, C, 2 * g, 2 * g);
            var dw = View(a.FeatC, b, C, 2 * g, 2 * g);
            ConvTranspose2x2.Forward(feat, u.ConvW, u.ConvB, up, V(ConvTranspose2x2.Op));
            Activation.GeluErf(up, up, V(Activation.GeluErfOp));
            DepthwiseConv3x3.Forward(up, u.DepthW, dw);
            feat = View(a.FeatA, b, C, 2 * g, 2 * g);
            LayerNorm2d.Forward(dw, u.NormW, u.NormB, feat, 1e-6f);
            Mark("heads: upscale");
            probe?.Invoke($"upscale.{j}", feat);
        }
        MaskLogits.Compute(a.Embed1, feat, a.Masks, V(MaskLogits.Op));
        Mark("mask logits");
    }

    // eomt.md §2.2: intermediate predictions from the final norm of the block's input, mask logits bilinearly
    // downsampled to the patch grid (B, Q, G, G); queries may attend to a patch only where that logit is > 0.
    private Tensor QueryGrid(Tensor x, int j, Action<string, Tensor>? probe)
    {
        var a = arena!;
        var c = Config;
        LayerNorm.Forward(x, normW, normB, a.Normed, c.LayerNormEps, V(LayerNorm.Op));
        Predict(a.Normed, null);
        probe?.Invoke($"intermediate.{j}.class_queries_logits", a.Cls);
        probe?.Invoke($"intermediate.{j}.masks_queries_logits", a.Masks);
        Bilinear.Resize(a.Masks, a.Grid!);
        return a.Grid!;
    }

    private void Mark(string family) => Profiler?.Mark(family);

    private static Tensor View(Tensor flat, params int[] dims)
    {
        long n = 1;
        foreach (var d in dims) n *= d;
        return flat.Slice(0, (int)n).Reshape(dims);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        arena?.Dispose();
        arena = null;
        foreach (var t in owned) t.Dispose();
        owned.Clear();
    }

    // Every activation of one forward, allocated once for the largest batch seen (its capacity) from the device pool;
    // a smaller batch uses leading views (Use), so a pipeline whose last batch of windows is short reallocates nothing.
    // Blocks before the query injection use leading views of the N1-sized buffers. Flat buffers so a view can take any
    // shape that fits. Grid (the masked-attention grid logits, only when some block is masked) is planned here too; the
    // semantic map needs no S×S buffer here (semantic_map_upsampled: fused on the host, a workspace buffer elsewhere).
    private sealed class Arena : IDisposable
    {
        private readonly List<Tensor> all = [];
        private readonly Tensor cols, patches, tokens, hidden, normed, queries, cls, embed1, embed2, masks;
        private readonly Tensor? grid;
        public readonly int Capacity;
        public readonly Tensor Branch, Qkv, Attn, Mlp, FeatA, FeatB, FeatC;
        public readonly Tensor? Gate;

        public Arena(EomtModel m, int b)
        {
            var c = m.Config;
            int cc = c.HiddenSize, n1 = m.Tokens1, g2 = c.Grid * c.Grid, ms = c.MaskSize;
            Capacity = b;
            Tensor T(params int[] dims) => Add(Tensor.Empty(m.device, new Shape(dims)));
            Tensor Flat(long n) => T(checked((int)n));
            cols = T(b, g2, 3 * c.PatchSize * c.PatchSize);
            patches = T(b, g2, cc);
            tokens = T(b, m.Tokens0, cc);
            hidden = T(b, n1, cc);
            normed = T(b, n1, cc);
            Branch = Flat((long)b * n1 * cc);
            Qkv = Flat((long)b * n1 * 3 * cc);
            Attn = Flat((long)b * n1 * cc);
            Mlp = Flat((long)b * n1 * c.MlpHidden);
            Gate = c.SwiGlu ? Flat((long)b * n1 * c.MlpHidden) : null;
            queries = T(b, c.Queries, cc);
            embed1 = T(b, c.Queries, cc);
            embed2 = T(b, c.Queries, cc);
            cls = T(b, c.Queries, c.Classes + 1);
            FeatA = Flat((long)b * cc * ms * ms);
            FeatB = Flat((long)b * cc * ms * ms);
            FeatC = Flat((long)b * cc * ms * ms);
            masks = T(b, c.Queries, ms, ms);
            grid = m.UsesMaskedAttention ? T(b, c.Queries, c.Grid, c.Grid) : null;
            Use(b);
        }

        // Views of the current batch (leading rows of the capacity-sized tensors); set by Use.
        public int Batch { get; private set; } = -1;
        public Tensor Cols { get; private set; } = null!;
        public Tensor Patches { get; private set; } = null!;
        public Tensor Tokens { get; private set; } = null!;
        public Tensor Hidden { get; private set; } = null!;
        public Tensor Normed { get; private set; } = null!;
        public Tensor Queries { get; private set; } = null!;
        public Tensor Cls { get; private set; } = null!;
        public Tensor Embed1 { get; private set; } = null!;
        public Tensor Embed2 { get; private set; } = null!;
        public Tensor Masks { get; private set; } = null!;
        public Tensor? Grid { get; private set; }

        /// <summary>Points the views at the first <paramref name="b"/> ≤ Capacity batch rows.</summary>
        public void Use(int b)
        {
            if (b == Batch) return;
            Batch = b;
            Cols = cols.Slice(0, b);
            Patches = patches.Slice(0, b);
            Tokens = tokens.Slice(0, b);
            Hidden = hidden.Slice(0, b);
            Normed = normed.Slice(0, b);
            Queries = queries.Slice(0, b);
            Cls = cls.Slice(0, b);
            Embed1 = embed1.Slice(0, b);
            Embed2 = embed2.Slice(0, b);
            Masks = masks.Slice(0, b);
            Grid = grid?.Slice(0, b);
        }

        private Tensor Add(Tensor t)
        {
            all.Add(t);
            return t;
        }

        public void Dispose()
        {
            foreach (var t in all) t.Dispose();
        }
    }
}
