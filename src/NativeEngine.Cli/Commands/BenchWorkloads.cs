using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// The ops `bench kernels` can time, one entry each: inputs, napkin math (FLOPs, bytes) and a check against the
/// plain reference. Catalogue ops without an entry are listed as "no workload".
/// </summary>
public static class BenchWorkloads
{
    private const double ElemAbs = 1e-6, ElemRel = 1e-5;

    /// <summary>Every workload, by op.</summary>
    public static IReadOnlyList<BenchWorkload> All { get; } =
    [
        Binary("add", (a, b, y, choice) => Elementwise.Add(a, b, y, choice), ElementwiseRef.Add),
        Binary("mul", (a, b, y, choice) => Elementwise.Mul(a, b, y, choice), ElementwiseRef.Mul),
        new("bias", "RxC", ["64x64"], ["4096x1024"], false, (d, s) =>
        {
            int r = s[0], c = s[1];
            var x = Inputs.Uniform(r * c, 1);
            var b = Inputs.Uniform(c, 2);
            var tx = Tensor.FromHost(d, new Shape(r, c), x);
            var tb = Tensor.FromHost(d, new Shape(c), b);
            var ty = Tensor.Empty(d, new Shape(r, c));
            return new BenchCase($"[{r},{c}]", (double)r * c, 4.0 * (2.0 * r * c + c),
                choice => Elementwise.Bias(tx, tb, ty, choice),
                () => BenchCase.Compare(ElementwiseRef.Bias(x, b), ty.ToHostFloat(), ElemAbs, ElemRel), tx, tb, ty);
        }),
        Unary("gelu_erf", 20, (x, y, choice) => Activation.GeluErf(x, y, choice), ActivationRef.GeluErf),
        Unary("sigmoid", 4, (x, y, choice) => Activation.Sigmoid(x, y, choice), ActivationRef.Sigmoid),
        // One layer of EoMT-B-640's float32 attention: N = 1705 tokens (1600 patches + CLS + 4 registers + 100 queries),
        // 12 heads, D = 64 (and ViT-S: 1605 tokens, 6 heads); 4·N²·C FLOPs (QKᵀ and PV); read qkv, write the output.
        new("attention", "BxNxH", ["1x64x2"], ["1x1705x12", "1x1605x6"], true, (d, s) =>
        {
            int b = s[0], n = s[1], h = s[2], c = h * 64;
            var qkv = Inputs.Uniform(b * n * 3 * c, 1, -2, 2);
            var tq = Tensor.FromHost(d, new Shape(b, n, 3 * c), qkv);
            var to = Tensor.Empty(d, new Shape(b, n, c));
            return new BenchCase($"B{b} N{n} H{h} D64", 4.0 * b * n * (double)n * c, 4.0 * b * n * 4 * c,
                choice => Attention.Forward(tq, to, h, null, choice), () => CheckAttentionRows(qkv, to.ToHostFloat(), b, n, h, "f32"), tq, to);
        }),
        // 5 FLOPs per element (max, subtract, exp, sum, scale), 8 bytes (read x, write y).
        new("softmax_rows", "RxC", ["64x100"], ["4096x4101", "16384x1024"], true, (d, s) =>
        {
            int r = s[0], c = s[1];
            var x = Inputs.Uniform(r * c, 1, -8, 8);
            var tx = Tensor.FromHost(d, new Shape(r, c), x);
            var ty = Tensor.Empty(d, new Shape(r, c));
            return new BenchCase($"[{r},{c}]", 5.0 * r * c, 8.0 * r * c, choice => Softmax.Rows(tx, ty, choice),
                () => BenchCase.Compare(SoftmaxRef.Rows(x, c), ty.ToHostFloat(), ElemAbs, ElemRel), tx, ty);
        }),
        // 8 FLOPs per element (two sums, centre, scale, affine), 8 bytes + gamma and beta.
        new("layer_norm", "RxC", ["64x100"], ["4101x1024", "1800x1024"], true, (d, s) =>
        {
            int r = s[0], c = s[1];
            var x = Inputs.Uniform(r * c, 1, -3, 3);
            var g = Inputs.Uniform(c, 2, 0.5f, 1.5f);
            var b = Inputs.Uniform(c, 3);
            var tx = Tensor.FromHost(d, new Shape(r, c), x);
            var tg = Tensor.FromHost(d, new Shape(c), g);
            var tb = Tensor.FromHost(d, new Shape(c), b);
            var ty = Tensor.Empty(d, new Shape(r, c));
            return new BenchCase($"[{r},{c}]", 8.0 * r * c, 8.0 * r * c + 8.0 * c, choice => LayerNorm.Forward(tx, tg, tb, ty, 1e-5f, choice),
                () => BenchCase.Compare(LayerNormRef.Forward(x, g, b, c, 1e-5f), ty.ToHostFloat(), 1e-5, 1e-5), tx, tg, tb, ty);
        }),
        // C(M,N) = A(M,K)·B(K,N): 2·M·N·K FLOPs, 4·(MK + KN + MN) bytes. MLP fc1 at 640²: EoMT-B 1600x3072x768, EoMT-L 1800x4096x1024.
        new("gemm", "MxNxK", ["64x64x64"], ["1800x4096x1024", "2048x2048x2048"], true, (d, s) =>
        {
            int m = s[0], n = s[1], k = s[2];
            var a = Inputs.Uniform(m * k, 1);
            var b = Inputs.Uniform(k * n, 2);
            var ta = Tensor.FromHost(d, new Shape(m, k), a);
            var tb = Tensor.FromHost(d, new Shape(k, n), b);
            var tc = Tensor.Empty(d, new Shape(m, n));
            return new BenchCase($"{m}x{n}x{k}", 2.0 * m * n * k, 4.0 * ((double)m * k + (double)k * n + (double)m * n),
                choice => Gemm.Matmul(ta, tb, tc, choice: choice), () => CheckGemmRows(a, b, tc.ToHostFloat(), m, n, k), ta, tb, tc);
        })
        {
            HostSizes = ["512x512x512", "1024x1024x1024", "1600x3072x768", "1800x4096x1024"],
        },
        // gemm v3 on tensor cores: y(M,N) = x(M,K)·W(N,K)ᵀ; 2·M·N·K FLOPs, operand bytes once + float32 output.
        new("gemm_tc", "MxNxK", ["64x64x64"], ["4096x4096x4096", "1800x4096x1024", "4101x3072x1024"], false, (d, s) => GemmTc(d, s, "bf16"))
        {
            HostSizes = [], // tensor cores: no host version
            Variants = ["tf32", "bf16", "fp16"],
            CreateVariant = GemmTc,
        },
        // attention v3 (head dim 64): 4·N²·C FLOPs per batch (QKᵀ and PV), qkv read once, float32 output written once.
        new("attention_tc", "BxNxH", ["1x64x1"], ["1x4096x16", "1x4201x16", "1x1805x16"], false, (d, s) => AttentionTc(d, s, "bf16"))
        {
            HostSizes = [], // tensor cores: no host version
            Variants = ["bf16", "fp16"],
            CreateVariant = AttentionTc,
        },
        .. HeadBenchWorkloads.All, // the ops after the backbone and head training (HeadBenchWorkloads.cs)
    ];

    private static BenchCase GemmTc(ComputeDevice d, int[] s, string precision)
    {
        int m = s[0], n = s[1], k = s[2];
        var x = PrecisionRef.Round(Inputs.Uniform(m * k, 1), precision);
        var w = PrecisionRef.Round(Inputs.Uniform(n * k, 2), precision);
        var tx = HalfInput(d, new Shape(m, k), x, precision);
        var tw = HalfInput(d, new Shape(n, k), w, precision);
        var ty = Tensor.Empty(d, new Shape(m, n));
        var tp = precision == "tf32" ? TensorPrecision.Tf32 : precision == "bf16" ? TensorPrecision.Bf16 : TensorPrecision.Fp16;
        int es = precision == "tf32" ? 4 : 2;
        return new BenchCase($"{precision} {m}x{n}x{k}", 2.0 * m * n * k, es * ((double)m * k + (double)n * k) + 4.0 * m * n,
            _ => Gemm.LinearTensorCore(tx, tw, null, ty, tp), () => CheckLinearRows(x, w, ty.ToHostFloat(), m, n, k), tx, tw, ty)
        { Peak = precision == "tf32" ? "tf32" : "half" };
    }

    private static BenchCase AttentionTc(ComputeDevice d, int[] s, string precision)
    {
        int b = s[0], n = s[1], h = s[2], c = h * Attention.TensorCoreHeadDim;
        var qkv = PrecisionRef.Round(Inputs.Uniform(b * n * 3 * c, 1, -2, 2), precision);
        var tq = HalfInput(d, new Shape(b, n, 3 * c), qkv, precision);
        var to = Tensor.Empty(d, new Shape(b, n, c));
        return new BenchCase($"{precision} B{b} N{n} H{h} D64", 4.0 * b * n * n * c, 2.0 * b * n * 3 * c + 4.0 * b * n * c,
            _ => Attention.ForwardTensorCore(tq, to, h), () => CheckAttentionRows(qkv, to.ToHostFloat(), b, n, h, precision), tq, to)
        { Peak = "half" };
    }

    // Operands are already rounded to the precision, so the device copy is exact and the reference sees the same values.
    private static Tensor HalfInput(ComputeDevice d, Shape shape, float[] values, string precision)
    {
        var f = Tensor.FromHost(d, shape, values);
        if (precision == "tf32") return f;
        using (f)
        {
            var t = Tensor.Empty(d, shape, precision == "bf16" ? DType.BFloat16 : DType.Float16);
            HalfConvert.FromFloat(f, t);
            return t;
        }
    }

    // 8 rows against the float64 reference on the rounded operands: float32 accumulation, atol 2e-6·K (conformance).
    private static (double MaxDiff, string? Error) CheckLinearRows(float[] x, float[] w, float[] y, int m, int n, int k)
    {
        double max = 0;
        foreach (int i in Enumerable.Range(0, 8).Select(t => (int)((long)t * (m - 1) / 7)).Distinct())
        {
            var expected = GemmRef.Linear(x[(i * k)..((i + 1) * k)], w, null, 1, n, k);
            var (diff, error) = BenchCase.Compare(expected, y.AsSpan(i * n, n), 2e-6 * k, 1e-5);
            max = Math.Max(max, diff);
            if (error is not null) return (max, $"row {i}: {error}");
        }
        return (max, null);
    }

    // 8 query rows of every head against a float64 softmax on the (rounded) q/k/v; P is rounded before P·V on tensor cores:
    // atol 2u + 2e-6·(N + D), u = 0 for float32 ("f32").
    private static (double MaxDiff, string? Error) CheckAttentionRows(float[] qkv, float[] output, int b, int n, int h, string precision)
    {
        const int dim = 64;
        int c = h * dim;
        double atol = (precision == "f32" ? 0 : 2 * PrecisionRef.UnitRoundoff(precision)) + 2e-6 * (n + dim), max = 0, scale = 1 / Math.Sqrt(dim);
        var p = new double[n];
        foreach (int i in Enumerable.Range(0, 8).Select(t => (int)((long)t * (b * n - 1) / 7)).Distinct())
            for (int head = 0; head < h; head++)
            {
                int bi = i / n;
                double mx = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < n; j++)
                {
                    double sc = 0;
                    for (int e = 0; e < dim; e++) sc += (double)qkv[i * 3 * c + head * dim + e] * qkv[(bi * n + j) * 3 * c + c + head * dim + e];
                    p[j] = sc * scale;
                    mx = Math.Max(mx, p[j]);
                }
                for (int j = 0; j < n; j++) sum += p[j] = Math.Exp(p[j] - mx);
                var expected = new float[dim];
                for (int e = 0; e < dim; e++)
                {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += p[j] * qkv[(bi * n + j) * 3 * c + 2 * c + head * dim + e];
                    expected[e] = (float)(acc / sum);
                }
                var (diff, error) = BenchCase.Compare(expected, output.AsSpan(i * c + head * dim, dim), atol, 1e-5);
                max = Math.Max(max, diff);
                if (error is not null) return (max, $"row {i} head {head}: {error}");
            }
        return (max, null);
    }

    // A full float64 reference of a large GEMM takes minutes: check 8 rows spread over M (first, last, between) instead.
    private static (double MaxDiff, string? Error) CheckGemmRows(float[] a, float[] b, float[] c, int m, int n, int k)
    {
        double max = 0;
        foreach (int i in Enumerable.Range(0, 8).Select(t => (int)((long)t * (m - 1) / 7)).Distinct())
        {
            var expected = GemmRef.Matmul(a[(i * k)..((i + 1) * k)], b, null, 1, 1, n, k, false, false);
            var (diff, error) = BenchCase.Compare(expected, c.AsSpan(i * n, n), 1e-6 * k, 1e-5);
            max = Math.Max(max, diff);
            if (error is not null) return (max, $"row {i}: {error}");
        }
        return (max, null);
    }

    /// <summary>The workload for an op, or null.</summary>
    public static BenchWorkload? For(string op) => All.FirstOrDefault(w => w.Op == op);

    // y = f(x) over N elements: 8 bytes per element; flopsPerElement is the napkin count of the math.
    private static BenchWorkload Unary(string op, double flopsPerElement, Action<Tensor, Tensor, KernelChoice> run, Func<float[], float[]> reference) =>
        new(op, "N", ["4096"], ["16777216"], false, (d, s) =>
        {
            int n = s[0];
            var x = Inputs.Uniform(n, 1, -6, 6);
            var tx = Tensor.FromHost(d, new Shape(n), x);
            var ty = Tensor.Empty(d, new Shape(n));
            return new BenchCase($"[{n}]", flopsPerElement * n, 8.0 * n, choice => run(tx, ty, choice),
                () => BenchCase.Compare(reference(x), ty.ToHostFloat(), ElemAbs, ElemRel), tx, ty);
        });

    // y = f(a, b) over N elements: 1 FLOP and 12 bytes per element.
    private static BenchWorkload Binary(string op, Action<Tensor, Tensor, Tensor, KernelChoice> run, Func<float[], float[], float[]> reference) =>
        new(op, "N", ["4096"], ["16777216"], false, (d, s) =>
        {
            int n = s[0];
            var a = Inputs.Uniform(n, 1);
            var b = Inputs.Uniform(n, 2);
            var ta = Tensor.FromHost(d, new Shape(n), a);
            var tb = Tensor.FromHost(d, new Shape(n), b);
            var ty = Tensor.Empty(d, new Shape(n));
            return new BenchCase($"[{n}]", n, 12.0 * n, choice => run(ta, tb, ty, choice),
                () => BenchCase.Compare(reference(a, b), ty.ToHostFloat(), ElemAbs, ElemRel), ta, tb, ty);
        });
}
