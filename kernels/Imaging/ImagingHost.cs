// Host versions of the image-side ops (semantics as Imaging.cs): the ImageNet normalisation of a u8 HWC window into
// a float CHW window, and the window-average stitch of per-window score maps.
// Bound: memory (3 B in, 12 B out per pixel for the normalisation; n·K·S² floats read for the stitch), both far below
// the model's time; the point is not to run them one OS thread per pixel on the simulator.
// Versions (host):
//   host  image rows over the cores, plain scalar loops with the exact float32 expressions of v1 (so the host and the
//         simulator agree bit for bit); the stitch sums windows in order j = 0, 1, … like the reference.
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (multi-core) image normalisation and window stitching.</summary>
public static unsafe class ImagingHost
{
    /// <summary>Tensor form of <see cref="Imaging.NormalizeRgb"/>.</summary>
    public static void NormalizeRgb(Tensor image, int top, int left, Tensor y)
    {
        int rows = y.Shape[1], cols = y.Shape[2], width = image.Shape[1];
        if (y.Length == 0) return;
        nint pi = (nint)image.HostPointer<byte>(), py = (nint)y.HostPointer<float>();
        Runtime.HostCpu.For(rows, r =>
        {
            byte* src = (byte*)pi + ((long)(top + r) * width + left) * 3;
            for (int c = 0; c < 3; c++)
            {
                float mean = c == 0 ? Imaging.MeanR : c == 1 ? Imaging.MeanG : Imaging.MeanB;
                float std = c == 0 ? Imaging.StdR : c == 1 ? Imaging.StdG : Imaging.StdB;
                float* dst = (float*)py + ((long)c * rows + r) * cols;
                for (int x = 0; x < cols; x++) dst[x] = (src[x * 3 + c] / 255f - mean) / std;
            }
        });
    }

    /// <summary>Tensor form of <see cref="Imaging.StitchWindows"/>.</summary>
    public static void StitchWindows(Tensor scores, Tensor starts, bool alongHeight, Tensor avg)
    {
        int n = scores.Shape[0], k = scores.Shape[1], s = scores.Shape[2], h = avg.Shape[1], w = avg.Shape[2];
        if (avg.Length == 0) return;
        nint ps = (nint)scores.HostPointer<float>(), pst = (nint)starts.HostPointer<int>(), pa = (nint)avg.HostPointer<float>();
        Runtime.HostCpu.For(k * h, item =>
        {
            int kc = item / h, yy = item % h;
            int* st = (int*)pst;
            float* dst = (float*)pa + ((long)kc * h + yy) * w;
            for (int xx = 0; xx < w; xx++)
            {
                float sum = 0f;
                int count = 0;
                int pos = alongHeight ? yy : xx;
                for (int j = 0; j < n; j++)
                {
                    int s0 = st[j];
                    if (pos < s0 || pos >= s0 + s) continue;
                    int r = alongHeight ? yy - s0 : yy, x = alongHeight ? xx : xx - s0;
                    sum += ((float*)ps)[(((long)j * k + kc) * s + r) * s + x];
                    count++;
                }
                dst[xx] = count > 0 ? sum / count : 0f;
            }
        });
    }
}
