using System.CommandLine;
using System.Text.Json;
using NativeEngine.Cli.Ptx;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `ptx-check [--ptxas PATH] [--arch sm_80,sm_90] [--kernel NAME…] [--json] [--keep DIR]`: the offline CUDA check. Needs no GPU: every
/// catalogued kernel is compiled by ILGPU's PTX backend and assembled by ptxas; any error or spill exits 1.
/// </summary>
public static class PtxCheckCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var ptxasOption = new Option<string?>("--ptxas") { Description = "ptxas binary (default: NATIVEENGINE_PTXAS, then .cache/cuda from .ci/fetch-ptxas.sh, then PATH)" };
        var archOption = new Option<string>("--arch")
        {
            Description = "comma-separated architectures to assemble for",
            DefaultValueFactory = _ => string.Join(",", PtxCheck.DefaultArchs),
        };
        var jsonOption = new Option<bool>("--json") { Description = "print the rows as JSON instead of a table" };
        var keepOption = new Option<string?>("--keep") { Description = "keep the .ptx and .cubin files in this folder" };
        var kernelOption = new Option<string[]>("--kernel")
        {
            Description = "check only the kernels whose Class.Method name contains one of these (case-insensitive), e.g. --kernel MatmulV3 ForwardV3",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("ptx-check", "compile every catalogued kernel to PTX (no GPU needed) and assemble it with ptxas: registers, spills, shared memory, tensor-core SASS")
        {
            ptxasOption, archOption, kernelOption, jsonOption, keepOption,
        };
        cmd.SetAction(r =>
        {
            var ptxas = Ptxas.Find(r.GetValue(ptxasOption))
                ?? throw new InvalidOperationException("ptx-check: ptxas not found: " + Ptxas.FetchHint);
            var archs = r.GetValue(archOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var keep = r.GetValue(keepOption);
            var work = keep ?? Path.Combine(Path.GetTempPath(), $"nativeengine-ptx-{Environment.ProcessId}");
            bool json = r.GetValue(jsonOption);
            var kernels = PtxCheck.Select(r.GetValue(kernelOption) ?? []);
            if (!json)
                Console.Error.WriteLine($"ptx-check: {kernels.Count} kernels x {archs.Length} archs, {Ptxas.Version(ptxas)} ({ptxas})");
            IReadOnlyList<PtxRow> rows;
            try
            {
                rows = PtxCheck.Run(ptxas, archs, work, kernels);
            }
            finally
            {
                if (keep is null && Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
            Console.Write(json
                ? JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) + Environment.NewLine
                : PtxCheck.Format(rows));
            if (keep is not null && !json) Console.Error.WriteLine($"ptx-check: PTX and cubins kept in {Path.GetFullPath(keep)}");
            var reason = PtxCheck.FailureReason(rows);
            if (reason is not null) throw new InvalidOperationException("ptx-check: " + reason);
            return 0;
        });
        return cmd;
    }
}
