using System.CommandLine;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Commands;

/// <summary>`selftest [--device cpu|cuda]`: every catalogued kernel against its reference (filled in by issue 2).</summary>
public static class SelftestCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = Cli.DeviceOption();
        var cmd = new Command("selftest", "run every kernel of the catalogue against its reference on the chosen device");
        cmd.Options.Add(device);
        cmd.SetAction(r =>
        {
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            Console.WriteLine($"{KernelCatalog.All.Count} kernels in the catalogue");
            return 0;
        });
        return cmd;
    }
}
