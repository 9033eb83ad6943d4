using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Conformance.Cases;

/// <summary>
/// gemm in the reduced precisions (tf32, bf16, fp16): the tensor-core version (mma, forced on the simulator) and the host
/// version, against the plain reference on operands rounded by <see cref="PrecisionRef"/>; and the f32 → bf16/fp16
/// conversion the mma version reads.
/// </summary>
internal static class GemmPrecisionCases
{
    private static readonly Precision[] Reduced = [Precision.Tf32, Precision.Bf16, Precision.Fp16];

    // (M, N, K, epilogue): one ragged block with a ragged last K stage; two blocks along M with bias + GELU; two
    // blocks along N with bias + LayerScale + residual. K is a multiple of 8 (16-byte cp.async chunks in every type).
    private static readonly (int M, int N, int K, GemmEpilogue Epilogue)[] Shapes =
        [(33, 70, 40, GemmEpilogue.None), (130, 24, 64, GemmEpilogue.Gelu), (20, 136, 32, GemmEpilogue.LayerScaleResidual)];

    [ConformanceCases]
    private static IEnumerable<ConformanceCase> Cases()
    {
        foreach (var version in new[] { "mma", "host" })
        {
            foreach (var p in Reduced)
                foreach (var (m, n, k, e) in Shapes)
                {
                    string label = $"{p.Name()} [{m}x{k}]·[{n}x{k}]ᵀ{(e == GemmEpilogue.None ? "" : " +bias")}{Epilogue(e)}";
                    // Against the float64 reference on operands rounded as the tensor core rounds them: what remains is
                    // float32 accumulation (in the version's own order) of K exact products, as for the fp32 GEMM.
                    yield return new(Gemm.Op.Version(version), label, 2e-6 * k, 1e-5,
                        "operands rounded to the precision in the reference too; float32 accumulation of K exact products: atol 2e-6·K",
                        d => HostDevice.Run(d, dd => Run(dd, p, m, n, k, e, roundReference: true))) { Precision = p };
                }
            // One row per precision against the unrounded float32 inputs: the cost of the precision itself. Each product
            // carries relative error ≤ 2u (u: unit roundoff, both operands rounded), random in sign, so the sum of K
            // products of U(-1,1) values errs by about 2u·√K·E|ab| ≈ 0.5u√K; atol 2u·√K leaves a factor 4.
            foreach (var p in Reduced)
            {
                const int m = 33, n = 70, k = 64;
                double u = PrecisionRef.UnitRoundoff(p.Name());
                yield return new(Gemm.Op.Version(version), $"{p.Name()} [{m}x{k}]·[{n}x{k}]ᵀ vs unrounded fp32", 2 * u * Math.Sqrt(k), 0,
                    $"operand rounding to {p.Name()} (u = {u:G3}): atol 2u·√K",
                    d => HostDevice.Run(d, dd => Run(dd, p, m, n, k, GemmEpilogue.None, roundReference: false))) { Precision = p };
            }
        }
        foreach (var p in new[] { "bf16", "fp16" })
            yield return new(HalfConvert.Op.Plain, $"{p} normals, subnormals, ties, ±inf, NaN", 0, 0,
                "rounding is exact arithmetic: bit-identical to System.Half / bf16 round-to-nearest-even", d => Convert(d, p));

        // Bench workloads (CUDA): a square 4096³, EoMT-L's fc1 without and with queries; 8 rows checked against the
        // float64 reference on the rounded operands.
        foreach (var p in Reduced)
            foreach (var (m, n, k) in new[] { (4096, 4096, 4096), (1800, 4096, 1024), (4101, 3072, 1024) })
                yield return new(Gemm.Op.Version("mma"), $"{p.Name()} {m}x{n}x{k}", 2e-6 * k, 1e-5,
                    "operands rounded in the reference; float32 accumulation: atol 2e-6·K", d => Sampled(d, p, m, n, k)) { Bench = true, Precision = p };
    }

    // A full float64 reference of a large GEMM takes minutes: compare 8 rows spread over M (first, last, between).
    private static CaseResult Sampled(ComputeDevice d, Precision p, int m, int n, int k)
    {
        var x = PrecisionRef.Round(Inputs.Uniform(m * k, 1), p.Name());
        var w = PrecisionRef.Round(Inputs.Uniform(n * k, 2), p.Name());
        using var tx = Tensor.FromHost(d, new Shape(m, k), x);
        using var tw = Weight(d, new Shape(n, k), w, p);
        using var ty = Tensor.Empty(d, new Shape(m, n));
        Gemm.Linear(tx, tw, null, ty, precision: p);
        var y = ty.ToHostFloat();
        var rows = Enumerable.Range(0, 8).Select(t => (int)((long)t * (m - 1) / 7)).Distinct().ToList();
        return new(rows.SelectMany(i => GemmRef.Linear(x[(i * k)..((i + 1) * k)], w, null, 1, n, k)).ToArray(),
            rows.SelectMany(i => y.AsSpan(i * n, n).ToArray()).ToArray());
    }

    private static string Epilogue(GemmEpilogue e) => e switch
    {
        GemmEpilogue.Gelu => " gelu",
        GemmEpilogue.LayerScaleResidual => " layerscale+residual",
        _ => "",
    };

    private static CaseResult Run(ComputeDevice d, Precision p, int m, int n, int k, GemmEpilogue e, bool roundReference)
    {
        int seed = m * 31 + n * 7 + k;
        var x = Inputs.Uniform(m * k, seed);
        var w = Inputs.Uniform(n * k, seed + 1);
        var bias = e == GemmEpilogue.None ? null : Inputs.Uniform(n, seed + 2);
        var gamma = Inputs.Uniform(n, seed + 3);
        var residual = Inputs.Uniform(m * n, seed + 4);
        using var tx = Tensor.FromHost(d, new Shape(m, k), x); // f32: the version rounds it where it reads it
        using var tw = Weight(d, new Shape(n, k), w, p);
        using var tb = bias is null ? null : Tensor.FromHost(d, new Shape(n), bias);
        using var tg = Tensor.FromHost(d, new Shape(n), gamma);
        // LayerScale + residual runs in place (y is the residual), as the ViT block uses it.
        using var ty = e == GemmEpilogue.LayerScaleResidual ? Tensor.FromHost(d, new Shape(m, n), residual) : Tensor.Empty(d, new Shape(m, n));
        if (e == GemmEpilogue.LayerScaleResidual) Gemm.LinearLayerScale(tx, tw, tb, tg, ty, ty, precision: p);
        else Gemm.Linear(tx, tw, tb, ty, e, precision: p);

        var rx = roundReference ? PrecisionRef.Round(x, p.Name()) : x;
        var rw = roundReference ? PrecisionRef.Round(w, p.Name()) : w;
        var expected = GemmRef.Linear(rx, rw, bias, m, n, k, gelu: e == GemmEpilogue.Gelu);
        if (e == GemmEpilogue.LayerScaleResidual)
            for (int i = 0; i < expected.Length; i++) expected[i] = (float)(residual[i] + (double)gamma[i % n] * expected[i]);
        return new(expected, ty.ToHostFloat());
    }

    /// <summary>
    /// A weight in the precision's storage: float32 for tf32 (the version rounds it), bf16/f16 bits made on the host
    /// by <see cref="PrecisionRef.Bits"/> (independent of the engine's own conversion).
    /// </summary>
    internal static Tensor Weight(ComputeDevice d, Shape shape, float[] values, Precision p) =>
        p.IsHalf()
            ? Tensor.FromSpan<ushort>(d, shape, values.Select(v => PrecisionRef.Bits(v, p.Name())).ToArray(), p.WeightType())
            : Tensor.FromHost(d, shape, values);

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
