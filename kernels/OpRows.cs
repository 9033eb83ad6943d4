namespace NativeEngine.Kernels;

/// <summary>Shorthands for the commonest op row: one simple version, one thread per element of a memory-bound op.</summary>
internal static class OpRows
{
    /// <summary>
    /// An op whose cost is a fixed number of FLOPs and bytes per element of <paramref name="elements"/> (usually the
    /// output's length), with one version: <paramref name="kernel"/> launched one thread per element by <paramref name="run"/>.
    /// </summary>
    public static Op<TArgs> PerElement<TArgs>(string name, string summary, string reference, Func<TArgs, long> elements,
        double flopsPerElement, double bytesPerElement, string kernel, Action<TArgs> run) =>
        new(name, summary, reference, a => flopsPerElement * elements(a), a => bytesPerElement * elements(a),
            [new(name, "thread-per-element", VersionKind.Simple, "one thread per element", [kernel], run)]);
}
