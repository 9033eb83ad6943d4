namespace NativeEngine.Kernels;

/// <summary>Shorthands for the commonest op row: one simple version, one thread per element of a memory-bound op.</summary>
internal static class OpRows
{
    /// <summary>
    /// An op whose cost is a fixed number of FLOPs and bytes per element of <paramref name="elements"/> (usually the
    /// output's length; a copy costs 0 FLOPs and 8 bytes), with one version, "thread-per-element":
    /// <paramref name="kernel"/> launched one thread per element by <paramref name="run"/>, described by <paramref name="how"/>.
    /// </summary>
    public static Op<TArgs> PerElement<TArgs>(string name, string summary, string reference, Func<TArgs, long> elements,
        double flopsPerElement, double bytesPerElement, string kernel, Action<TArgs> run, string how = "one thread per element") =>
        new(name, summary, reference, a => flopsPerElement * elements(a), a => bytesPerElement * elements(a),
            [new(name, "thread-per-element", VersionKind.Simple, how, [kernel], run)]);
}
