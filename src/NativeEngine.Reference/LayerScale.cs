namespace NativeEngine.Reference;

/// <summary>LayerScale residual: y = x + gamma ⊙ h.</summary>
public static class LayerScaleRef
{
    /// <summary>y[i] = x[i] + gamma[i mod C]·h[i].</summary>
    public static float[] AddScaled(float[] x, float[] h, float[] gamma) =>
        x.Select((v, i) => v + gamma[i % gamma.Length] * h[i]).ToArray();
}
