using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>train-head's features mode input: pixel rows [N, 4] and labels [N] in {0, 1, 255}.</summary>
internal static class FeatureFiles
{
    /// <summary>
    /// Writes dir/f.safetensors and dir/l.safetensors: n pixel rows whose first statistic (max_prob) separates the 20 %
    /// anomalies, 10 % void. Returns the two paths.
    /// </summary>
    public static (string Features, string Labels) Separable(string dir, int n = 600)
    {
        var rng = new Random(5);
        var x = new float[n * 4];
        var y = new byte[n];
        for (int i = 0; i < n; i++)
        {
            bool anomaly = rng.NextDouble() < 0.2;
            y[i] = rng.NextDouble() < 0.1 ? (byte)255 : anomaly ? (byte)1 : (byte)0;
            float maxProb = anomaly ? 0.3f + 0.3f * rng.NextSingle() : 0.6f + 0.4f * rng.NextSingle();
            x[i * 4] = maxProb;
            x[i * 4 + 1] = 1.5f * (1 - maxProb) + 0.2f * rng.NextSingle();
            x[i * 4 + 2] = maxProb + 0.3f * rng.NextSingle();
            x[i * 4 + 3] = 1 - maxProb;
        }
        string f = Path.Combine(dir, "f.safetensors"), l = Path.Combine(dir, "l.safetensors");
        SafeTensorsWriter.Write(f, [SafeTensorsWriter.F32("features", x, n, 4)]);
        SafeTensorsWriter.Write(l, [SafeTensorsWriter.U8("labels", y, n)]);
        return (f, l);
    }
}
