using NativeEngine.Conformance;
using Xunit.Sdk;

namespace NativeEngine.Tests;

/// <summary>The conformance rows of the anomaly and training kernels (the full table runs in NativeEngine.Kernels.Tests).</summary>
[Collection(DeviceCollection.Name)]
public class AnomalyConformanceTests(DeviceFixture fx)
{
    private static readonly string[] Families = ["UncertaintyStats.", "AnomalyHeadKernels.", "Train"];

    private static IEnumerable<ConformanceCase> Mine() =>
        ConformanceTable.All.Where(c => Families.Any(f => c.Kernel.StartsWith(f, StringComparison.Ordinal)));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Mine()) data.Add(c.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelMatchesReference(string name)
    {
        var c = Mine().Single(x => x.ToString() == name);
        var r = c.Run(fx.Device);
        var (max, bad) = ConformanceTable.Check(c, r);
        if (bad >= 0)
            throw new XunitException(
                $"{c.Kernel} {c.Shape} on {fx.Device.Kind}: element {bad} = {r.Actual.ElementAtOrDefault(bad):R}, reference {r.Expected.ElementAtOrDefault(bad):R}; max |diff| {max:E3} (atol {c.Atol}, rtol {c.Rtol}: {c.Why})");
    }
}
