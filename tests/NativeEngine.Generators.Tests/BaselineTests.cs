using Microsoft.CodeAnalysis;

namespace NativeEngine.Generators.Tests;

/// <summary>
/// Snapshot tests: the launchers and catalogue emitted for <see cref="SampleKernels"/> match Baselines/*.txt, and
/// the generated code compiles. Re-bless after an intended change: NATIVEENGINE_BLESS=1 dotnet test ... and review.
/// </summary>
public sealed class BaselineTests
{
    private static GeneratorRunResult RunSample(out Compilation output)
    {
        var compilation = GeneratorHarness.Compile(
            (SampleKernels.ScalePath, SampleKernels.Scale),
            (SampleKernels.TiledPath, SampleKernels.Tiled),
            (SampleKernels.PlainPath, SampleKernels.Plain));
        var (result, compiled, diagnostics) = GeneratorHarness.Run(compilation);
        Assert.Empty(diagnostics);
        output = compiled;
        return result.Results.Single();
    }

    [Theory]
    [InlineData("Sample.Kernels.Scale.Launchers.g.cs")]
    [InlineData("Sample.Kernels.Tiles.Tiled.Launchers.g.cs")]
    [InlineData("KernelCatalog.g.cs")]
    public void EmittedSourceMatchesBaseline(string hintName)
    {
        var run = RunSample(out _);
        var source = run.GeneratedSources.SingleOrDefault(s => s.HintName == hintName);
        Assert.True(source.SourceText is not null,
            $"no generated file {hintName}; got: {string.Join(", ", run.GeneratedSources.Select(s => s.HintName))}");
        GeneratorHarness.AssertBaseline(hintName + ".txt", source.SourceText.ToString());
    }

    [Fact]
    public void EmitsOneLauncherFilePerKernelClassAndOneCatalogue()
    {
        var run = RunSample(out _);
        Assert.Equal(
            new[] { "KernelCatalog.g.cs", "Sample.Kernels.Scale.Launchers.g.cs", "Sample.Kernels.Tiles.Tiled.Launchers.g.cs" },
            run.GeneratedSources.Select(s => s.HintName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void GeneratedCodeCompilesWithoutWarnings()
    {
        RunSample(out var output);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void NoKernelsMeansNoOutput()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile((SampleKernels.PlainPath, SampleKernels.Plain)));
        Assert.Empty(diagnostics);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }
}
