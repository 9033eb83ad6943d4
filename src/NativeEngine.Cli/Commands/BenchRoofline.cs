using NativeEngine.Weights.Eomt;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// The roofline floor of each kernel family of one EoMT forward, keyed by the family names the model's profiler marks,
/// so `bench forward` can print "% of roofline" beside each measured family. A C# port of benchmarks/roofline.py's
/// counts (same conventions: FLOPs = 2 × MACs for GEMM-like work, napkin counts elsewhere; bytes = the minimum float32
/// DRAM traffic of each kernel as the engine runs it; floor = max(FLOPs / peak, bytes / bandwidth)); the GPU machine
/// needs nothing but .NET to print it.
/// </summary>
public static class BenchRoofline
{
    /// <summary>FLOPs and bytes per profiler family for <paramref name="batch"/> windows.</summary>
    public static IReadOnlyDictionary<string, (double Flops, double Bytes)> Families(EomtConfig c, int batch = 1)
    {
        const double f = 4; // bytes per float32
        var fam = new Dictionary<string, (double Flops, double Bytes)>();
        void Add(string name, double flops, double bytes)
        {
            var (a, b) = fam.GetValueOrDefault(name);
            fam[name] = (a + flops * batch, b + bytes * batch);
        }
        void Gemm(string name, double n, double k, double m) => Add(name, 2 * n * k * m, f * (n * k + n * m) + f * (k * m + m) / batch);

        double cc = c.HiddenSize, g = c.Grid, p = c.PatchSize, s = c.ImageSize, q = c.Queries, k = c.Classes, hid = c.MlpHidden;
        double n0 = 1 + c.RegisterTokens + g * g, n1 = q + n0, mm = c.MaskSize;
        Add("patch embed + tokens", 0, f * (3 * s * s + 2 * g * g * 3 * p * p + 2 * g * g * cc + n0 * cc));
        Gemm("patch embed + tokens", g * g, 3 * p * p, cc);
        for (int i = 0; i < c.Layers; i++)
        {
            double n = i >= c.Layers - c.QueryBlocks ? n1 : n0;
            if (i == c.Layers - c.QueryBlocks) Add("patch embed + tokens", 0, f * (n0 * cc + n1 * cc));
            Add("layernorm", 2 * 8 * n * cc, 2 * f * 2 * n * cc);
            Gemm("gemm", n, cc, 3 * cc);
            Add("attention", 4 * n * n * cc + 10 * c.Heads * n * n, f * 4 * n * cc);
            Gemm("gemm", n, cc, cc);
            Add("layerscale", 2 * 2 * n * cc, 2 * f * 3 * n * cc);
            Gemm("gemm", n, cc, c.SwiGlu ? 2 * hid : hid);
            Add("activation", (c.SwiGlu ? 12 : 20) * n * hid, f * (c.SwiGlu ? 3 : 2) * n * hid);
            Gemm("gemm", n, hid, cc);
        }
        Add("layernorm", 8 * n1 * cc, f * 2 * n1 * cc);
        Add("heads: class + mask MLP", 2 * q * cc * (k + 1) + 3 * 2 * q * cc * cc + 2 * 20 * q * cc, f * (q * cc * 8 + cc * (k + 1) + 3 * cc * cc));
        Add("heads: upscale", 0, f * 2 * g * g * cc);
        for (int j = 0; j < c.UpscaleBlocks; j++, g *= 2)
        {
            double o = 2 * g;
            Add("heads: upscale", 8 * g * g * cc * cc + 46 * o * o * cc,
                f * (g * g * cc + 4 * cc * cc + 6 * o * o * cc + 9 * cc));
        }
        Add("mask logits", 2 * q * cc * mm * mm, f * (q * cc + cc * mm * mm + q * mm * mm));
        Add("semantic map", q * s * s * 18 + 2 * q * k * s * s, f * (q * mm * mm + 2 * q * s * s + q * (k + 1) + k * s * s));
        return fam;
    }

    /// <summary>The floor in milliseconds of one family at a compute peak (TFLOP/s) and a bandwidth (TB/s).</summary>
    public static double FloorMs((double Flops, double Bytes) cost, double teraFlops, double teraBytes) =>
        Math.Max(cost.Flops / (teraFlops * 1e12), cost.Bytes / (teraBytes * 1e12)) * 1e3;
}
