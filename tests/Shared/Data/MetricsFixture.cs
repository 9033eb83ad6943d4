using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests;

/// <summary>The sklearn-computed metric fixtures (tests/fixtures/metrics, from tests/fixtures/generate_metrics.py).</summary>
internal static class MetricsFixture
{
    /// <summary>Scores, labels, their shape and sklearn's [AuPRC, FPR95, FPR95 interpolated, AUROC] of one fixture.</summary>
    public static (float[] Scores, byte[] Labels, long[] Shape, double[] Expected) Load(string name)
    {
        using var f = SafeTensorsFile.Open(Fixtures.Path($"metrics/{name}.safetensors"));
        var e = f.ReadBytes("expected");
        var expected = new double[e.Length / 8];
        Buffer.BlockCopy(e, 0, expected, 0, e.Length);
        return (f.ReadFloat32("scores"), f.ReadBytes("labels"), f.Get("scores").Shape, expected);
    }
}
