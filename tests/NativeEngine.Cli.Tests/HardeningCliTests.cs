using System.Text.RegularExpressions;
using NativeEngine.Evaluation.IO;
using NativeEngine.Tests;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Cli.Tests;

/// <summary>
/// Issue 12's command-line defects: usage errors keep the README's error contract (one `nativeengine: error:` line,
/// exit 1, nothing on stdout), outputs are checked before the work, a checkpoint without config is not run on a guess.
/// </summary>
public sealed class HardeningCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ne-harden-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static void AssertOneErrorLine(CliProcess.Outcome r, string expected)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout); // no help dump
        var errors = r.Stderr.Trim().Split('\n').Where(l => l.StartsWith("nativeengine: error: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, r.Stderr);
        Assert.Contains(expected, errors[0]);
    }

    private static void AssertOnlyOneLine(CliProcess.Outcome r, string expected)
    {
        AssertOneErrorLine(r, expected);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    // Defect 10: an unknown or missing option printed the whole help on stdout and no error line.
    [Fact]
    public void UsageErrorsAreOneLineWithAHintToHelp()
    {
        var r = CliProcess.RunIn(dir, "eval", "--data", dir, "--no-such-option");
        AssertOnlyOneLine(r, "'--no-such-option'");
        Assert.Contains("nativeengine eval --help", r.Stderr);

        r = CliProcess.RunIn(dir, "train-head", "--features", "f.safetensors");
        AssertOnlyOneLine(r, "--out");
        Assert.Contains("nativeengine train-head --help", r.Stderr);

        r = CliProcess.RunIn(dir, "no-such-command");
        AssertOnlyOneLine(r, "no-such-command");
    }

    // Defect 10: `--steps abc` talked about System.Int32.
    [Fact]
    public void AValueOfTheWrongTypeIsSaidInWords()
    {
        var r = CliProcess.RunIn(dir, "train-head", "--features", "f", "--labels", "l", "--out", "h.safetensors", "--steps", "abc");
        AssertOnlyOneLine(r, "--steps 'abc' is not a whole number");
        Assert.DoesNotContain("System.", r.Stderr);
        r = CliProcess.RunIn(dir, "train-head", "--features", "f", "--labels", "l", "--out", "h.safetensors", "--steps", "3", "--lr", "fast");
        AssertOnlyOneLine(r, "--lr 'fast' is not a number");
    }

    // Defect 10: `forward --output x.npy` wrote safetensors bytes into a .npy file.
    [Fact]
    public void ForwardRefusesAnNpyOutputBeforeTheForward()
    {
        var npy = Path.Combine(dir, "x.npy");
        var r = CliProcess.RunIn(dir, "forward", "--weights", Fixtures.Path("eomt/tiny"), "--input", WritePixels(), "--output", npy);
        AssertOneErrorLine(r, "--output " + npy);
        Assert.Contains(".safetensors", r.Stderr);
        Assert.False(File.Exists(npy));
    }

    // Defect 7: `forward --output <a folder>` failed only after the whole forward.
    [Fact]
    public void ForwardChecksItsOutputBeforeLoadingTheModel()
    {
        var r = CliProcess.RunIn(dir, "forward", "--weights", Fixtures.Path("eomt/tiny"), "--input", WritePixels(), "--output", dir);
        AssertOneErrorLine(r, "is a folder");
        r = CliProcess.RunIn(dir, "forward", "--weights", Fixtures.Path("eomt/tiny"), "--input", WritePixels(), "--output", "/proc/ne-harden/out.safetensors");
        AssertOneErrorLine(r, "--output /proc/ne-harden/out.safetensors: cannot write there");
        Assert.DoesNotContain("device:", r.Stderr); // refused before the device and the model were opened
    }

    // Defect 7: eval/infer --out are checked before the model runs.
    [Fact]
    public void EvalAndInferCheckTheirOutputFolderFirst()
    {
        var r = CliProcess.RunIn(dir, "eval", "--demo-model", "--data", dir, "--out", "/proc/ne-harden-eval");
        AssertOneErrorLine(r, "--out /proc/ne-harden-eval: cannot write there");
        var file = Path.Combine(dir, "a-file");
        File.WriteAllText(file, "keep me");
        r = CliProcess.RunIn(dir, "infer", "--demo-model", file, "--out", file);
        AssertOneErrorLine(r, "is a file; give a folder");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    // Defect 5: a weights folder without config.json ran with a guessed head count (C/64) and wrong outputs.
    [Fact]
    public void ForwardRefusesAGuessedHeadCountAndTakesAConfig()
    {
        var weights = Path.Combine(dir, "no-config");
        Directory.CreateDirectory(weights);
        File.Copy(Fixtures.Path("eomt/tiny/model.safetensors"), Path.Combine(weights, "model.safetensors"));
        var pixels = WritePixels();
        var output = Path.Combine(dir, "out.safetensors");

        var r = CliProcess.RunIn(dir, "forward", "--weights", weights, "--input", pixels, "--output", output);
        AssertOneErrorLine(r, "num_attention_heads");
        Assert.Contains("--config config.json", r.Stderr);
        Assert.Contains("weights-tools convert", r.Stderr);
        Assert.False(File.Exists(output));

        r = CliProcess.RunIn(dir, "forward", "--weights", weights, "--config", Fixtures.Path("eomt/tiny/config.json"), "--input", pixels, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var reference = Path.Combine(dir, "ref.safetensors");
        r = CliProcess.RunIn(dir, "forward", "--weights", Fixtures.Path("eomt/tiny"), "--input", pixels, "--output", reference);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var a = SafeTensorsFile.Open(output);
        using var b = SafeTensorsFile.Open(reference);
        Assert.Equal(b.ReadFloat32("class_queries_logits"), a.ReadFloat32("class_queries_logits"));
    }

    // Defect 10: `dotnet pack` made packages that `dotnet tool install` refused ("not a .NET tool").
    [Theory]
    [InlineData("src/NativeEngine.Cli/NativeEngine.Cli.csproj", "nativeengine")]
    [InlineData("weights-tools/WeightsTool/WeightsTool.csproj", "weights-tools")]
    public void CommandLineProjectsPackAsDotnetTools(string project, string command)
    {
        var xml = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, project));
        Assert.Contains("<PackAsTool>true</PackAsTool>", xml);
        Assert.Contains($"<ToolCommandName>{command}</ToolCommandName>", xml);
        // The install itself (pack, then `dotnet tool install` from a local folder) is a step of .ci/run.
        Assert.Contains("dotnet tool install", File.ReadAllText(Path.Combine(Fixtures.RepoRoot, ".ci", "run")));
    }

    // Defect 13: a child process killed after a fixed 5 minutes made CI depend on the machine's load.
    [Fact]
    public void NoTestHasAWallClockLimit()
    {
        string[] patterns = [@"WaitForExit\s*\(\s*[^)\s]", @"\bTimeout\s*=", @"CancelAfter\s*\(", @"new\s+CancellationTokenSource\s*\(\s*[^)\s]"];
        var self = Path.GetFullPath(Path.Combine(Fixtures.RepoRoot, "tests", "NativeEngine.Cli.Tests", "HardeningCliTests.cs"));
        var offenders = Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => Path.GetFullPath(f) != self)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => patterns.Any(p => Regex.IsMatch(x.line, p)))
            .Select(x => $"{Path.GetRelativePath(Fixtures.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "wall-clock limits in tests:\n" + string.Join("\n", offenders));
        // One runner (tests/Shared/CliProcess.cs) starts every child process.
        var starters = Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && Path.GetFullPath(f) != self && File.ReadAllText(f).Contains("new ProcessStartInfo")).ToList();
        Assert.Equal([Path.Combine(Fixtures.RepoRoot, "tests", "Shared", "CliProcess.cs")], starters.Select(Path.GetFullPath));
    }

    // pixel_values (1, 3, 40, 40) for the tiny fixture model.
    private string WritePixels()
    {
        var path = Path.Combine(dir, "pixels.safetensors");
        if (!File.Exists(path))
        {
            var rng = new Random(3);
            SafeTensorsWriter.Write(path, [SafeTensorsWriter.F32("pixel_values", Enumerable.Range(0, 3 * 40 * 40).Select(_ => rng.NextSingle() - 0.5f).ToArray(), 1, 3, 40, 40)]);
        }
        return path;
    }

    // Defect 12: --max-images 0 or -1 exited 0 with an empty table.
    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void EvalRefusesMaxImagesBelowOne(string n)
    {
        using var d = new SyntheticData();
        d.Validation("RoadAnomaly21", 1, "png", "png");
        var outDir = Path.Combine(d.Root, "out");
        var r = CliProcess.RunIn(d.Root, "eval", "--demo-model", "--data", Path.Combine(d.Root, "Validation_Dataset"), "--max-images", n, "--out", outDir);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"nativeengine: error: --max-images {n}", r.Stderr);
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
    }

    // Defect 4: float labels were truncated (0.5 became normal) and NaN labels accepted.
    [Theory]
    [InlineData(0.5f)]
    [InlineData(float.NaN)]
    public void MetricsRefusesFloatLabels(float label)
    {
        var dir = Directory.CreateTempSubdirectory("ne-labels-").FullName;
        try
        {
            ArrayFiles.WriteFloat(Path.Combine(dir, "s.npy"), [0.1f, 0.9f, 0.5f], [3]);
            ArrayFiles.WriteFloat(Path.Combine(dir, "l.npy"), [0f, 1f, label], [3]);
            var r = CliProcess.RunIn(dir, "metrics", "--scores", "s.npy", "--labels", "l.npy");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("l.npy", r.Stderr);
            Assert.Contains("labels must be integers 0..255", r.Stderr);
            Assert.Equal("", r.Stdout);
        }
        finally { Directory.Delete(dir, true); }
    }

    // Defect 10: metrics rejected --device, which the README says every command takes.
    [Fact]
    public void MetricsAcceptsDevice()
    {
        var path = Fixtures.Path("metrics/continuous_void.safetensors");
        var r = CliProcess.RunIn(Path.GetTempPath(), "metrics", "--scores", path, "--labels", path, "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("AuPRC", r.Stdout);
    }

    // Defect 11: "(Parameter 'source')" leaked into the NaN-scores error.
    [Fact]
    public void NaNScoresErrorHasNoParameterSuffix()
    {
        var dir = Directory.CreateTempSubdirectory("ne-nan-").FullName;
        try
        {
            ArrayFiles.WriteFloat(Path.Combine(dir, "s.npy"), [0.1f, float.NaN, 0.5f], [3]);
            ArrayFiles.WriteBytes(Path.Combine(dir, "l.npy"), [0, 1, 0], [3]);
            var r = CliProcess.RunIn(dir, "metrics", "--scores", "s.npy", "--labels", "l.npy");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("is NaN", r.Stderr);
            Assert.DoesNotContain("(Parameter", r.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}
