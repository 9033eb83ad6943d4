namespace NativeEngine.Fuzz;

/// <summary>
/// One parser under fuzzing. <see cref="Parse"/> feeds the bytes to the parser's public entry point as a user's file
/// would reach it; <see cref="Rejections"/> lists the exception types that count as a clean refusal (the project's own
/// error types, which carry a message naming the file and the problem). Anything else escaping is a crash.
/// </summary>
/// <param name="Name">Selects the target on the command line (tests/fuzz/run.sh, <c>NativeEngine.Fuzz run NAME</c>).</param>
/// <param name="Entry">The entry point exercised, for the docs and messages.</param>
/// <param name="Parse">Parses one input; throws on refusal.</param>
/// <param name="Rejections">Exception types (exact types, not subclasses) that are a clean refusal.</param>
/// <param name="Seeds">Small valid inputs (from tests/fixtures or written by the project's own writers).</param>
public sealed record FuzzTarget(string Name, string Entry, Action<byte[]> Parse, Type[] Rejections, Func<IEnumerable<(string Name, byte[] Data)>> Seeds)
{
    /// <summary>Largest input fed to a target: bounds the work of one run, so a replay cannot hang on a big file.</summary>
    public const int MaxInputBytes = 1 << 20;

    /// <summary>
    /// Parses <paramref name="data"/>: returns null when it was accepted, the refusal when it was cleanly refused, and
    /// lets every other exception escape (AFL records it as a crash; the replay test fails on it).
    /// </summary>
    public Exception? Run(byte[] data)
    {
        if (data.Length > MaxInputBytes) return null; // AFL never makes one (its own cap is 1 MB); never seeded
        try
        {
            Parse(data);
            return null;
        }
        catch (Exception e) when (IsRejection(e))
        {
            return e;
        }
    }

    /// <summary>Whether <paramref name="e"/> is one of this target's clean refusals.</summary>
    public bool IsRejection(Exception e) => Rejections.Contains(e.GetType());
}
