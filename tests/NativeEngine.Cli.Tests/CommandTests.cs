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
        Assert.Matches(@"(?m)^add\s+thread-per-element\s", stdout);
        Assert.Matches(@"selftest: \d+ passed, 0 failed", stdout);
    }

    [Fact]
    public void BenchKernelsValidatesThenTimes()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "kernels", "--device", "sim", "--op", "softmax_rows", "--version", "thread-per-row", "--seconds", "0.01");
        Assert.True(code == 0, stderr);
        Assert.Contains("GB/s", stdout);
        Assert.Contains("simulator", stdout);
        Assert.Matches(@"softmax_rows\s+thread-per-row\s+Simple\s+\[", stdout);
    }

    [Fact]
    public void BenchKernelsOnTheHostPrintsCpuTimeAndCopyBandwidth()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "kernels", "--device", "cpu", "--op", "add", "--version", "host", "--seconds", "0.01");
        Assert.True(code == 0, stderr);
        Assert.Matches(@"peak: measured on this CPU .* GB/s copy .* GB copied per CPU-second", stdout);
        Assert.Matches(@"(?m)^op\s.*\scpu-ms\s.*\s%BW\s+bound\s+%FMA/cpu-s\s+%BW/cpu-s\s", stdout);
        Assert.Matches(@"(?m)^add\s+host\s+Host\s.*\smem\s", stdout);
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
        Assert.Contains("no op 'no_such_op'", stderr);
    }

    [Fact]
    public void HarnessRefusesAVersionThatDisagreesWithItsReference()
    {
        var row = new Conformance.ConformanceCase(Softmax.ThreadPerRow, "[1,1] wrong", 1e-6, 1e-5, "test", d =>
        {
            using var x = Tensors.Tensor.FromHost(d, new Tensors.Shape(1, 1), [0f]);
            Softmax.Rows(x, x, Softmax.ThreadPerRow);
            return new([0.5f], x.ToHostFloat()); // softmax of one value is 1, not 0.5
        });
        var r = BenchHarness.Measure(fixture.Device, row, 0.01);
        Assert.NotNull(r.Refused);
        Assert.Contains("disagrees with the reference", r.Refused);
        Assert.True(double.IsNaN(r.Milliseconds));
    }

    [Fact]
    public void HarnessRefusesARowThatRanAnotherVersion()
    {
        var row = new Conformance.ConformanceCase(Softmax.WarpPerRow, "[1,1] mislabelled", 1e-6, 1e-5, "test", d =>
        {
            using var x = Tensors.Tensor.FromHost(d, new Tensors.Shape(1, 1), [0f]);
            Softmax.Rows(x, x, Softmax.ThreadPerRow);
            return new([1f], x.ToHostFloat());
        });
        var r = BenchHarness.Measure(fixture.Device, row, 0.01);
        Assert.Contains("did not run the version it names: ran softmax_rows/thread-per-row", r.Refused);
    }

    [Fact]
    public void HarnessTakesFlopsAndBytesFromTheCostFunctions()
    {
        var row = new Conformance.ConformanceCase(Softmax.ThreadPerRow, "[2,3]", 1e-6, 1e-5, "test", d =>
        {
            using var x = Tensors.Tensor.FromHost(d, new Tensors.Shape(2, 3), [1f, 1, 1, 2, 2, 2]);
            Softmax.Rows(x, x, Softmax.ThreadPerRow);
            return new([1 / 3f, 1 / 3f, 1 / 3f, 1 / 3f, 1 / 3f, 1 / 3f], x.ToHostFloat());
        });
        var r = BenchHarness.Measure(fixture.Device, row, 0.001);
        Assert.Null(r.Refused);
        Assert.Equal(30, r.Flops);
        Assert.Equal(48, r.Bytes);
        Assert.True(r.Milliseconds > 0);
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
