using Microsoft.CodeAnalysis;

namespace NativeEngine.Generators.Tests;

/// <summary>Each rule the generator enforces: one bad kernel → one error with its id, on the method name.</summary>
public sealed class DiagnosticTests
{
    private const string Usings = "using ILGPU;\nusing ILGPU.Runtime;\nusing NativeEngine.Kernels;\nnamespace Bad;\n";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "NE001", "public static partial class K { [Kernel(\"op\")] internal void Go(Index1D i, ArrayView<float> x) { } }", "must be static" },
        { "NE002", "public static class K { [Kernel(\"op\")] internal static void Go(Index1D i, ArrayView<float> x) { } }", "must be partial" },
        { "NE003", "public static partial class K { [Kernel(\"op\")] internal static void Go(ArrayView<float> x) { } }", "must take Index1D" },
        { "NE004", "public static partial class K { [Kernel(\"op\", GroupX = 32)] internal static void Go(Index1D i, ArrayView<float> x) { } }", "must not take an index" },
        { "NE005", "public static partial class Outer { public static partial class K { [Kernel(\"op\")] internal static void Go(Index1D i, ArrayView<float> x) { } } }", "top-level, non-generic" },
        { "NE005", "public static partial class K<T> { [Kernel(\"op\")] internal static void Go(Index1D i, ArrayView<float> x) { } }", "top-level, non-generic" },
        { "NE006", "public static partial class K { [Kernel(\"op\")] internal static int Go(Index1D i, ArrayView<float> x) => 0; }", "must return void" },
        { "NE007", "public static partial class K { [Kernel(\"op\", GroupX = 64, GroupY = 32)] internal static void Go(ArrayView<float> x) { } }", "exceed the 1024" },
        { "NE007", "public static partial class K { [Kernel(\"op\", GroupY = 4)] internal static void Go(Index1D i, ArrayView<float> x) { } }", "only to explicitly grouped" },
        { "NE007", "public static partial class K { [Kernel(\"\")] internal static void Go(Index1D i, ArrayView<float> x) { } }", "op name must not be empty" },
        { "NE008", "public static partial class K { [Kernel(\"op\")] internal static void Go(Index1D i, ArrayView<float> x) { } internal static void Go(int n) { } }", "must not be overloaded" },
        { "NE008", "public static partial class K { [Kernel(\"op\")] internal static void Go(Index1D i, ArrayView<float> device) { } }", "launcher uses that name" },
        { "NE008", "public static partial class K { [Kernel(\"op\")] internal static void Go<T>(Index1D i, ArrayView<T> x) where T : unmanaged { } }", "must not be generic" },
        { "NE008", "public static partial class K { [Kernel(\"op\", GroupX = 32)] internal static void Go() { } }", "at least one parameter" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadKernelReportsItsRule(string id, string source, string message)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("kernels/Bad.cs", Usings + source)));
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains(message, d.GetMessage());
        Assert.Equal("kernels/Bad.cs", d.Location.GetLineSpan().Path);
        Assert.Equal("Go", Usings.Concat(source).Skip(d.Location.SourceSpan.Start).Take(2).Aggregate("", (s, c) => s + c));
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void GoodKernelsStillGetLaunchersBesideABadOne()
    {
        var source = Usings + "public static partial class K { [Kernel(\"op\")] internal static void Good(Index1D i, ArrayView<float> x) { } [Kernel(\"op\")] internal void Bad(Index1D i) { } }";
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("kernels/Mixed.cs", source)));
        Assert.Equal("NE001", Assert.Single(diagnostics).Id);
        var launcher = result.Results.Single().GeneratedSources.Single(s => s.HintName == "Bad.K.Launchers.g.cs").SourceText.ToString();
        Assert.Contains("LaunchGood(", launcher);
        Assert.DoesNotContain("LaunchBad(", launcher);
    }
}
