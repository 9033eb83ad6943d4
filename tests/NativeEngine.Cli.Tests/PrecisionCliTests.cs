using NativeEngine.Tests;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Tests;

/// <summary>`--precision` on forward, infer, eval and bench forward: accepted values run, bad ones are refused first.</summary>
public sealed class PrecisionCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-precision-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void ForwardRunsInBf16AndSaysSo()
    {
        string input = Fixtures.Path("eomt/tiny_forward.safetensors");
        var outputs = new Dictionary<string, string>();
        foreach (var p in new[] { "fp32", "bf16" })
        {
            outputs[p] = Path.Combine(dir, p + ".safetensors");
            var r = CliProcess.RunIn(dir, "forward", "--device", "cpu", "--weights", Fixtures.Path("eomt/tiny"), "--input", input,
                "--output", outputs[p], "--precision", p);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        using var fp32 = SafeTensorsFile.Open(outputs["fp32"]);
        using var bf16 = SafeTensorsFile.Open(outputs["bf16"]);
        Assert.Equal("bf16", bf16.Metadata["precision"]);
        var a = fp32.ReadFloat32("masks_queries_logits");
        var b = bf16.ReadFloat32("masks_queries_logits");
        Assert.NotEqual(a, b);                                                 // the precision was applied
        Tolerance.AssertRelativeToMax(a, b, 1e-2, "bf16 vs fp32 mask logits"); // bf16 (u = 2⁻⁸) moves them by ~1e-3 of max
    }

    [Fact]
    public void BenchPrecisionTablesTheFixtures()
    {
        string md = Path.Combine(dir, "precision.md");
        var r = CliProcess.RunIn(dir, "bench", "precision", "--device", "cpu", "--precisions", "bf16", "--fixtures", Fixtures.Path("."), "--out", md);
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var fixture in new[] { "tiny", "tiny_masked", "tiny_swiglu", "small" })
            Assert.Matches($@"(?m)^\| {fixture} \| bf16 \| \d\.\d\dE-0\d\d \| \d+\.\d\d % ", r.Stdout);
        Assert.Contains("Validation sets: not run", r.Stdout); // no --data, no ../shared/data beside the temp folder
        Assert.Equal(r.Stdout, File.ReadAllText(md));
    }

    public static TheoryData<string[]> Commands() => new()
    {
        { new[] { "forward", "--weights", "unused", "--input", "unused.safetensors", "--output", "out.safetensors" } },
        { new[] { "infer", "unused.png", "--random-model", "tiny", "--out", "out" } },
        { new[] { "eval", "--random-model", "tiny", "--data", "unused", "--out", "out" } },
        { new[] { "bench", "forward", "--config", "S-640" } },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void ABadPrecisionIsRefusedNamingTheFlagAndTheChoices(string[] command)
    {
        var r = CliProcess.RunIn(dir, [.. command, "--precision", "int8", "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal("nativeengine: error: --precision 'int8': unknown precision; choices: fp32, tf32, bf16, fp16", line.Trim());
        Assert.Equal("", r.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir)); // refused before any work: nothing written
    }
}
