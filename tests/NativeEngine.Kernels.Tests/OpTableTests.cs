using System.Reflection;
using NativeEngine.Kernels;
using NativeEngine.Runtime;
using NativeEngine.Tensors;

namespace NativeEngine.Tests;

/// <summary>The op table against the generated catalogue, the references, and the dispatcher's rules.</summary>
[Collection(DeviceCollection.Name)]
public class OpTableTests(DeviceFixture fx)
{
    [Fact]
    public void EveryVersionNamesCataloguedKernels() =>
        Assert.All(OpTable.All.SelectMany(o => o.Versions), v =>
        {
            var kernels = OpTable.KernelsOf(v).ToList(); // throws naming a missing kernel
            Assert.Equal(v.Kind is VersionKind.Host or VersionKind.Composite, kernels.Count == 0);
        });

    [Fact]
    public void EveryCataloguedKernelBelongsToAVersion() => Assert.Empty(OpTable.Unlisted());

    [Fact]
    public void EveryOpNamesAReferenceThatExists()
    {
        var types = typeof(NativeEngine.Reference.GemmRef).Assembly.GetTypes();
        Assert.All(OpTable.All, o =>
        {
            var parts = o.Reference.Split('.');
            var type = types.SingleOrDefault(t => t.Name == parts[0]);
            Assert.True(type?.GetMethods(BindingFlags.Public | BindingFlags.Static).Any(m => m.Name == parts[1]) == true,
                $"{o.Name}: reference {o.Reference} not found in NativeEngine.Reference");
        });
    }

    [Fact]
    public void OpAndVersionNamesAreUnique()
    {
        Assert.Equal(OpTable.All.Count, OpTable.All.Select(o => o.Name).Distinct().Count());
        Assert.All(OpTable.All.SelectMany(o => o.Versions), v => Assert.Same(v, OpTable.Version(v.FullName)));
    }

    [Fact]
    public void EveryOpFieldOfTheKernelsAssemblyIsListed()
    {
        var fields = typeof(OpTable).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => typeof(IOp).IsAssignableFrom(f.FieldType))
            .Select(f => (IOp)f.GetValue(null)!);
        Assert.All(fields, o => Assert.Contains(o, OpTable.All));
    }

    [Fact]
    public void AutoPicksByDeviceKind()
    {
        using var x = Tensor.FromHost(fx.Device, new Shape(2, 3), new float[6]);
        var args = new SoftmaxArgs(x, x, 2, 3);
        var picked = Softmax.Op.Pick(fx.Device, args);
        var expected = fx.Device.Kind switch
        {
            DeviceKind.Cuda => Softmax.Op.Versions.Where(v => v.Kind == VersionKind.Grouped).First(),
            DeviceKind.Cpu => Softmax.Op.Versions.FirstOrDefault(v => v.Kind == VersionKind.Host) ?? Softmax.ThreadPerRow,
            _ => Softmax.ThreadPerRow,
        };
        Assert.Same(expected, picked);
    }

    [Fact]
    public void DispatchIsRecordedAndForcedByName()
    {
        using var x = Tensor.FromHost(fx.Device, new Shape(2, 3), [1, 2, 3, 4, 5, 6]);
        using var log = DispatchLog.Start();
        Softmax.Rows(x, x, OpTable.Version("softmax_rows/warp-per-row"));
        var d = Assert.Single(log.Entries);
        Assert.Same(Softmax.WarpPerRow, d.Version);
        Assert.Equal(30, d.Flops);  // 5 per element
        Assert.Equal(48, d.Bytes);  // read and write 6 floats
    }

    [Fact]
    public void ForcingAnotherOpsVersionFailsClearly()
    {
        using var x = Tensor.FromHost(fx.Device, new Shape(2, 3), new float[6]);
        var e = Assert.Throws<ArgumentException>(() => Softmax.Rows(x, x, Gemm.SmemTile64));
        Assert.Contains("gemm/smem-tile64 is not a version of this op", e.Message);
    }

    [Fact]
    public void UnknownVersionNamesListTheVersions()
    {
        var e = Assert.Throws<ArgumentException>(() => OpTable.Version("gemm/fast"));
        Assert.Contains("thread-per-output", e.Message);
        Assert.Contains("smem-tile64", e.Message);
    }

    // A synthetic op whose versions only record that they ran: the dispatcher's rules without any kernel.
    // The argument is an int; a negative one stands for a tf32 call (the precision travels in the args, as gemm's).
    private static (Op<int> Op, List<string> Ran) Synthetic()
    {
        var ran = new List<string>();
        OpVersion<int> V(string name, VersionKind kind, bool tf32 = false, int maxArg = int.MaxValue) =>
            new("synthetic", name, kind, name, [], _ => ran.Add(name),
                (_, a) => (a < 0) != tf32 ? (tf32 ? "it serves tf32 calls only" : "it computes in fp32") : Math.Abs(a) <= maxArg ? null : $"arg must be ≤ {maxArg}");
        var op = new Op<int>("synthetic", "test", "none", a => a, a => 4.0 * a,
            V("plain", VersionKind.Simple), V("tf32", VersionKind.TensorCore, tf32: true),
            V("small-only", VersionKind.Grouped, maxArg: 10), V("host", VersionKind.Host));
        return (op, ran);
    }

    [Fact]
    public void AutoPicksByPrecisionAndSkipsVersionsWhosePredicateFails()
    {
        var (op, ran) = Synthetic();
        op.Run(fx.Device, 5);
        op.Run(fx.Device, 50);
        op.Run(fx.Device, -5);                                  // a tf32 call: only the tf32 version serves it
        string expected = fx.Device.Kind switch
        {
            DeviceKind.Cpu => "host,host,tf32",
            DeviceKind.Cuda => "small-only,plain,tf32", // an fp32 call never lands on tf32; small-only's limit sends 50 to plain
            _ => "plain,plain,tf32",
        };
        Assert.Equal(expected, string.Join(",", ran));
    }

    [Fact]
    public void ForcedVersionsRunOrFailNamingTheirLimit()
    {
        var (op, ran) = Synthetic();
        op.Run(fx.Device, -5, op.Version("tf32"));
        var e = Assert.Throws<ArgumentException>(() => op.Run(fx.Device, 50, op.Version("small-only")));
        Assert.Contains("synthetic/small-only cannot run here: arg must be ≤ 10", e.Message);
        var f = Assert.Throws<ArgumentException>(() => op.Run(fx.Device, 5, op.Version("tf32")));
        Assert.Contains("synthetic/tf32 cannot run here: it serves tf32 calls only", f.Message);
        Assert.Equal(["tf32"], ran);
    }

    [Fact]
    public void ALogForcesItsVersionOnlyWhereNoneIsNamed()
    {
        var (op, ran) = Synthetic();
        using (var log = DispatchLog.Start(force: op.Version("small-only")))
        {
            op.Run(fx.Device, 3);                              // forced
            op.Run(fx.Device, 3, op.Version("plain"));        // an explicit version wins
            Assert.Equal(["synthetic/small-only", "synthetic/plain"], log.Entries.Select(d => d.Version.FullName));
            Assert.Equal([3.0, 3.0], log.Entries.Select(d => d.Flops));
        }
        op.Run(fx.Device, 3);                                  // log closed: back to the device's pick
        Assert.Equal(3, ran.Count);
    }
}
