namespace NativeEngine.Reference;

/// <summary>Elementwise references: add, mul, row bias.</summary>
public static class ElementwiseRef
{
    /// <summary>y = a + b.</summary>
    public static float[] Add(float[] a, float[] b) => a.Select((v, i) => v + b[i]).ToArray();

    /// <summary>y = a * b.</summary>
    public static float[] Mul(float[] a, float[] b) => a.Select((v, i) => v * b[i]).ToArray();

    /// <summary>y[r, c] = x[r, c] + bias[c].</summary>
    public static float[] Bias(float[] x, float[] bias) => x.Select((v, i) => v + bias[i % bias.Length]).ToArray();
}
