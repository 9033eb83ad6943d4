using NativeEngine.Kernels;
using Xunit.Sdk;

namespace NativeEngine.Tests;

/// <summary>xunit assertions over the house's one tolerance rule (<see cref="Closeness"/>).</summary>
public static class Tolerance
{
    /// <summary>Elementwise default: |a − r| ≤ 1e-6 + 1e-5·|r|.</summary>
    public const double ElementwiseAbs = Closeness.ElementwiseAbs, ElementwiseRel = Closeness.ElementwiseRel;

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere; NaN must match NaN, ±∞ must match exactly.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        var c = Closeness.Compare(expected, actual, atol, rtol);
        if (!c.Passed)
            throw new XunitException($"{what}: {c.Detail}; max |diff| {c.MaxDiff:E3} over {expected.Length} elements");
    }

    /// <summary>Asserts max |Δ| ≤ fraction · max|reference| (the model-parity target).</summary>
    public static void AssertRelativeToMax(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double fraction, string what)
    {
        double maxRef = 0;
        foreach (var v in expected) maxRef = Math.Max(maxRef, Math.Abs(v));
        AssertClose(expected, actual, fraction * maxRef, 0, what);
    }

    /// <summary>max |Δ| / max |reference|: how far a model output is from its reference, as the parity target reads it.</summary>
    public static double RelativeToMax(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double max = 0, diff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i]));
            diff = Math.Max(diff, Math.Abs(expected[i] - actual[i]));
        }
        return diff / max;
    }
}
