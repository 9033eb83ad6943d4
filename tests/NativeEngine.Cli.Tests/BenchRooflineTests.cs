using NativeEngine.Cli.Commands;
using NativeEngine.Models.Eomt;

namespace NativeEngine.Cli.Tests;

/// <summary>The C# roofline counts bench forward prints agree with benchmarks/roofline.py's committed L-1024 table.</summary>
public sealed class BenchRooflineTests
{
    [Fact]
    public void L1024CountsMatchTheCommittedRooflineTable()
    {
        var fam = BenchRoofline.Families(EomtRandomWeights.Published("L-1024"));
        // benchmarks/roofline-L1024.md: GEMMs qkv 621.7 + out proj 207.2 + fc1 829.0 + fc2 829.0 GFLOP, fused
        // attention 1,732.0 GFLOP and 1,619.1 MB (the patch-embed GEMM is in the profiler's "patch embed + tokens").
        Near(2486.9, fam["gemm"].Flops / 1e9, 0.2);
        Near(1732.0, fam["attention"].Flops / 1e9, 0.1);
        Near(1619.1, fam["attention"].Bytes / 1e6, 0.1);
        Near(4431.2, fam.Values.Sum(v => v.Flops) / 1e9, 0.2);
        // The floor is the larger of compute and memory time: attention at 66.9 TFLOP/s FP32 and 3.35 TB/s → 25.890 ms.
        Near(25.890, BenchRoofline.FloorMs(fam["attention"], 66.9, 3.35), 0.01);
    }

    private static void Near(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected} ± {tolerance}, got {actual}");
}
