using Xunit.Sdk;

namespace NativeEngine.Tests;

/// <summary>Closeness checks that print what failed: the first mismatch, its index and the max difference.</summary>
public static class Tolerance
{
    /// <summary>Elementwise default: |a − r| ≤ 1e-6 + 1e-5·|r|.</summary>
    public const double ElementwiseAbs = 1e-6, ElementwiseRel = 1e-5;

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere; NaN must match NaN, ±∞ must match exactly.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        int first = -1;
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? e == a
                : Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            if (!double.IsNaN(e) && !double.IsInfinity(e)) maxDiff = Math.Max(maxDiff, Math.Abs(a - e));
            if (!ok && first < 0) first = i;
        }
        if (first >= 0)
            throw new XunitException(
                $"{what}: element {first} is {actual[first]:R}, expected {expected[first]:R} (atol {atol}, rtol {rtol}); max |diff| {maxDiff:E3} over {expected.Length} elements");
    }

    /// <summary>Asserts max |Δ| ≤ fraction · max|reference| (the model-parity target).</summary>
    public static void AssertRelativeToMax(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double fraction, string what)
    {
        double maxRef = 0;
        foreach (var v in expected) maxRef = Math.Max(maxRef, Math.Abs(v));
        AssertClose(expected, actual, fraction * maxRef, 0, what);
    }
}
