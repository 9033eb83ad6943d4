// Host version of im2col_patch (semantics as PatchEmbed.cs): cols[b, gy·Gw + gx, (ch·p + kh)·p + kw] =
// pixels[b, ch, gy·p + kh, gx·p + kw] — the gather in front of the patch-embedding GEMM.
// Bound: memory, pure data movement: 3·S² floats in and out (S = 640: 4.9 MB each way, ~0.4 ms at ~25 GB/s).
// Versions (host):
//   host  one work item per (b, patch row gy); each (ch, kh) copies Gw runs of p contiguous floats (64 B for p = 16:
//         one cache line in, one out), so reads walk image rows in order.
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (multi-core) patch extraction for the stride = kernel patch embedding.</summary>
public static unsafe class PatchEmbedHost
{
    /// <summary>Tensor form of <see cref="PatchEmbed.Im2Col"/>.</summary>
    public static void Im2Col(Tensor pixels, Tensor cols, int patch)
    {
        int b = pixels.Shape[0], ch = pixels.Shape[1], h = pixels.Shape[2], w = pixels.Shape[3];
        int gh = h / patch, gw = w / patch, k = ch * patch * patch;
        if (cols.Length == 0) return;
        nint px = (nint)pixels.HostPointer<float>(), pc = (nint)cols.HostPointer<float>();
        long runBytes = (long)patch * sizeof(float);
        Runtime.HostCpu.For(b * gh, item =>
        {
            int bi = item / gh, gy = item % gh;
            for (int c = 0; c < ch; c++)
                for (int kh = 0; kh < patch; kh++)
                {
                    float* src = (float*)px + (((long)bi * ch + c) * h + gy * patch + kh) * w;
                    float* dst = (float*)pc + ((long)bi * gh + gy) * gw * k + (c * patch + kh) * patch;
                    for (int gx = 0; gx < gw; gx++) Buffer.MemoryCopy(src + gx * patch, dst + (long)gx * k, runBytes, runBytes);
                }
        });
    }
}
