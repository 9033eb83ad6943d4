using NativeEngine.Cli.Commands;
using NativeEngine.Kernels;
using NativeEngine.Tests;

namespace NativeEngine.Cli.Tests;

/// <summary>The commands end to end on the CPU accelerator (tiny shapes), and the harness's refusal rule.</summary>
[Collection(DeviceCollection.Name)]
public sealed class CommandTests(DeviceFixture fixture)
{
    [Fact]
    public void SelftestPrintsATableAndPasses()
    {
        var (code, stdout, stderr) = CliProcess.Run("selftest", "--device", "cpu", "--op", "add");
        Assert.True(code == 0, stderr);
        Assert.Contains("Elementwise.AddV1", stdout);
        Assert.Matches(@"selftest: \d+ passed, 0 failed", stdout);
    }

    [Fact]
    public void BenchKernelsValidatesThenTimes()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "kernels", "--device", "sim", "--op", "add", "--size", "256", "--seconds", "0.01");
        Assert.True(code == 0, stderr);
        Assert.Contains("GB/s", stdout);
        Assert.Contains("simulator", stdout);
        Assert.Matches(@"add\s+Elementwise.AddV1\s+Auto\s+\[256\]", stdout);

        // The host backend times the host version against this CPU's measured peaks.
        (code, stdout, stderr) = CliProcess.Run("bench", "kernels", "--device", "cpu", "--op", "add", "--size", "256", "--seconds", "0.01");
        Assert.True(code == 0, stderr);
        Assert.Contains("GFLOP per CPU-second", stdout);
        Assert.Matches(@"add\s+host\s+Host\s+\[256\]", stdout);
    }

    [Fact]
    public void ErrorsAreOneLineAndExitOne()
    {
        var (code, _, stderr) = CliProcess.Run("ptx-check", "--ptxas", "/nonexistent/ptxas");
        Assert.Equal(1, code);
        Assert.StartsWith("nativeengine: error: --ptxas /nonexistent/ptxas", stderr);
        Assert.Single(stderr.Trim().Split('\n'));

        (code, _, stderr) = CliProcess.Run("bench", "kernels", "--op", "no_such_op");
        Assert.Equal(1, code);
        Assert.Contains("no catalogue op 'no_such_op'", stderr);
    }

    [Fact]
    public void HarnessRefusesAVersionThatDisagreesWithItsReference()
    {
        var d = fixture.Device;
        var w = new BenchWorkload("add", "N", ["8"], ["8"], false, (dev, s) =>
        {
            var x = Tensors.Tensor.FromHost(dev, new Tensors.Shape(s[0]), new float[s[0]]);
            return new BenchCase("[8]", 8, 96, _ => { }, () => BenchCase.Compare(new float[] { 1 }, x.ToHostFloat()[..1], 1e-6, 1e-5), x);
        });
        using var c = w.Create(d, [8]);
        var row = BenchHarness.Measure(d, w, c, KernelChoice.Auto, "Elementwise.AddV1", 0.01);
        Assert.NotNull(row.Refused);
        Assert.Contains("disagrees with the reference", row.Refused);
        Assert.True(double.IsNaN(row.Milliseconds));
    }

    [Fact]
    public void EveryBenchWorkloadNamesACatalogueOp()
    {
        var ops = KernelCatalog.All.Select(k => k.Op).ToHashSet();
        Assert.All(BenchWorkloads.All, w => Assert.Contains(w.Op, ops));
    }

    [Fact]
    public void PeaksAreFoundByDeviceName()
    {
        Assert.Equal(66.9, BenchPeaks.For("NVIDIA H100 80GB HBM3")!.Fp32TeraFlops);
        Assert.Equal(2.0, BenchPeaks.For("NVIDIA H100 PCIe")!.TeraBytesPerSecond);
        Assert.Equal(4.8, BenchPeaks.For("NVIDIA H200")!.TeraBytesPerSecond);
        Assert.Null(BenchPeaks.For("ILGPU CPU accelerator"));
    }
}
