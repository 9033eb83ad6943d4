using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NativeEngine.Generators;

/// <summary>Turns a [Kernel] method symbol into a <see cref="KernelModel"/> (or a model carrying one diagnostic).</summary>
internal static class KernelParser
{
    private static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>Names the launcher itself uses for its parameters and locals.</summary>
    private static readonly string[] Reserved = { "device", "extent", "problem", "kernel", "grid", "group" };

    public static KernelModel Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        var method = (IMethodSymbol)ctx.TargetSymbol;
        var type = method.ContainingType;
        var attr = ctx.Attributes[0];
        string op = attr.ConstructorArguments.Length > 0 ? attr.ConstructorArguments[0].Value as string ?? "" : "";
        string version = "v1";
        int gx = 0, gy = 1, gz = 1, tx = 0, ty = 0, tz = 0, rank = 0, simShared = 0;
        foreach (var named in attr.NamedArguments)
        {
            // An attribute argument with a compile error has no value: treat it as unset (the compiler reports it).
            int value = named.Value.Value is int v ? v : 0;
            switch (named.Key)
            {
                case "Version": version = named.Value.Value as string ?? "v1"; break;
                case "GroupX": gx = value; break;
                case "GroupY": gy = value; break;
                case "GroupZ": gz = value; break;
                case "TileX": tx = value; break;
                case "TileY": ty = value; break;
                case "TileZ": tz = value; break;
                case "ProblemRank": rank = value; break;
                case "SimulatorSharedBytes": simShared = value; break;
            }
        }

        var parameters = method.Parameters
            .Select(p => new ParameterModel(
                p.Type.ToDisplayString(Qualified),
                p.Name,
                p.Type.OriginalDefinition.ToDisplayString().StartsWith("ILGPU.Runtime.ArrayView")))
            .ToArray();

        string? indexType = null;
        var first = method.Parameters.FirstOrDefault()?.Type.ToDisplayString();
        bool firstIsIndex = first is "ILGPU.Index1D" or "ILGPU.Index2D" or "ILGPU.Index3D";
        var syntax = (MethodDeclarationSyntax)ctx.TargetNode;
        bool classIsPartial = type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax(ct) is ClassDeclarationSyntax c && c.Modifiers.Any(m => m.Text == "partial"));
        bool overloaded = type.GetMembers(method.Name).Length > 1;
        var byRef = method.Parameters.FirstOrDefault(p => p.RefKind != RefKind.None);
        var reserved = method.Parameters.FirstOrDefault(p => Reserved.Contains(p.Name));
        string? shapeError = LaunchShapeError(gx, gy, gz, tx, ty, tz, rank) ?? (simShared < 0 || (simShared > 0 && gx == 0) ? "SimulatorSharedBytes must be >= 0 and applies only to explicitly grouped kernels" : null);

        DiagnosticModel? error = null;
        if (!method.IsStatic) error = Error(syntax, "NE001", $"kernel '{method.Name}' must be static");
        else if (!classIsPartial) error = Error(syntax, "NE002", $"class '{type.Name}' holding kernel '{method.Name}' must be partial");
        else if (type.ContainingType is not null || type.IsGenericType)
            error = Error(syntax, "NE005", $"kernel class '{type.Name}' must be a top-level, non-generic class");
        else if (!method.ReturnsVoid) error = Error(syntax, "NE006", $"kernel '{method.Name}' must return void");
        else if (gx == 0 && !firstIsIndex)
            error = Error(syntax, "NE003", $"implicitly grouped kernel '{method.Name}' must take Index1D, Index2D or Index3D first (or set GroupX for an explicitly grouped kernel)");
        else if (gx > 0 && firstIsIndex)
            error = Error(syntax, "NE004", $"explicitly grouped kernel '{method.Name}' must not take an index parameter: use Grid/Group indices");
        else if (op.Trim().Length == 0 || shapeError is not null)
            error = Error(syntax, "NE007", $"kernel '{method.Name}': {shapeError ?? "the op name must not be empty"}");
        else if (method.IsGenericMethod || overloaded || byRef is not null || reserved is not null || method.Parameters.Length == 0)
            error = Error(syntax, "NE008", $"kernel '{method.Name}' " + (
                method.Parameters.Length == 0 ? "must take at least one parameter (a kernel without outputs does nothing)" :
                method.IsGenericMethod ? "must not be generic" :
                overloaded ? "must not be overloaded (the launcher and the catalogue name it by method name)" :
                byRef is not null ? $"must not take parameter '{byRef.Name}' by reference" :
                $"must not name a parameter '{reserved!.Name}' (the launcher uses that name)"));

        if (gx == 0 && firstIsIndex)
        {
            indexType = "global::" + first;
            parameters = parameters.Skip(1).ToArray();
            rank = first![first.Length - 2] - '0';
        }
        if (rank == 0) rank = gz > 1 || tz > 0 ? 3 : gy > 1 || ty > 0 ? 2 : 1;

        var ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        return new KernelModel(ns, type.Name, method.Name, op, version,
            gx, gy, gz, tx == 0 ? gx : tx, ty == 0 ? gy : ty, tz == 0 ? gz : tz, rank, simShared,
            indexType, new EquatableArray<ParameterModel>(parameters), error);
    }

    /// <summary>Why a launch shape is impossible, or null. GPUs allow at most 1024 threads per group.</summary>
    private static string? LaunchShapeError(int gx, int gy, int gz, int tx, int ty, int tz, int rank)
    {
        if (gx < 0 || gy < 1 || gz < 1 || tx < 0 || ty < 0 || tz < 0)
            return "GroupX must be >= 0, GroupY and GroupZ >= 1, tiles >= 0";
        if (gx == 0 && (gy != 1 || gz != 1 || tx != 0 || ty != 0 || tz != 0 || rank != 0))
            return "GroupY, GroupZ, Tile* and ProblemRank apply only to explicitly grouped kernels (set GroupX)";
        if ((long)gx * gy * gz > 1024)
            return $"{gx}x{gy}x{gz} = {(long)gx * gy * gz} threads per group exceed the 1024 a GPU allows";
        if (rank is < 0 or > 3)
            return "ProblemRank must be 1, 2 or 3 (or 0 to infer it)";
        return null;
    }

    private static DiagnosticModel Error(MethodDeclarationSyntax syntax, string id, string message)
    {
        var loc = syntax.Identifier.GetLocation();
        var line = loc.GetLineSpan();
        return new DiagnosticModel(id, message, line.Path, loc.SourceSpan.Start, loc.SourceSpan.Length,
            line.StartLinePosition.Line, line.StartLinePosition.Character);
    }
}
