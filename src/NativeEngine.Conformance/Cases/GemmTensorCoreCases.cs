using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

/// <summary>gemm v3 (tensor cores) in every precision, and the f32 → bf16/fp16 conversion it reads.</summary>
internal static class GemmTensorCoreCases
{
    private static readonly string[] Precisions = ["tf32", "bf16", "fp16"];

    // (M, N, K, epilogue): one ragged block with a ragged last K stage; two blocks along M with bias + GELU; two
    // blocks along N with bias + LayerScale + residual. K is a multiple of 8 (16-byte cp.async chunks in every type).
    private static readonly (int M, int N, int K, TensorCoreEpilogue Epilogue)[] Shapes =
        [(33, 70, 40, TensorCoreEpilogue.None), (130, 24, 64, TensorCoreEpilogue.Gelu), (20, 136, 32, TensorCoreEpilogue.LayerScaleResidual)];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var p in Precisions)
            foreach (var (m, n, k, e) in Shapes)
            {
                string label = $"{p} [{m}x{k}]·[{n}x{k}]ᵀ{(e == TensorCoreEpilogue.None ? "" : " +bias")}{Epilogue(e)}";
                // Against the float64 reference on operands rounded as the tensor core rounds them: what remains is
                // float32 accumulation (in the hardware's own order) of K exact products, as for the fp32 GEMM.
                yield return new("gemm_tc", "Gemm.MatmulV3", label, 2e-6 * k, 1e-5,
                    "operands rounded to the precision in the reference too; float32 accumulation of K exact products: atol 2e-6·K",
                    d => Run(d, p, m, n, k, e, roundReference: true));
            }
        // One row per precision against the unrounded float32 inputs: the cost of the precision itself. Each product
        // carries relative error ≤ 2u (u: unit roundoff, both operands rounded), random in sign, so the sum of K
        // products of U(-1,1) values errs by about 2u·√K·E|ab| ≈ 0.5u√K; atol 2u·√K leaves a factor 4.
        foreach (var p in Precisions)
        {
            const int m = 33, n = 70, k = 64;
            double u = PrecisionRef.UnitRoundoff(p);
            yield return new("gemm_tc", "Gemm.MatmulV3", $"{p} [{m}x{k}]·[{n}x{k}]ᵀ vs unrounded fp32", 2 * u * Math.Sqrt(k), 0,
                $"operand rounding to {p} (u = {u:G3}): atol 2u·√K", d => Run(d, p, m, n, k, TensorCoreEpilogue.None, roundReference: false));
        }
        foreach (var p in new[] { "bf16", "fp16" })
            yield return new("to_half", "HalfConvert.FromFloatV1", $"{p} normals, subnormals, ties, ±inf, NaN", 0, 0,
                "rounding is exact arithmetic: bit-identical to System.Half / bf16 round-to-nearest-even", d => Convert(d, p));
    }

    private static string Epilogue(TensorCoreEpilogue e) => e switch
    {
        TensorCoreEpilogue.Gelu => " gelu",
        TensorCoreEpilogue.LayerScaleResidual => " layerscale+residual",
        _ => "",
    };

    private static CaseResult Run(ComputeDevice d, string p, int m, int n, int k, TensorCoreEpilogue e, bool roundReference)
    {
        int seed = m * 31 + n * 7 + k;
        var x = Inputs.Uniform(m * k, seed);
        var w = Inputs.Uniform(n * k, seed + 1);
        var bias = e == TensorCoreEpilogue.None ? null : Inputs.Uniform(n, seed + 2);
        var gamma = Inputs.Uniform(n, seed + 3);
        var residual = Inputs.Uniform(m * n, seed + 4);
        using var tx = Operand(d, new Shape(m, k), x, p);
        using var tw = Operand(d, new Shape(n, k), w, p);
        using var tb = bias is null ? null : Tensor.FromHost(d, new Shape(n), bias);
        using var tg = Tensor.FromHost(d, new Shape(n), gamma);
        // LayerScale + residual runs in place (y is the residual), as the ViT block uses it.
        using var ty = e == TensorCoreEpilogue.LayerScaleResidual ? Tensor.FromHost(d, new Shape(m, n), residual) : Tensor.Empty(d, new Shape(m, n));
        Gemm.LinearTensorCore(tx, tw, tb, ty, Parse(p), e, tg, e == TensorCoreEpilogue.LayerScaleResidual ? ty : null);

        var rx = roundReference ? PrecisionRef.Round(x, p) : x;
        var rw = roundReference ? PrecisionRef.Round(w, p) : w;
        var expected = GemmRef.Linear(rx, rw, bias, m, n, k, gelu: e == TensorCoreEpilogue.Gelu);
        if (e == TensorCoreEpilogue.LayerScaleResidual)
            for (int i = 0; i < expected.Length; i++) expected[i] = (float)(residual[i] + (double)gamma[i % n] * expected[i]);
        return new(expected, ty.ToHostFloat());
    }

    /// <summary>An operand in the precision's storage: float32 for tf32 (the kernel rounds), bf16/f16 converted on the device.</summary>
    private static Tensor Operand(ComputeDevice d, Shape shape, float[] values, string p)
    {
        var f = Tensor.FromHost(d, shape, values);
        if (p == "tf32") return f;
        using (f)
        {
            var h = Tensor.Empty(d, shape, p == "bf16" ? DType.BFloat16 : DType.Float16);
            HalfConvert.FromFloat(f, h);
            return h;
        }
    }

    private static TensorPrecision Parse(string p) => p switch
    {
        "tf32" => TensorPrecision.Tf32,
        "bf16" => TensorPrecision.Bf16,
        _ => TensorPrecision.Fp16,
    };

    private static CaseResult Convert(ComputeDevice d, string p)
    {
        var values = new List<float>(Inputs.Uniform(200, 3, -70000, 70000)) // beyond fp16's 65504: ±inf
        {
            0f, -0f, 1f, -2.5f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            1e-6f, -3e-7f, 6e-8f, 2.9e-8f, 1e-30f,                            // fp16 subnormals and underflow
            BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000), // bf16 ties (even / odd)
            1f + 1f / 2048, 1f + 3f / 2048, 65504f, 65520f,                   // fp16 ties and the overflow threshold
            3.4e38f, -1.1754944e-38f,
        };
        var src = values.ToArray();
        using var ts = Tensor.FromHost(d, new Shape(src.Length), src);
        using var th = Tensor.Empty(d, new Shape(src.Length), p == "bf16" ? DType.BFloat16 : DType.Float16);
        HalfConvert.FromFloat(ts, th);
        var got = th.ToHost<ushort>().Select(b => (float)b).ToArray();
        var want = src.Select(v => (float)PrecisionRef.Bits(v, p)).ToArray();
        // NaN payloads may differ: compare NaN-ness through the widened value instead of the bits.
        for (int i = 0; i < src.Length; i++)
            if (float.IsNaN(src[i])) { got[i] = IsNaN16(th.ToHost<ushort>()[i], p) ? -1 : got[i]; want[i] = -1; }
        return new(want, got);
    }

    private static bool IsNaN16(ushort bits, string p) => p == "bf16"
        ? (bits & 0x7F80) == 0x7F80 && (bits & 0x7F) != 0
        : (bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0;
}
