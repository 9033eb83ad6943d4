using BenchmarkDotNet.Attributes;
using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Benchmarks;

/// <summary>C(M,N) = A(M,K)·B(K,N): 2·M·N·K FLOPs, 4·(MK + KN + MN) bytes.</summary>
public sealed record GemmSize(int M, int N, int K) : IWork
{
    /// <inheritdoc/>
    public double Flops => 2.0 * M * N * K;
    /// <inheritdoc/>
    public double Bytes => 4.0 * ((double)M * K + (double)K * N + (double)M * N);
    /// <inheritdoc/>
    public override string ToString() => $"{M}x{N}x{K}";
}

/// <summary>SGEMM through <see cref="Gemm.Matmul"/>, both versions, validated against GemmRef before timing.</summary>
[Config(typeof(NapkinConfig))]
public class GemmBenchmarks : OpBenchmark
{
    private Tensor a = null!, b = null!, c = null!;

    /// <summary>CPU: one tiny shape. CUDA: EoMT-L's MLP fc1 at 640² (M = 1800 tokens) and 2048³.</summary>
    public static IEnumerable<GemmSize> Sizes() => BenchDevice.IsCpu
        ? [new(64, 64, 64)]
        : [new(1800, 4096, 1024), new(2048, 2048, 2048)];

    /// <summary>The shape.</summary>
    [ParamsSource(nameof(Sizes))]
    public GemmSize Size { get; set; } = new(64, 64, 64);

    /// <inheritdoc/>
    protected override IOp Op => Gemm.Op;

    /// <summary>Allocates, compiles (first launch) and validates 8 rows against the float64 reference.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var d = BenchDevice.Device;
        var (m, n, k) = (Size.M, Size.N, Size.K);
        var ha = Inputs.Uniform(m * k, 1);
        var hb = Inputs.Uniform(k * n, 2);
        a = Tensor.FromHost(d, new Shape(m, k), ha);
        b = Tensor.FromHost(d, new Shape(k, n), hb);
        c = Tensor.Empty(d, new Shape(m, n));
        Matmul();
        var hc = c.ToHostFloat();
        foreach (int i in Enumerable.Range(0, 8).Select(t => t * (m - 1) / 7).Distinct())
            RefuseIfWrong($"{Size} row {i}", GemmRef.Matmul(ha[(i * k)..((i + 1) * k)], hb, null, 1, 1, n, k, false, false),
                hc.AsSpan(i * n, n), 1e-6 * k, 1e-5);   // the GEMM tolerance: absolute part scaled by the reduction length
    }

    /// <summary>One launch, synchronised.</summary>
    [Benchmark]
    public void Matmul()
    {
        Gemm.Matmul(a, b, c, version: Forced);
        BenchDevice.Device.Synchronize();
    }

    /// <summary>Returns the tensors to the pool.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        a.Dispose();
        b.Dispose();
        c.Dispose();
    }
}
