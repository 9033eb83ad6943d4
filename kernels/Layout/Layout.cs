// Layout ops of the EoMT heads: pure data movement between the token layout (B, N, C) and what the heads need.
//   token rows:         y[b, r, c] = x[b, start + r, c]                      PyTorch: x[:, start:start+count]
//   tokens → channels:  y[b, c, p] = x[b, start + p, c]  (p < G²)            x[:, start:].transpose(1, 2).reshape(B, C, G, G)
//   query mask:         allowed[b, i, j] = i < Q && j ≥ start ? logits[b, i, j − start] > 0 : 1    (eomt.md §2.2)
// v1: one thread per output element, implicitly grouped; writes are coalesced (x = innermost output index). The
//     tokens → channels reads are strided by C (a transpose): it moves B·G²·C floats once per forward (25 MB for
//     L-1024), ~10 µs at HBM speed even uncoalesced-ish, so a shared-memory tiled transpose is left for later.
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Token-layout data movement for the EoMT heads: row slices, tokens to NCHW, the masked-attention mask.</summary>
public static partial class Layout
{
    // i = (c, r, b); x is (B, n, C), y is (B, count, C).
    [Kernel("token_rows")]
    internal static void TokenRowsV1(Index3D i, ArrayView<float> x, ArrayView<float> y, int n, int channels, int start, int count) =>
        y[((long)i.Z * count + i.Y) * channels + i.X] = x[((long)i.Z * n + start + i.Y) * channels + i.X];

    // i = (p, c, b); x is (B, n, C), y is (B, C, P).
    [Kernel("tokens_to_channels")]
    internal static void TokensToChannelsV1(Index3D i, ArrayView<float> x, ArrayView<float> y, int n, int channels, int start, int pixels) =>
        y[((long)i.Z * channels + i.Y) * pixels + i.X] = x[((long)i.Z * n + start + i.X) * channels + i.Y];

    // i = (j, row, b); logits is (B, Q, P) with P = n − start; allowed is (B, n, n) bytes.
    [Kernel("query_mask")]
    internal static void QueryMaskV1(Index3D i, ArrayView<float> logits, ArrayView<byte> allowed, int n, int queries, int start)
    {
        byte ok = 1;
        if (i.Y < queries && i.X >= start)
            ok = logits[((long)i.Z * queries + i.Y) * (n - start) + i.X - start] > 0f ? (byte)1 : (byte)0;
        allowed[((long)i.Z * n + i.Y) * n + i.X] = ok;
    }

    /// <summary>y (B, count, C) = rows [start, start + count) of x (B, N, C).</summary>
    public static void TokenRows(Tensor x, int start, Tensor y)
    {
        var (b, n, c) = Dims3(x, "token rows: x");
        int count = y.Shape.Rank == 3 ? y.Shape[1] : -1;
        y.Expect("token rows: y", b, count, c);
        if (start < 0 || start + count > n)
            throw new ArgumentException($"token rows: rows [{start},{start + count}) outside x {x.Shape}");
        LaunchTokenRowsV1(x.Device, new Index3D(c, count, b), x.View, y.View, n, c, start, count);
    }

    /// <summary>y (B, C, G, G) = rows [start, start + G²) of x (B, N, C), transposed to channels-first.</summary>
    public static void TokensToChannels(Tensor x, int start, Tensor y)
    {
        var (b, n, c) = Dims3(x, "tokens to channels: x");
        if (y.Shape.Rank != 4) throw new ArgumentException($"tokens to channels: y must be (B, C, H, W), got {y.Shape}");
        int pixels = y.Shape[2] * y.Shape[3];
        y.Expect("tokens to channels: y", b, c, y.Shape[2], y.Shape[3]);
        if (start < 0 || start + pixels > n)
            throw new ArgumentException($"tokens to channels: rows [{start},{start + pixels}) outside x {x.Shape}");
        LaunchTokensToChannelsV1(x.Device, new Index3D(pixels, c, b), x.View, y.View, n, c, start, pixels);
    }

    /// <summary>
    /// allowed (B, N, N) u8 = 1 everywhere except rows [0, Q) × columns [start, N), where it is logits (B, Q, N − start) &gt; 0:
    /// queries see every query, CLS and register token, and only the patches their downsampled mask logit keeps.
    /// </summary>
    public static void QueryMask(Tensor logits, int start, Tensor allowed)
    {
        if (allowed.DType != DType.UInt8 || allowed.Shape.Rank != 3)
            throw new ArgumentException($"query mask: allowed must be (B, N, N) u8, got {allowed.Shape} {allowed.DType.Name()}");
        int b = allowed.Shape[0], n = allowed.Shape[1];
        allowed.Expect("query mask: allowed", b, n, n);
        if (logits.Shape.Rank < 3 || logits.Shape[0] != b || logits.Length != (long)b * logits.Shape[1] * (n - start))
            throw new ArgumentException($"query mask: logits {logits.Shape} must be (B={b}, Q, {n - start} patches)");
        int q = logits.Shape[1];
        LaunchQueryMaskV1(allowed.Device, new Index3D(n, n, b), logits.View, allowed.Cast<byte>(), n, q, start);
    }

    private static (int B, int N, int C) Dims3(Tensor t, string what) => t.Shape.Rank == 3
        ? (t.Shape[0], t.Shape[1], t.Shape[2])
        : throw new ArgumentException($"{what} must be (B, N, C), got {t.Shape}");
}
