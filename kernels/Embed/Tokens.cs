// Token sequence assembly and the gathers that split it again (eomt.md §1.4, §2.1, §3).
//   Assemble:      tokens[b] = [cls, reg_1..reg_R, patches[b, 0..G²) + pos]   (1 + R + G² rows; pos on patches only)
//   InsertQueries: out[b]    = [queries (Q rows), tokens[b]]                  (queries prepended, no pos, no norm)
//   SliceTokens:   y[b, m]   = x[b, start + m]                                (e.g. the Q query tokens: start 0)
//   ToFeatureMap:  map[b, c, p] = x[b, start + p, c]                          (the G² patch tokens at Q+1+R → B×C×G×G)
// PyTorch: torch.cat([cls.expand(B,-1,-1), reg.expand(B,-1,-1), patches + pos], 1); torch.cat([q.expand(B,-1,-1), x], 1);
//          x[:, start:start+M]; x[:, start:].transpose(1, 2).reshape(B, C, G, G).
// v1 everywhere: one thread per output element, implicitly grouped; all are pure data movement (bandwidth bound).
// ToFeatureMap's reads are strided by C (a transpose); a shared-memory transpose tile is the GPU version when it shows up
// in a profile (L-1024: 4096×1024 floats = 16.8 MB, ~10 µs at full bandwidth).
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Builds and splits EoMT's token sequence [queries | CLS | registers | patches].</summary>
public static partial class Tokens
{
    [Kernel("tokens_assemble", Version = "v1 one thread per element")]
    internal static void AssembleV1(Index1D i, ArrayView<float> patches, ArrayView<float> pos, ArrayView<float> cls,
        ArrayView<float> registers, ArrayView<float> tokens, int count, int regs, int channels)
    {
        int ch = i % channels, t = (i / channels) % count, b = i / (channels * count);
        int patchCount = count - 1 - regs;
        if (t == 0) tokens[i] = cls[ch];
        else if (t <= regs) tokens[i] = registers[(t - 1) * channels + ch];
        else
        {
            int p = t - 1 - regs;
            tokens[i] = patches[(b * patchCount + p) * channels + ch] + pos[p * channels + ch];
        }
    }

    [Kernel("tokens_insert_queries", Version = "v1 one thread per element")]
    internal static void InsertQueriesV1(Index1D i, ArrayView<float> tokens, ArrayView<float> queries, ArrayView<float> output,
        int n, int q, int channels)
    {
        int ch = i % channels, t = (i / channels) % (q + n), b = i / (channels * (q + n));
        output[i] = t < q ? queries[t * channels + ch] : tokens[(b * n + t - q) * channels + ch];
    }

    [Kernel("tokens_slice", Version = "v1 one thread per element")]
    internal static void SliceV1(Index1D i, ArrayView<float> x, ArrayView<float> y, int n, int m, int start, int channels)
    {
        int ch = i % channels, t = (i / channels) % m, b = i / (channels * m);
        y[i] = x[(b * n + start + t) * channels + ch];
    }

    [Kernel("tokens_to_feature_map", Version = "v1 one thread per element")]
    internal static void ToFeatureMapV1(Index1D i, ArrayView<float> x, ArrayView<float> map, int n, int pixels, int start, int channels)
    {
        int p = i % pixels, ch = (i / pixels) % channels, b = i / (pixels * channels);
        map[i] = x[(b * n + start + p) * channels + ch];
    }

    /// <summary>
    /// tokens (B, 1+R+G², C) = [cls, registers, patches + pos]. <paramref name="patches"/> (B, G², C);
    /// <paramref name="pos"/> G²·C values ((G², C) or (1, G², C)); <paramref name="cls"/> C values ((1, 1, C) or (C));
    /// <paramref name="registers"/> R·C values ((1, R, C) or (R, C)), R taken from the token count.
    /// </summary>
    public static void Assemble(Tensor patches, Tensor pos, Tensor cls, Tensor registers, Tensor tokens, KernelChoice choice = KernelChoice.Auto)
    {
        if (patches.Shape.Rank != 3)
            throw new ArgumentException($"tokens assemble: patches must be (B, G², C), got {patches.Shape}");
        int b = patches.Shape[0], g2 = patches.Shape[1], c = patches.Shape[2];
        if (tokens.Shape.Rank != 3 || tokens.Shape[0] != b || tokens.Shape[2] != c || tokens.Shape[1] < 1 + g2)
            throw new ArgumentException($"tokens assemble: tokens must be (B={b}, 1+R+{g2}, C={c}), got {tokens.Shape}");
        int count = tokens.Shape[1], regs = count - 1 - g2;
        if (pos.Length != (long)g2 * c) throw new ArgumentException($"tokens assemble: pos must hold G²·C = {g2}·{c} values ((G², C)), got {pos.Shape}");
        if (cls.Length != c) throw new ArgumentException($"tokens assemble: cls must hold C = {c} values ((1, 1, C)), got {cls.Shape}");
        if (registers.Length != (long)regs * c)
            throw new ArgumentException($"tokens assemble: registers must hold R·C = {regs}·{c} values ((1, R, C), R = tokens − 1 − G²), got {registers.Shape}");
        if (tokens.Length == 0) return;
        if (choice.UseHost(tokens.Device)) { TokensHost.Assemble(patches, pos, cls, registers, tokens); return; }
        var regView = regs > 0 ? registers.View : cls.View; // never read when R = 0
        LaunchAssembleV1(tokens.Device, (int)tokens.Length, patches.View, pos.View, cls.View, regView, tokens.View, count, regs, c);
    }

    /// <summary>output (B, Q+N, C) = [queries (Q, C), tokens (B, N, C)]: the queries are prepended (eomt.md §2.1).</summary>
    public static void InsertQueries(Tensor tokens, Tensor queries, Tensor output, KernelChoice choice = KernelChoice.Auto)
    {
        if (tokens.Shape.Rank != 3) throw new ArgumentException($"insert queries: tokens must be (B, N, C), got {tokens.Shape}");
        int b = tokens.Shape[0], n = tokens.Shape[1], c = tokens.Shape[2];
        if (queries.Shape.Rank < 2 || queries.Shape[-1] != c || queries.Length % Math.Max(c, 1) != 0)
            throw new ArgumentException($"insert queries: queries must be (Q, C={c}), got {queries.Shape}");
        int q = c == 0 ? 0 : (int)(queries.Length / c);
        output.Expect("insert queries output", b, q + n, c);
        if (output.Length == 0) return;
        if (choice.UseHost(tokens.Device)) { TokensHost.InsertQueries(tokens, queries, output); return; }
        LaunchInsertQueriesV1(tokens.Device, (int)output.Length, tokens.View, queries.View, output.View, n, q, c);
    }

    /// <summary>y (B, M, C) = x[:, start : start+M, :] — e.g. the Q query tokens (start 0) for the class and mask heads.</summary>
    public static void SliceTokens(Tensor x, int start, Tensor y, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank != 3 || y.Shape.Rank != 3 || y.Shape[0] != x.Shape[0] || y.Shape[2] != x.Shape[2])
            throw new ArgumentException($"slice tokens: x (B, N, C) and y (B, M, C) must agree on B and C, got x {x.Shape}, y {y.Shape}");
        int n = x.Shape[1], m = y.Shape[1];
        if (start < 0 || start + m > n)
            throw new ArgumentException($"slice tokens: rows [{start}, {start + m}) outside x {x.Shape}");
        if (y.Length == 0) return;
        if (choice.UseHost(x.Device)) { TokensHost.SliceTokens(x, start, y); return; }
        LaunchSliceV1(x.Device, (int)y.Length, x.View, y.View, n, m, start, x.Shape[2]);
    }

    /// <summary>
    /// map (B, C, Gh, Gw) = x[:, start : start+Gh·Gw, :] transposed — the patch tokens (start = Q + 1 + R) as the feature
    /// map of the upscale blocks, row-major (token start + gy·Gw + gx → pixel (gy, gx)).
    /// </summary>
    public static void ToFeatureMap(Tensor x, int start, Tensor map, KernelChoice choice = KernelChoice.Auto)
    {
        if (x.Shape.Rank != 3 || map.Shape.Rank != 4 || map.Shape[0] != x.Shape[0] || map.Shape[1] != x.Shape[2])
            throw new ArgumentException($"to feature map: x (B, N, C) and map (B, C, Gh, Gw) must agree on B and C, got x {x.Shape}, map {map.Shape}");
        int n = x.Shape[1], pixels = map.Shape[2] * map.Shape[3];
        if (start < 0 || start + pixels > n)
            throw new ArgumentException($"to feature map: tokens [{start}, {start + pixels}) outside x {x.Shape}");
        if (map.Length == 0) return;
        if (choice.UseHost(x.Device)) { TokensHost.ToFeatureMap(x, start, map); return; }
        LaunchToFeatureMapV1(x.Device, (int)map.Length, x.View, map.View, n, pixels, start, x.Shape[2]);
    }
}
