using NativeEngine.Kernels;
using NativeEngine.Tensors;

namespace NativeEngine.Tests;

[Collection(DeviceCollection.Name)]
public class SmokeTests(DeviceFixture fx)
{
    [Fact]
    public void AddRunsOnTheDevice()
    {
        var d = fx.Device;
        using var a = Tensor.FromHost(d, new Shape(5), [1, 2, 3, 4, 5]);
        using var b = Tensor.FromHost(d, new Shape(5), [10, 20, 30, 40, 50]);
        using var y = Tensor.Empty(d, new Shape(5));
        Elementwise.Add(a, b, y);
        Assert.Equal([11f, 22, 33, 44, 55], y.ToHostFloat());
        Assert.NotEmpty(KernelCatalog.All);
    }
}
