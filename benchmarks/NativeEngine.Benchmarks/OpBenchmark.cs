using BenchmarkDotNet.Attributes;
using NativeEngine.Kernels;

namespace NativeEngine.Benchmarks;

/// <summary>
/// What every op suite shares: one benchmark case per version of the op (by name, so BenchmarkDotNet prints it), and
/// the refusal to time a version whose output disagrees with the reference (the house's one tolerance rule).
/// </summary>
public abstract class OpBenchmark
{
    /// <summary>The op the suite times (its row in the op table).</summary>
    protected abstract IOp Op { get; }

    /// <summary>The version being timed.</summary>
    [ParamsSource(nameof(Versions))]
    public string Version { get; set; } = "";

    /// <summary>The op's versions, by name.</summary>
    public IEnumerable<string> Versions() => Op.Versions.Select(v => v.Name);

    /// <summary>The version to force: <see cref="Version"/> looked up in the op's row.</summary>
    protected OpVersion Forced => Op.Version(Version);

    /// <summary>Throws, naming the version, the shape and the first mismatch, unless |got − expected| ≤ atol + rtol·|expected|.</summary>
    protected void RefuseIfWrong(object shape, ReadOnlySpan<float> expected, ReadOnlySpan<float> got, double atol, double rtol)
    {
        var c = Closeness.Compare(expected, got, atol, rtol);
        if (!c.Passed) throw new InvalidOperationException($"{Op.Name} {Version} {shape}: {c.Detail}: refusing to time it");
    }
}
