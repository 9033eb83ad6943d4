using NativeEngine.Conformance;
using Xunit.Sdk;

namespace NativeEngine.Tests;

/// <summary>The conformance table: every kernel version × every row, against the plain references.</summary>
[Collection(DeviceCollection.Name)]
public class ConformanceTests(DeviceFixture fx)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in ConformanceTable.All) data.Add(c.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelMatchesReference(string name)
    {
        var c = ConformanceTable.All.Single(x => x.ToString() == name);
        var r = c.Run(fx.Device);
        var (max, bad) = ConformanceTable.Check(c, r);
        if (bad >= 0)
            throw new XunitException(
                $"{c.Kernel} {c.Shape} on {fx.Device.Kind}: element {bad} = {r.Actual.ElementAtOrDefault(bad):R}, reference {r.Expected.ElementAtOrDefault(bad):R}; max |diff| {max:E3} (atol {c.Atol}, rtol {c.Rtol}: {c.Why})");
    }

    [Fact]
    public void EveryCataloguedKernelHasAConformanceRow() =>
        Assert.Empty(ConformanceTable.Uncovered());
}
