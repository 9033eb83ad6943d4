using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace NativeEngine.Generators;

/// <summary>One kernel parameter: its fully qualified type and its name.</summary>
internal sealed record ParameterModel(string Type, string Name, bool IsView);

/// <summary>Where a diagnostic points, kept as plain values so the model stays equatable.</summary>
internal sealed record DiagnosticModel(string Id, string Message, string File, int Start, int Length, int Line, int Column);

/// <summary>Everything the emitter needs about one [Kernel] method; no symbols or syntax nodes.</summary>
internal sealed record KernelModel(
    string Namespace,
    string ClassName,
    string MethodName,
    string Op,
    string Version,
    int GroupX, int GroupY, int GroupZ,
    int TileX, int TileY, int TileZ,
    int ProblemRank,
    int SimulatorSharedBytes,
    string? IndexType,
    EquatableArray<ParameterModel> Parameters,
    DiagnosticModel? Error)
{
    public bool IsExplicit => GroupX > 0;
    public string Key => (Namespace.Length > 0 ? Namespace + "." : "") + ClassName + "." + MethodName;
}

/// <summary>An immutable array compared by content, so incremental steps cache correctly.</summary>
internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T>
{
    private readonly T[]? items;

    public EquatableArray(T[] items) => this.items = items;

    public int Count => items?.Length ?? 0;

    public T this[int i] => items![i];

    public bool Equals(EquatableArray<T> other) =>
        (items ?? Array.Empty<T>()).SequenceEqual(other.items ?? Array.Empty<T>());

    public override bool Equals(object? obj) => obj is EquatableArray<T> o && Equals(o);

    public override int GetHashCode()
    {
        int h = 17;
        foreach (var x in items ?? Array.Empty<T>()) h = h * 31 + (x?.GetHashCode() ?? 0);
        return h;
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(items ?? Array.Empty<T>())).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
