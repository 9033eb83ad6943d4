namespace NativeEngine.Conformance;

/// <summary>Seeded random inputs for conformance cases.</summary>
public static class Inputs
{
    /// <summary>n values uniform in [lo, hi), reproducible from <paramref name="seed"/>.</summary>
    public static float[] Uniform(int n, int seed, float lo = -1, float hi = 1)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
        return a;
    }
}
