using System.CommandLine;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `bench kernels [--device] [--op NAME] [--version NAME] [--shape TEXT] [--seconds T]`: every version of every op in
/// the op table, on its bench workloads (the conformance files' realistic rows; FLOPs and bytes from the op's cost
/// functions): validate against the reference, then time. Exit 1 when a version is refused.
/// </summary>
public static class BenchKernelsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = Cli.DeviceOption();
        var op = new Option<string?>("--op") { Description = "only this op (e.g. gemm, softmax_rows)" };
        var version = new Option<string?>("--version") { Description = "only this version (e.g. smem-tile64 or gemm/smem-tile64)" };
        var shape = new Option<string?>("--shape") { Description = "only workloads whose shape label contains this text" };
        var seconds = new Option<double>("--seconds") { Description = "target seconds per timed batch (5 batches, median)", DefaultValueFactory = _ => 0.2 };
        var cmd = new Command("kernels", "validate, then time every version of every op in the op table") { device, op, version, shape, seconds };
        cmd.SetAction(r =>
        {
            IReadOnlyList<IOp> ops = r.GetValue(op) is { } name ? [OpTable.Find(name)] : OpTable.All;
            var versions = ops.SelectMany(o => o.Versions).ToList();
            if (r.GetValue(version) is { } vName)
                versions = [vName.Contains('/') ? OpTable.Version(vName) : ops.Count == 1 ? ops[0].Version(vName)
                    : throw new ArgumentException("bench kernels: --version without --op needs the full name, e.g. gemm/smem-tile64")];

            using var d = Cli.OpenDevice(r.GetValue(device)!, quiet: true);
            var peak = d.IsHost ? HostPeaks.Measure() : d.HasHostMemory ? null : BenchPeaks.For(d.Accelerator.Name);
            foreach (var line in BenchCommand.MachineLines(d, peak)) Console.WriteLine(line);
            var rows = new List<BenchRow>();
            foreach (var v in versions)
                foreach (var c in BenchHarness.Workloads(v, d).Where(c => r.GetValue(shape) is not { } s || c.Shape.Contains(s)))
                {
                    var row = BenchHarness.Measure(d, c, r.GetValue(seconds));
                    Console.Error.WriteLine($"bench: {v.FullName} {row.Shape}: {row.Refused ?? row.Milliseconds.ToString("0.0000") + " ms"}");
                    rows.Add(row);
                }
            Console.Write(BenchHarness.Format(rows, peak));
            var untimed = versions.Where(v => rows.All(x => x.Version != v)).Select(v => v.FullName).ToList();
            if (untimed.Count > 0) Console.WriteLine($"no workload (not timed): {string.Join(", ", untimed)}");
            var refused = rows.Where(x => x.Refused is not null).ToList();
            if (refused.Count > 0)
                throw new InvalidOperationException($"bench kernels: {refused.Count} version(s) refused; first: {refused[0].Version.FullName} {refused[0].Shape}: {refused[0].Refused}");
            return 0;
        });
        return cmd;
    }
}
