namespace NativeEngine.Kernels;

/// <summary>The outcome of comparing an output with its reference.</summary>
/// <param name="MaxDiff">Max |actual − expected| over finite expected values (∞ when a finite one came out non-finite).</param>
/// <param name="FirstBad">Index of the first element out of tolerance, or −1.</param>
/// <param name="Detail">"element i is a, expected e (atol, rtol)" for the first failure, or null.</param>
public readonly record struct Comparison(double MaxDiff, int FirstBad, string? Detail)
{
    /// <summary>True when every element is within tolerance.</summary>
    public bool Passed => FirstBad < 0;
}

/// <summary>
/// The one tolerance rule of the house, used by the conformance table, `bench kernels` and the tests:
/// |a − r| ≤ atol + rtol·|r| everywhere; a NaN reference wants NaN, an infinite one the same infinity.
/// </summary>
public static class Closeness
{
    /// <summary>Elementwise default: |a − r| ≤ 1e-6 + 1e-5·|r| (a few float32 ulps of rounding).</summary>
    public const double ElementwiseAbs = 1e-6, ElementwiseRel = 1e-5;

    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/>.</summary>
    public static Comparison Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol)
    {
        if (expected.Length != actual.Length)
            return new(double.PositiveInfinity, 0, $"length {actual.Length}, expected {expected.Length}");
        double max = 0;
        int bad = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? e == a
                : Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            if (double.IsFinite(e)) max = Math.Max(max, double.IsFinite(a) ? Math.Abs(a - e) : double.PositiveInfinity);
            if (!ok && bad < 0) bad = i;
        }
        return bad < 0 ? new(max, -1, null)
            : new(max, bad, $"element {bad} is {actual[bad]:R}, expected {expected[bad]:R} (atol {atol:G2}, rtol {rtol:G2})");
    }
}
