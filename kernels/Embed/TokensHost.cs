// Host versions of the token-sequence ops (semantics as Tokens.cs): assemble [cls, registers, patches + pos], prepend
// the queries, slice rows, and the patch tokens transposed to a (B, C, G, G) feature map.
// Bound: memory; all but Assemble's add are pure data movement. ViT-B-640: 1605 × 768 floats = 4.9 MB per call.
// Versions (host):
//   host  rows (tokens) over the cores: whole-row copies (Buffer.MemoryCopy, which is vectorised) or one vector add
//         per row for patches + pos. ToFeatureMap transposes 16 × 16 blocks (one 1 KB read tile and 16 write runs of
//         64 B) so both sides touch whole cache lines, blocks of channels over the cores.
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (multi-core) token assembly, query insertion, slicing and the feature-map transpose.</summary>
public static unsafe class TokensHost
{
    private const int Tile = 16;

    /// <summary>Tensor form of <see cref="Tokens.Assemble"/>.</summary>
    public static void Assemble(Tensor patches, Tensor pos, Tensor cls, Tensor registers, Tensor tokens)
    {
        int b = patches.Shape[0], g2 = patches.Shape[1], c = patches.Shape[2], count = tokens.Shape[1], regs = count - 1 - g2;
        if (tokens.Length == 0) return;
        nint pp = (nint)patches.HostPointer<float>(), ppos = (nint)pos.HostPointer<float>(), pcls = (nint)cls.HostPointer<float>();
        nint preg = regs > 0 ? (nint)registers.HostPointer<float>() : 0, pt = (nint)tokens.HostPointer<float>();
        long rowBytes = (long)c * sizeof(float);
        HostSplit.Chunks((long)b * count, HostSplit.RowsPerItem(c), (r0, n) =>
        {
            for (long r = r0; r < r0 + n; r++)
            {
                int t = (int)(r % count), bi = (int)(r / count);
                float* dst = (float*)pt + r * c;
                if (t == 0) Buffer.MemoryCopy((float*)pcls, dst, rowBytes, rowBytes);
                else if (t <= regs) Buffer.MemoryCopy((float*)preg + (long)(t - 1) * c, dst, rowBytes, rowBytes);
                else
                {
                    long p = t - 1 - regs;
                    ElementwiseHost.AddInline((float*)pp + ((long)bi * g2 + p) * c, (float*)ppos + p * c, dst, c);
                }
            }
        });
    }

    /// <summary>Tensor form of <see cref="Tokens.InsertQueries"/>.</summary>
    public static void InsertQueries(Tensor tokens, Tensor queries, Tensor output)
    {
        int b = tokens.Shape[0], n = tokens.Shape[1], c = tokens.Shape[2], q = output.Shape[1] - n;
        if (output.Length == 0) return;
        nint px = (nint)tokens.HostPointer<float>(), pq = (nint)queries.HostPointer<float>(), po = (nint)output.HostPointer<float>();
        CopyRows(b * (q + n), c, po, r =>
        {
            int t = (int)(r % (q + n)), bi = (int)(r / (q + n));
            return (nint)(t < q ? (float*)pq + (long)t * c : (float*)px + ((long)bi * n + t - q) * c);
        });
    }

    /// <summary>Tensor form of <see cref="Tokens.SliceTokens"/>.</summary>
    public static void SliceTokens(Tensor x, int start, Tensor y)
    {
        int n = x.Shape[1], m = y.Shape[1], c = x.Shape[2];
        if (y.Length == 0) return;
        nint px = (nint)x.HostPointer<float>();
        CopyRows(y.Shape[0] * m, c, (nint)y.HostPointer<float>(), r => (nint)((float*)px + ((r / m) * n + start + r % m) * c));
    }

    /// <summary>Tensor form of <see cref="Tokens.ToFeatureMap"/>: map[b, ch, p] = x[b, start + p, ch].</summary>
    public static void ToFeatureMap(Tensor x, int start, Tensor map)
    {
        int b = x.Shape[0], n = x.Shape[1], c = x.Shape[2], pixels = map.Shape[2] * map.Shape[3];
        if (map.Length == 0) return;
        nint px = (nint)x.HostPointer<float>(), pm = (nint)map.HostPointer<float>();
        int chBlocks = (c + Tile - 1) / Tile;
        Runtime.HostCpu.For(b * chBlocks, item =>
        {
            int bi = item / chBlocks, c0 = item % chBlocks * Tile, cn = Math.Min(Tile, c - c0);
            float* src = (float*)px + ((long)bi * n + start) * c, dst = (float*)pm + (long)bi * c * pixels;
            for (int p0 = 0; p0 < pixels; p0 += Tile)
            {
                int pn = Math.Min(Tile, pixels - p0);
                for (int cc = 0; cc < cn; cc++)
                {
                    float* d = dst + (long)(c0 + cc) * pixels + p0;
                    float* s = src + (long)p0 * c + c0 + cc;
                    for (int pp = 0; pp < pn; pp++) d[pp] = s[(long)pp * c];
                }
            }
        });
    }

    // rows × cols floats, row r copied from source(r), rows over the cores.
    private static void CopyRows(long rows, int cols, nint dst, Func<long, nint> source)
    {
        long rowBytes = (long)cols * sizeof(float);
        HostSplit.Chunks(rows, HostSplit.RowsPerItem(cols), (r0, n) =>
        {
            for (long r = r0; r < r0 + n; r++) Buffer.MemoryCopy((float*)source(r), (float*)dst + r * cols, rowBytes, rowBytes);
        });
    }
}
