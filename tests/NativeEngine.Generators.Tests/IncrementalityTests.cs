using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeEngine.Generators.Tests;

/// <summary>
/// The pipeline caches: a comment-only edit re-parses the edited file, but its models compare equal, so every later
/// step is Cached/Unchanged and no source is regenerated. A real edit regenerates.
/// </summary>
public sealed class IncrementalityTests
{
    private static readonly IncrementalStepRunReason[] Quiet = { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged };

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compile(
            (SampleKernels.ScalePath, SampleKernels.Scale),
            (SampleKernels.TiledPath, SampleKernels.Tiled));
        var driver = GeneratorHarness.Driver(track: true).RunGenerators(compilation);
        Assert.Equal(3, driver.GetRunResult().Results.Single().GeneratedSources.Length);
        return (driver, compilation);
    }

    private static CSharpCompilation Edit(CSharpCompilation compilation, string path, Func<string, string> edit)
    {
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        var tree = CSharpSyntaxTree.ParseText(edit(old.GetText().ToString()), GeneratorHarness.ParseOptions, path);
        return compilation.ReplaceSyntaxTree(old, tree);
    }

    [Fact]
    public void CommentOnlyEditLeavesEveryOutputCached()
    {
        var (driver, compilation) = FirstRun();
        // Shift every line of the kernel file down, and change a comment: positions move, the model must not.
        var edited = Edit(compilation, SampleKernels.ScalePath, s => "// a new first line\n" + s.Replace("// Sample: y = alpha * x.", "// Sample: scale x by alpha."));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var parse = result.TrackedSteps[KernelGenerator.ParseStep];
        Assert.NotEmpty(parse);
        var reasons = parse.SelectMany(step => step.Outputs).Select(o => o.Reason).ToList();
        Assert.All(reasons, r => Assert.Contains(r, Quiet));

        var outputs = result.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(step => step.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.Contains(o.Reason, Quiet));
        Assert.Equal(3, result.GeneratedSources.Length);
    }

    [Fact]
    public void EditingAKernelSignatureRegeneratesItsLauncher()
    {
        var (driver, compilation) = FirstRun();
        var edited = Edit(compilation, SampleKernels.ScalePath, s => s.Replace("float alpha", "float alpha, float beta"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[KernelGenerator.ParseStep].SelectMany(step => step.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        var outputs = result.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(step => step.Outputs).ToList();
        Assert.Contains(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        var launcher = result.GeneratedSources.Single(s => s.HintName == "Sample.Kernels.Scale.Launchers.g.cs").SourceText.ToString();
        Assert.Contains("float alpha, float beta)", launcher);
    }
}
