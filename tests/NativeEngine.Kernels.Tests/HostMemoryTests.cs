using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Tests;

/// <summary>The device seam: which --device values exist, and host code touching tensors in place.</summary>
[Collection(DeviceCollection.Name)]
public class HostMemoryTests(DeviceFixture fx)
{
    [Theory]
    [InlineData("cpu", DeviceKind.Cpu)]
    [InlineData("host", DeviceKind.Cpu)]
    [InlineData("SIM", DeviceKind.Sim)]
    [InlineData("cuda", DeviceKind.Cuda)]
    [InlineData("auto", DeviceKind.Auto)]
    [InlineData(null, DeviceKind.Auto)]
    public void ParsesEveryDeviceName(string? text, DeviceKind kind) => Assert.Equal(kind, ComputeDevice.ParseKind(text));

    [Fact]
    public void UnknownDeviceNamesTheAcceptedValues()
    {
        var e = Assert.Throws<ArgumentException>(() => ComputeDevice.ParseKind("gpu"));
        Assert.Contains("'gpu'", e.Message);
        Assert.Contains(ComputeDevice.AcceptedKinds, e.Message);
    }

    [Fact]
    public void HostSpanReadsAndWritesTheTensorInPlace()
    {
        var d = fx.Device;
        if (!d.HasHostMemory) return; // CUDA memory is not host-addressable
        using var a = Tensor.FromHost(d, new Shape(2, 3), [1, 2, 3, 4, 5, 6]);
        using var b = Tensor.FromHost(d, new Shape(2, 3), [10, 20, 30, 40, 50, 60]);
        using var y = Tensor.Empty(d, new Shape(2, 3));
        Elementwise.Add(a, b, y);                       // a kernel (or host version) writes y …
        Assert.Equal([11f, 22, 33, 44, 55, 66], y.HostSpan<float>().ToArray()); // … host code sees it with no copy
        y.HostSpan<float>()[4] = -1f;                   // … and host writes are what the device reads
        Assert.Equal(-1f, y.ToHostFloat()[4]);
        using var row = y.Slice(1, 1);                  // views address their own first element
        Assert.Equal(44f, row.HostSpan<float>()[0]);
    }
}
