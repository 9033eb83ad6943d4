using BenchmarkDotNet.Attributes;
using NativeEngine.Conformance;
using NativeEngine.Kernels;
using NativeEngine.Reference;
using NativeEngine.Tensors;

namespace NativeEngine.Benchmarks;

/// <summary>Row softmax over (R, C): about 5 FLOPs and 8 bytes per element.</summary>
public sealed record RowsSize(int Rows, int Cols) : IWork
{
    /// <inheritdoc/>
    public double Flops => 5.0 * Rows * Cols;
    /// <inheritdoc/>
    public double Bytes => 8.0 * Rows * Cols;
    /// <inheritdoc/>
    public override string ToString() => $"{Rows}x{Cols}";
}

/// <summary>Row softmax through <see cref="Softmax.Rows"/>, both versions, validated against SoftmaxRef before timing.</summary>
[Config(typeof(NapkinConfig))]
public class SoftmaxBenchmarks : OpBenchmark
{
    private Tensor x = null!, y = null!;

    /// <summary>CPU: one tiny shape. CUDA: attention-score rows of EoMT-L 1024 (N = 4101 tokens) and 16384x1024.</summary>
    public static IEnumerable<RowsSize> Sizes() => BenchDevice.IsCpu
        ? [new(64, 100)]
        : [new(4096, 4101), new(16384, 1024)];

    /// <summary>The shape.</summary>
    [ParamsSource(nameof(Sizes))]
    public RowsSize Size { get; set; } = new(64, 100);

    /// <inheritdoc/>
    protected override IOp Op => Softmax.Op;

    /// <summary>Allocates, compiles (first launch) and validates against the reference.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var d = BenchDevice.Device;
        var hx = Inputs.Uniform(Size.Rows * Size.Cols, 1, -8, 8);
        x = Tensor.FromHost(d, new Shape(Size.Rows, Size.Cols), hx);
        y = Tensor.Empty(d, new Shape(Size.Rows, Size.Cols));
        Rows();
        RefuseIfWrong(Size, SoftmaxRef.Rows(hx, Size.Cols), y.ToHostFloat(), Closeness.ElementwiseAbs, Closeness.ElementwiseRel);
    }

    /// <summary>One launch, synchronised.</summary>
    [Benchmark]
    public void Rows()
    {
        Softmax.Rows(x, y, Forced);
        BenchDevice.Device.Synchronize();
    }

    /// <summary>Returns the tensors to the pool.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        y.Dispose();
    }
}
