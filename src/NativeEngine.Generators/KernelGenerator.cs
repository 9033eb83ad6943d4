using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace NativeEngine.Generators;

/// <summary>
/// Incremental generator: [Kernel] methods → typed launchers (one file per kernel class) and a KernelCatalog.
/// Parser → value-equatable model → emitter; a comment-only edit leaves every output cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeName = "NativeEngine.Kernels.KernelAttribute";

    /// <summary>Tracking name of the parse step (used by the incrementality test).</summary>
    public const string ParseStep = "ParseKernels";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var kernels = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                KernelParser.Parse)
            .WithTrackingName(ParseStep);

        var all = kernels.Collect();
        var assemblyNs = context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "");

        context.RegisterSourceOutput(all, static (spc, models) =>
        {
            foreach (var bad in models.Where(m => m.Error is not null))
                spc.ReportDiagnostic(ToDiagnostic(bad.Error!));
            foreach (var group in models.Where(m => m.Error is null).GroupBy(m => (m.Namespace, m.ClassName)))
            {
                var hint = (group.Key.Namespace.Length > 0 ? group.Key.Namespace + "." : "") + group.Key.ClassName + ".Launchers.g.cs";
                spc.AddSource(hint, KernelEmitter.EmitLaunchers(group.ToList()));
            }
        });

        context.RegisterSourceOutput(all.Combine(assemblyNs), static (spc, pair) =>
        {
            var ok = pair.Left.Where(m => m.Error is null).ToList();
            if (ok.Count == 0) return;
            spc.AddSource("KernelCatalog.g.cs", KernelEmitter.EmitCatalog(ok, pair.Right));
        });
    }

    private static Diagnostic ToDiagnostic(DiagnosticModel d) => Diagnostic.Create(
        new DiagnosticDescriptor(d.Id, "Invalid kernel", "{0}", "NativeEngine", DiagnosticSeverity.Error, true),
        Location.Create(d.File, new TextSpan(d.Start, d.Length),
            new LinePositionSpan(new LinePosition(d.Line, d.Column), new LinePosition(d.Line, d.Column + d.Length))),
        d.Message);
}
