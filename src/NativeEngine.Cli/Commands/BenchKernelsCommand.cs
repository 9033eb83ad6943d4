using System.CommandLine;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `bench kernels [--device] [--op NAME] [--size S ...] [--seconds T]`: for each catalogue op with a workload, each
/// size and each version (Simple/Tiled), validate against the reference, then time. Exit 1 when a version is refused.
/// </summary>
public static class BenchKernelsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = Cli.DeviceOption();
        var op = new Option<string?>("--op") { Description = "only this op (e.g. gemm, softmax_rows)" };
        var size = new Option<string[]>("--size")
        {
            Description = "sizes for --op, e.g. 1800x4096x1024 for gemm (see the op's SIZE form in the table header); default: per device",
            AllowMultipleArgumentsPerToken = true,
        };
        var seconds = new Option<double>("--seconds") { Description = "target seconds per timed batch (5 batches, median)", DefaultValueFactory = _ => 0.2 };
        var cmd = new Command("kernels", "validate, then time every catalogue op that has a bench workload") { device, op, size, seconds };
        cmd.SetAction(r =>
        {
            var opName = r.GetValue(op);
            var sizes = r.GetValue(size) ?? [];
            var byOp = KernelCatalog.All.GroupBy(k => k.Op).Where(g => opName is null || g.Key == opName).ToList();
            if (byOp.Count == 0)
                throw new ArgumentException($"bench kernels: no catalogue op '{opName}'; ops: {string.Join(", ", KernelCatalog.All.Select(k => k.Op).Distinct().Order())}");
            if (sizes.Length > 0 && opName is null) throw new ArgumentException("bench kernels: --size needs --op (each op reads sizes its own way)");
            var missing = byOp.Where(g => BenchWorkloads.For(g.Key) is null).Select(g => g.Key).ToList();
            if (opName is not null && missing.Count > 0)
                throw new ArgumentException($"bench kernels: op '{opName}' has no workload yet (add one to BenchWorkloads.All)");

            using var d = Cli.OpenDevice(r.GetValue(device)!, quiet: true);
            var peak = d.IsHost ? HostPeaks.Measure() : d.HasHostMemory ? null : BenchPeaks.For(d.Accelerator.Name);
            foreach (var line in BenchCommand.MachineLines(d, peak)) Console.WriteLine(line);
            var rows = new List<BenchRow>();
            var noHost = new List<string>();
            foreach (var g in byOp)
            {
                var w = BenchWorkloads.For(g.Key);
                if (w is null) continue;
                if (d.IsHost && sizes.Length == 0 && w.HostSizes is { Length: 0 })
                {
                    noHost.Add(w.Op);
                    continue;
                }
                foreach (var s in sizes.Length > 0 ? sizes : d.IsHost ? w.HostSizes ?? w.GpuSizes : d.HasHostMemory ? w.CpuSizes : w.GpuSizes)
                foreach (var variant in w.Variants)
                {
                    using var c = w.CreateFor(d, w.ParseSize(s), variant);
                    foreach (var (choice, kernels) in BenchHarness.Choices(d, w, g.ToList()))
                    {
                        var row = BenchHarness.Measure(d, w, c, choice, kernels, r.GetValue(seconds));
                        Console.Error.WriteLine($"bench: {row.Op} {row.Choice} {row.Shape}: {(row.Refused ?? row.Milliseconds.ToString("0.0000") + " ms")}");
                        rows.Add(row);
                    }
                }
            }
            Console.Write(BenchHarness.Format(rows, peak));
            if (missing.Count > 0) Console.WriteLine($"no workload (not timed): {string.Join(", ", missing)}");
            if (noHost.Count > 0) Console.WriteLine($"no host sizes (no host version yet; not timed on the host backend): {string.Join(", ", noHost)}");
            var refused = rows.Where(x => x.Refused is not null).ToList();
            if (refused.Count > 0)
                throw new InvalidOperationException($"bench kernels: {refused.Count} version(s) refused; first: {refused[0].Op} {refused[0].Choice} {refused[0].Shape}: {refused[0].Refused}");
            return 0;
        });
        return cmd;
    }
}
