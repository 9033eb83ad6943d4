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
public class SoftmaxBenchmarks
{
    private Tensor x = null!, y = null!;

    /// <summary>CPU: one tiny shape. CUDA: attention-score rows of EoMT-L 1024 (N = 4101 tokens) and 16384x1024.</summary>
    public static IEnumerable<RowsSize> Sizes() => BenchDevice.IsCpu
        ? [new(64, 100)]
        : [new(4096, 4101), new(16384, 1024)];

    /// <summary>The shape.</summary>
    [ParamsSource(nameof(Sizes))]
    public RowsSize Size { get; set; } = new(64, 100);

    /// <summary>Every version of the op that runs on this device, by name.</summary>
    [ParamsSource(nameof(Versions))]
    public string Version { get; set; } = "";

    /// <summary>The op's versions (names, so BenchmarkDotNet prints them).</summary>
    public static IEnumerable<string> Versions() => Softmax.Op.Versions.Select(v => v.Name);

    /// <summary>Allocates, compiles (first launch) and validates against the reference.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var d = BenchDevice.Device;
        var hx = Inputs.Uniform(Size.Rows * Size.Cols, 1, -8, 8);
        x = Tensor.FromHost(d, new Shape(Size.Rows, Size.Cols), hx);
        y = Tensor.Empty(d, new Shape(Size.Rows, Size.Cols));
        Rows();
        var got = y.ToHostFloat();
        var expected = SoftmaxRef.Rows(hx, Size.Cols);
        for (int i = 0; i < got.Length; i++)
            if (!(Math.Abs(got[i] - expected[i]) <= 1e-6 + 1e-5 * Math.Abs(expected[i])))
                throw new InvalidOperationException($"softmax {Version} {Size}: y[{i}] = {got[i]}, reference {expected[i]}: refusing to time it");
    }

    /// <summary>One launch, synchronised.</summary>
    [Benchmark]
    public void Rows()
    {
        Softmax.Rows(x, y, Softmax.Op.Version(Version));
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
