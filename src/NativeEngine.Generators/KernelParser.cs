using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NativeEngine.Generators;

/// <summary>Turns a [Kernel] method symbol into a <see cref="KernelModel"/>.</summary>
internal static class KernelParser
{
    private static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat;

    public static KernelModel Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        var method = (IMethodSymbol)ctx.TargetSymbol;
        var type = method.ContainingType;
        var attr = ctx.Attributes[0];
        string op = attr.ConstructorArguments.Length > 0 ? attr.ConstructorArguments[0].Value as string ?? "" : "";
        string version = "v1";
        int gx = 0, gy = 1, gz = 1, tx = 0, ty = 0, tz = 0, rank = 0;
        foreach (var named in attr.NamedArguments)
        {
            switch (named.Key)
            {
                case "Version": version = named.Value.Value as string ?? "v1"; break;
                case "GroupX": gx = (int)named.Value.Value!; break;
                case "GroupY": gy = (int)named.Value.Value!; break;
                case "GroupZ": gz = (int)named.Value.Value!; break;
                case "TileX": tx = (int)named.Value.Value!; break;
                case "TileY": ty = (int)named.Value.Value!; break;
                case "TileZ": tz = (int)named.Value.Value!; break;
                case "ProblemRank": rank = (int)named.Value.Value!; break;
            }
        }

        var parameters = method.Parameters
            .Select(p => new ParameterModel(
                p.Type.ToDisplayString(Qualified),
                p.Name,
                p.Type.OriginalDefinition.ToDisplayString().StartsWith("ILGPU.Runtime.ArrayView")))
            .ToArray();

        string? indexType = null;
        DiagnosticModel? error = null;
        var first = method.Parameters.FirstOrDefault()?.Type.ToDisplayString();
        bool firstIsIndex = first is "ILGPU.Index1D" or "ILGPU.Index2D" or "ILGPU.Index3D";
        var syntax = (MethodDeclarationSyntax)ctx.TargetNode;
        bool classIsPartial = type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax(ct) is ClassDeclarationSyntax c && c.Modifiers.Any(m => m.Text == "partial"));

        if (!method.IsStatic) error = Error(syntax, "NE001", $"kernel '{method.Name}' must be static");
        else if (!classIsPartial) error = Error(syntax, "NE002", $"class '{type.Name}' holding kernel '{method.Name}' must be partial");
        else if (type.ContainingType is not null) error = Error(syntax, "NE005", $"kernel class '{type.Name}' must not be nested");
        else if (!method.ReturnsVoid) error = Error(syntax, "NE006", $"kernel '{method.Name}' must return void");
        else if (gx == 0 && !firstIsIndex)
            error = Error(syntax, "NE003", $"implicitly grouped kernel '{method.Name}' must take Index1D, Index2D or Index3D first (or set GroupX for an explicitly grouped kernel)");
        else if (gx > 0 && firstIsIndex)
            error = Error(syntax, "NE004", $"explicitly grouped kernel '{method.Name}' must not take an index parameter: use Grid/Group indices");

        if (gx == 0 && firstIsIndex)
        {
            indexType = "global::" + first;
            parameters = parameters.Skip(1).ToArray();
        }
        if (rank == 0) rank = gz > 1 || tz > 0 ? 3 : gy > 1 || ty > 0 ? 2 : 1;

        var ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        return new KernelModel(ns, type.Name, method.Name, op, version,
            gx, gy, gz, tx == 0 ? gx : tx, ty == 0 ? gy : ty, tz == 0 ? gz : tz, rank,
            indexType, new EquatableArray<ParameterModel>(parameters), error);
    }

    private static DiagnosticModel Error(MethodDeclarationSyntax syntax, string id, string message)
    {
        var loc = syntax.Identifier.GetLocation();
        var line = loc.GetLineSpan();
        return new DiagnosticModel(id, message, line.Path, loc.SourceSpan.Start, loc.SourceSpan.Length,
            line.StartLinePosition.Line, line.StartLinePosition.Character);
    }
}
