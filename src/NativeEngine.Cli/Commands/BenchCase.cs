using NativeEngine.Kernels;
using NativeEngine.Runtime;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// One op at one size, set up on a device: launch it with a <see cref="KernelChoice"/>, then check its output
/// against the plain reference. FLOPs and bytes are the napkin math (minimum DRAM traffic: each input read once,
/// each output written once).
/// </summary>
public sealed class BenchCase(string shape, double flops, double bytes, Action<KernelChoice> launch,
    Func<(double MaxDiff, string? Error)> validate, params IDisposable[] owned) : IDisposable
{
    /// <summary>Shape label, e.g. "[1800,1024]x[1024,4096]".</summary>
    public string Shape { get; } = shape;

    /// <summary>Floating-point operations of one launch (FMA = 2).</summary>
    public double Flops { get; } = flops;

    /// <summary>Minimum bytes moved to and from device memory by one launch.</summary>
    public double Bytes { get; } = bytes;

    /// <summary>The compute peak "% peak" uses: "fp32" (CUDA cores, the default), "tf32" or "half" (tensor cores).</summary>
    public string Peak { get; init; } = "fp32";

    /// <summary>Enqueues one launch (asynchronous on CUDA).</summary>
    public void Launch(KernelChoice choice) => launch(choice);

    /// <summary>Compares the output of the last launch with the reference: max |diff| and an error or null.</summary>
    public (double MaxDiff, string? Error) Validate() => validate();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var d in owned) d.Dispose();
    }

    /// <summary>Checks |a − r| ≤ atol + rtol·|r| everywhere (NaN must match NaN); returns max |diff| and the first mismatch.</summary>
    public static (double MaxDiff, string? Error) Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol)
    {
        if (expected.Length != actual.Length) return (double.PositiveInfinity, $"length {actual.Length}, expected {expected.Length}");
        double max = 0;
        string? error = null;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a) : double.IsInfinity(e) ? e == a : Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            if (double.IsFinite(e)) max = Math.Max(max, double.IsFinite(a) ? Math.Abs(a - e) : double.PositiveInfinity);
            if (!ok && error is null) error = $"element {i} is {actual[i]:R}, expected {expected[i]:R} (atol {atol:G2}, rtol {rtol:G2})";
        }
        return (max, error);
    }
}

/// <summary>
/// An op the bench harness knows how to feed: which catalogue op it covers, how to read a size, and how to build a
/// <see cref="BenchCase"/>. Adding a benchmark for a new op is one entry in <see cref="BenchWorkloads.All"/>.
/// </summary>
/// <param name="Op">The catalogue op (KernelInfo.Op).</param>
/// <param name="SizeHelp">How --size is read, e.g. "MxNxK".</param>
/// <param name="CpuSizes">Default sizes on the CPU simulator (tiny).</param>
/// <param name="GpuSizes">Default sizes on CUDA (EoMT-like).</param>
/// <param name="HasChoice">True when the entry point takes a KernelChoice (Simple and Tiled are timed separately).</param>
/// <param name="Create">Allocates inputs for one size.</param>
public sealed record BenchWorkload(string Op, string SizeHelp, string[] CpuSizes, string[] GpuSizes, bool HasChoice,
    Func<ComputeDevice, int[], BenchCase> Create)
{
    /// <summary>Default sizes on the host backend; null: the CUDA sizes (the host backend is fast enough for EoMT shapes).
    /// Empty for ops without a host version (tensor-core ops): `bench kernels --device cpu` leaves them out rather than
    /// run the simulator at large sizes.</summary>
    public string[]? HostSizes { get; init; }

    /// <summary>Variants timed at every size (e.g. the precisions of a tensor-core op); one unnamed variant by default.</summary>
    public string[] Variants { get; init; } = [""];

    /// <summary>Builds a case for one variant (used instead of <see cref="Create"/> when set).</summary>
    public Func<ComputeDevice, int[], string, BenchCase>? CreateVariant { get; init; }

    /// <summary>A case for one size and variant.</summary>
    public BenchCase CreateFor(ComputeDevice device, int[] size, string variant) =>
        CreateVariant is null ? Create(device, size) : CreateVariant(device, size, variant);

    /// <summary>Parses "1800x1024" (or "1800,1024") into dimensions, checking the count against <see cref="SizeHelp"/>.</summary>
    public int[] ParseSize(string text)
    {
        var dims = text.Split(['x', 'X', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out int v) && v > 0 ? v : throw new ArgumentException($"bench {Op}: bad size '{text}', expected {SizeHelp}"))
            .ToArray();
        int want = SizeHelp.Split('x').Length;
        if (dims.Length != want) throw new ArgumentException($"bench {Op}: size '{text}' has {dims.Length} dimensions, expected {SizeHelp}");
        return dims;
    }
}
