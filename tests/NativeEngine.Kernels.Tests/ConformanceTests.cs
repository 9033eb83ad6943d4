using NativeEngine.Conformance;
using Xunit.Sdk;

namespace NativeEngine.Tests;

/// <summary>The conformance table: every version of every op × every row, against the plain references.</summary>
[Collection(DeviceCollection.Name)]
public class ConformanceTests(DeviceFixture fx)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in ConformanceTable.All) data.Add(c.ToString());
        return data;
    }

    /// <summary>Each row matches its reference and ran the version it names, by the recorded dispatch.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelMatchesReference(string name)
    {
        var c = ConformanceTable.All.Single(x => x.ToString() == name);
        var (r, wrong) = ConformanceTable.RunRecorded(c, fx.Device);
        var check = ConformanceTable.Check(c, r);
        if (!check.Passed)
            throw new XunitException(
                $"{c.Name} {c.Shape} on {fx.Device.Kind}: {check.Detail}; max |diff| {check.MaxDiff:E3} ({c.Why})");
        if (wrong is not null)
            throw new XunitException($"{c.Name} {c.Shape} on {fx.Device.Kind}: the row did not run the version it names: {wrong}");
    }

    [Fact]
    public void EveryCataloguedKernelHasAConformanceRow() =>
        Assert.Empty(ConformanceTable.Uncovered());

    [Fact]
    public void EveryVersionOfTheOpTableHasAConformanceRow() =>
        Assert.Empty(ConformanceTable.UncoveredVersions());
}
