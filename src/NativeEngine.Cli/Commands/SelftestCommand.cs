using System.CommandLine;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `selftest [--device cpu|cuda] [--op NAME]`: every row of the conformance table (each catalogued kernel against its
/// plain reference on awkward shapes) on the chosen device, as a pass/fail table. How a GPU machine with only the
/// .NET runtime checks every kernel. Exit 1 when any row fails.
/// </summary>
public static class SelftestCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = Cli.DeviceOption();
        var op = new Option<string?>("--op") { Description = "only rows whose op or kernel name contains this text" };
        var cmd = new Command("selftest", "run every kernel of the catalogue against its reference on the chosen device") { device, op };
        cmd.SetAction(r =>
        {
            var cases = SelftestRunner.Select(r.GetValue(op)).ToList();
            if (cases.Count == 0) throw new ArgumentException($"selftest: no conformance row matches --op {r.GetValue(op)}");
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            Console.Error.WriteLine($"selftest: {cases.Count} rows over {cases.Select(c => c.Name).Distinct().Count()} versions of {OpTable.All.Count} ops ({KernelCatalog.All.Count} catalogued kernels)");
            // On a terminal, a progress line (the CPU simulator takes minutes for the whole table).
            bool progress = !Console.IsErrorRedirected;
            int width = progress ? TerminalWidth() : 0;
            var results = new List<SelftestResult>(cases.Count);
            foreach (var c in cases)
            {
                if (progress) Console.Error.Write($"\r[{results.Count + 1}/{cases.Count}] {c.Name} {c.Shape}".PadRight(width)[..width]);
                results.Add(SelftestRunner.Run(d, c));
            }
            if (progress) Console.Error.Write("\r" + new string(' ', width) + "\r");
            Console.Write(SelftestRunner.Format(results));
            int failed = results.Count(x => !x.Passed);
            Console.WriteLine($"selftest: {results.Count - failed} passed, {failed} failed");
            var uncovered = r.GetValue(op) is null
                ? Conformance.ConformanceTable.Uncovered().Concat(Conformance.ConformanceTable.UncoveredVersions()).ToList() : [];
            if (uncovered.Count > 0)
                throw new InvalidOperationException($"selftest: kernels or versions without a conformance row: {string.Join(", ", uncovered)}");
            if (failed > 0)
            {
                var first = results.First(x => !x.Passed);
                throw new InvalidOperationException($"selftest: {failed} of {results.Count} rows failed on {d.Kind}; first: {first.Case.Name} {first.Case.Shape}: {first.Detail}");
            }
            return 0;
        });
        return cmd;
    }

    private static int TerminalWidth()
    {
        try
        {
            return Math.Max(20, Console.WindowWidth - 1);
        }
        catch (IOException)
        {
            return 79;
        }
    }
}
