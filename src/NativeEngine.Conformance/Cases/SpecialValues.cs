namespace NativeEngine.Conformance.Cases;

/// <summary>The special inputs every elementwise row set includes: NaN, ±∞, ±0, tiny, huge and GELU/erf range edges.</summary>
internal static class SpecialValues
{
    /// <summary>NaN, ±∞, ±0, denormal-sized, large and the erf branch edges (±0.9·√2, ±3.92·√2 in GELU units).</summary>
    public static readonly float[] All =
    [
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-30f, -1e-30f,
        1.2727922f, -1.2727922f, 1.2728f, 5.5437351f, -5.5437351f, 5.544f,
        0.5f, -0.5f, 1f, -1f, 3f, -3f, 5f, -5f, 8f, -8f, 10f, -10f, 20f, -20f, 100f, -100f, 1e4f, -1e4f, 1e30f, -1e30f,
        float.MaxValue, float.MinValue,
    ];

    /// <summary><paramref name="n"/> values cycling through <see cref="All"/>.</summary>
    public static float[] Cycle(int n) => Enumerable.Range(0, n).Select(i => All[i % All.Length]).ToArray();
}
