using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Evaluation.Demo;

/// <summary>
/// The built-in small EoMT-EXT of `demo`: NOT TRAINED. Its weights are set by hand so the pipeline gives a meaningful
/// picture: every ViT block is the identity, patch features are the patch's mean colour, and the queries are colour
/// prototypes of the demo scene (its paints and the mixtures of neighbouring paints), so a pixel whose colour no
/// prototype claims lights up. Exactly (c = a colour normalised with the ImageNet mean/std, as the model sees pixels):
/// <list type="bullet">
/// <item>Architecture: C = 48, 2 blocks (the last carries the queries), 2 heads, patch 16, 4 registers, Q = 12
/// queries, K = 19 Cityscapes classes, crop S = 256, 2 upscale blocks, GELU MLP 192.</item>
/// <item>Patch embedding: channels 0–2 = the patch mean of c, channels 3–5 = its negative, bias +K on channel 6 and
/// −K on channel 7 (K = 6); all else 0, as are the position embeddings, CLS and registers. A pixel token
/// x = [c, −c, K, −K, 0…] has mean 0, so the final LayerNorm only rescales it to √C·x/|x|.</item>
/// <item>Blocks: LayerScale λ1 = λ2 = 0 (zero attention and MLP weights, unit norms): each block is the identity.</item>
/// <item>Query j with prototype c_j: u_j = [c_j, −c_j, K, −K, β·e_j, −β·e_j] (β = 1, e_j one-hot in channels 8+j and
/// 8+Q+j). LN(x)·LN(u_j) = C·ρ_j·cos(x, u_j), cos being the cosine between (c, K) and (c_j, K), ρ_j =
/// √(|c_j|²+K²)/√(|c_j|²+K²+β²): with K large against colour differences, a cap around (c_j, K) is a ball of radius
/// ≈ r around c_j (r = 1.2).</item>
/// <item>Mask MLP: fc1 = I with bias +12, fc2 = I (the +12 keeps both exact GELUs linear), fc3 = α·I on channels 0–7
/// with bias −12α, and row 47 reading the one-hot channels so that query j emits −t_j there. The upscale blocks copy
/// each channel to its 2×2 children (transposed conv, bias +12 for GELU), blur with a 3×3 binomial depthwise kernel
/// and LayerNorm2d (unit affine; in the last block channel 47 has weight 0 and bias 1, a constant 1 feature).</item>
/// <item>So the mask logit of query j at a pixel is α·C·ρ_j·(cos − cos θ_j), cos θ_j = √((|c_j|²+K²)/(|c_j|²+K²+r²)):
/// positive inside the ball, negative outside; α makes the smallest logit at a prototype's own colour 8.</item>
/// <item>Class head: query j → its Cityscapes class (road, sidewalk, building, vegetation, sky; a mixture takes its
/// first paint's class) through channel 8+j, class logit 12; no-object logit 0.</item>
/// <item>Anomaly head (plain 4→64→32→1): logit = 12·(1 − max_c s_c) − 6 (one path through the ReLUs, all else 0): a
/// pixel no prototype claims has max s ≈ 0 and scores sigmoid(6) ≈ 1.</item>
/// </list>
/// </summary>
public static class DemoModel
{
    /// <summary>Radius (in normalised colour units) of the colour ball each prototype claims.</summary>
    public const float Radius = 1.2f;

    /// <summary>The constant channel pair that turns cosines into distances.</summary>
    public const float K = 6f;

    private const float Beta = 1f, Shift = 12f, SelfLogit = 8f, ClassLogit = 12f;
    private const int ThresholdChannel = 47;

    /// <summary>The prototypes (colour, Cityscapes train id, name): the scene's paints, then mixtures of neighbours.</summary>
    public static IReadOnlyList<((byte R, byte G, byte B) Color, int Class, string Name)> Prototypes { get; } = BuildPrototypes();

    private static List<((byte, byte, byte), int, string)> BuildPrototypes()
    {
        var paints = new (string Name, (byte R, byte G, byte B) Color, int Class)[]
        {
            ("road", DemoPalette.Road, 0), ("lane", DemoPalette.Lane, 0), ("sidewalk", DemoPalette.Sidewalk, 1),
            ("building", DemoPalette.Building, 2), ("vegetation", DemoPalette.Vegetation, 8), ("dark vegetation", DemoPalette.VegetationDark, 8),
            ("sky", DemoPalette.SkyHigh, 10), ("horizon sky", DemoPalette.SkyLow, 10),
        };
        var list = paints.Select(p => (p.Color, p.Class, p.Name)).ToList();
        list.Add((Mix(DemoPalette.SkyHigh, DemoPalette.SkyLow), 10, "mid sky"));
        // Neighbours whose 50 % mixture (patches on a boundary) no ball covers get that mixture as a prototype too
        // (found by checking every mixture of neighbouring paints: these three leave none unclaimed).
        foreach (var (a, b) in new[] { (5, 7), (2, 4), (0, 2) })
            list.Add((Mix(paints[a].Color, paints[b].Color), paints[a].Class, $"{paints[a].Name}+{paints[b].Name}"));
        return list;
    }

    private static (byte, byte, byte) Mix((byte R, byte G, byte B) a, (byte R, byte G, byte B) b) =>
        ((byte)((a.R + b.R) / 2), (byte)((a.G + b.G) / 2), (byte)((a.B + b.B) / 2));

    /// <summary>The architecture.</summary>
    public static EomtConfig Config { get; } = new(HiddenSize: 48, Layers: 2, Heads: 2, PatchSize: 16, RegisterTokens: 4,
        Queries: 12, Classes: 19, ImageSize: 256, QueryBlocks: 1, UpscaleBlocks: 2, SwiGlu: false, MlpHidden: 192);

    /// <summary>The hand-set EoMT weights.</summary>
    public static IEomtWeightSource Weights() => new DemoWeights();

    /// <summary>The hand-set anomaly head.</summary>
    public static AnomalyHead Head()
    {
        var head = AnomalyHead.Create(new AnomalyHeadOptions(NativeEngine.Models.Anomaly.AnomalyHeadLayout.Plain, 64, 32, 0f));
        var values = head.Tensors.ToDictionary(t => t.Name, t => new float[t.Data.Length]);
        values["mlp.0.weight"][3] = 1f;       // h1[0] = relu(1 − max s)   (stat 3)
        values["mlp.3.weight"][0] = 1f;       // h2[0] = relu(h1[0])
        values["mlp.6.weight"][0] = 12f;      // logit = 12·h2[0] − 6
        values["mlp.6.bias"][0] = -6f;
        return head.With(values);
    }

    /// <summary>(R, G, B)/255 normalised with the ImageNet mean and std, as the model sees pixels.</summary>
    public static float[] Normalised((byte R, byte G, byte B) c) =>
        [(c.R / 255f - 0.485f) / 0.229f, (c.G / 255f - 0.456f) / 0.224f, (c.B / 255f - 0.406f) / 0.225f];

    private sealed class DemoWeights : IEomtWeightSource
    {
        private readonly Dictionary<string, int[]> shapes = EomtRandomWeights.Shapes(DemoModel.Config);
        private readonly double alpha;

        public DemoWeights()
        {
            double min = double.MaxValue;
            for (int j = 0; j < Config.Queries; j++)
            {
                var (rho, cosTheta, _) = Geometry(j);
                min = Math.Min(min, Config.HiddenSize * rho * (1 - cosTheta));
            }
            alpha = SelfLogit / min;
        }

        public EomtConfig Config => DemoModel.Config;
        public string Origin => "built-in demo weights (hand-set, untrained)";
        public bool Contains(string name) => shapes.ContainsKey(name);
        public int[] Shape(string name) => shapes.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"{Origin}: no tensor '{name}'");
        public void Dispose() { }

        // ρ_j, cos θ_j and u_j of query j.
        private (double Rho, double CosTheta, float[] U) Geometry(int j)
        {
            var col = Normalised(Prototypes[j].Color);
            double n2 = col[0] * col[0] + col[1] * col[1] + col[2] * col[2];
            var u = new float[Config.HiddenSize];
            for (int i = 0; i < 3; i++) { u[i] = col[i]; u[3 + i] = -col[i]; }
            u[6] = K;
            u[7] = -K;
            u[8 + j] = Beta;
            u[8 + Config.Queries + j] = -Beta;
            double rho = Math.Sqrt((n2 + K * K) / (n2 + K * K + Beta * Beta));
            double cosTheta = Math.Sqrt((n2 + K * K) / (n2 + K * K + Radius * Radius));
            return (rho, cosTheta, u);
        }

        private static double Norm(float[] u) => Math.Sqrt(u.Sum(x => (double)x * x));

        public float[] ReadFloat32(string name)
        {
            var shape = Shape(name);
            var v = new float[shape.Aggregate(1, (a, b) => a * b)];
            int c = Config.HiddenSize, q = Config.Queries, p = Config.PatchSize;
            if ((name.Contains("norm") || name.Contains("layernorm")) && name.EndsWith(".weight")) Array.Fill(v, 1f);
            switch (name)
            {
                case "embeddings.patch_embeddings.projection.weight": // (C, 3, p, p)
                    for (int ch = 0; ch < 3; ch++)
                        for (int k = 0; k < p * p; k++)
                        {
                            v[(ch * 3 + ch) * p * p + k] = 1f / (p * p);
                            v[((3 + ch) * 3 + ch) * p * p + k] = -1f / (p * p);
                        }
                    break;
                case "embeddings.patch_embeddings.projection.bias":
                    v[6] = K;
                    v[7] = -K;
                    break;
                case "query.weight":
                    for (int j = 0; j < q; j++) Array.Copy(Geometry(j).U, 0, v, j * c, c);
                    break;
                case "class_predictor.weight": // (K+1, C); LN(u_j)[8+j] = β·√C/|u_j|
                    for (int j = 0; j < q; j++)
                        v[Prototypes[j].Class * c + 8 + j] = (float)(ClassLogit * Norm(Geometry(j).U) / (Beta * Math.Sqrt(c)));
                    break;
                case "mask_head.fc1.weight" or "mask_head.fc2.weight":
                    for (int i = 0; i < c; i++) v[i * c + i] = 1f;
                    break;
                case "mask_head.fc1.bias":
                    Array.Fill(v, Shift);
                    break;
                case "mask_head.fc3.weight":
                    for (int i = 0; i < 8; i++) v[i * c + i] = (float)alpha;
                    for (int j = 0; j < q; j++) v[ThresholdChannel * c + 8 + j] = (float)ThresholdWeight(j);
                    break;
                case "mask_head.fc3.bias":
                    for (int i = 0; i < 8; i++) v[i] = (float)(-Shift * alpha);
                    v[ThresholdChannel] = (float)(-Shift * Enumerable.Range(0, q).Sum(ThresholdWeight));
                    break;
                default:
                    if (name.EndsWith("conv1.weight")) // (Cin, Cout, 2, 2): copy each channel to its 4 children
                        for (int ch = 0; ch < c; ch++) for (int k = 0; k < 4; k++) v[(ch * c + ch) * 4 + k] = 1f;
                    else if (name.EndsWith("conv1.bias")) Array.Fill(v, Shift);
                    else if (name.EndsWith("conv2.weight")) // (C, 1, 3, 3) binomial blur
                        for (int ch = 0; ch < c; ch++)
                            for (int k = 0; k < 9; k++) v[ch * 9 + k] = new[] { 1f, 2, 1, 2, 4, 2, 1, 2, 1 }[k] / 16f;
                    else if (name == $"upscale_block.block.{Config.UpscaleBlocks - 1}.layernorm2d.weight") v[ThresholdChannel] = 0f;
                    else if (name == $"upscale_block.block.{Config.UpscaleBlocks - 1}.layernorm2d.bias") v[ThresholdChannel] = 1f;
                    break;
            }
            return v;
        }

        // Row 47 of fc3 reads h2[8+j] = β√C/|u_j| + 12 for query j (12 for the others); after the bias that leaves
        // w_j·β√C/|u_j|, which must be the threshold −α·C·ρ_j·cos θ_j.
        private double ThresholdWeight(int j)
        {
            var (rho, cosTheta, u) = Geometry(j);
            int c = Config.HiddenSize;
            return -alpha * c * rho * cosTheta * Norm(u) / (Beta * Math.Sqrt(c));
        }
    }
}
