using System.Text.RegularExpressions;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Ptx;

/// <summary>One (kernel, architecture) row of the PTX check.</summary>
/// <param name="Kernel">Catalogue name, Class.Method.</param>
/// <param name="Arch">The architecture ptxas assembled for, e.g. sm_90.</param>
/// <param name="Ptx">".version/.target" written by ILGPU, e.g. "7.8/sm_80".</param>
/// <param name="Registers">Registers per thread.</param>
/// <param name="SpillBytes">Spill stores + spill loads in bytes (must be 0).</param>
/// <param name="SharedBytes">Static shared memory per group.</param>
/// <param name="StackBytes">Stack frame per thread (local memory).</param>
/// <param name="TensorCore">Tensor-core SASS instructions (HMMA/IMMA/HGMMA); -1 when cuobjdump is unavailable.</param>
/// <param name="Error">Why the row fails (compile error, ptxas error, spills), or null.</param>
/// <param name="Threads">Threads per group (0 for implicitly grouped kernels, whose group size ILGPU picks at launch).</param>
/// <param name="Occupancy">The theoretical occupancy the registers, shared memory and group size allow (see <see cref="Occupancy"/>).</param>
public sealed record PtxRow(string Kernel, string Arch, string Ptx, int Registers, int SpillBytes, int SharedBytes,
    int StackBytes, int TensorCore, string? Error, int Threads = 0, Occupancy? Occupancy = null);

/// <summary>
/// The offline CUDA check: every catalogued kernel → ILGPU PTX backend → <c>ptxas -v -arch=sm_XX</c> → cuobjdump -sass.
/// Fails on any compile or ptxas error and on any spill.
/// </summary>
public static partial class PtxCheck
{
    /// <summary>The architectures checked by default: A100 and H100.</summary>
    public static readonly string[] DefaultArchs = ["sm_80", "sm_90"];

    /// <summary>The catalogue kernels whose name contains any of <paramref name="patterns"/> (case-insensitive; all when empty).</summary>
    public static IReadOnlyList<KernelInfo> Select(IReadOnlyCollection<string> patterns)
    {
        if (patterns.Count == 0) return KernelCatalog.All;
        var picked = KernelCatalog.All.Where(k => patterns.Any(p => k.Name.Contains(p, StringComparison.OrdinalIgnoreCase))).ToList();
        if (picked.Count == 0)
            throw new ArgumentException($"ptx-check: no catalogued kernel matches {string.Join(", ", patterns)} (names are Class.Method, e.g. Gemm.MatmulV3)");
        return picked;
    }

    /// <summary>Compiles and assembles every kernel for every arch; PTX and cubins go to <paramref name="workDir"/>.</summary>
    public static IReadOnlyList<PtxRow> Run(string ptxas, IEnumerable<string> archs, string workDir, IEnumerable<KernelInfo>? kernels = null)
    {
        Directory.CreateDirectory(workDir);
        var rows = new List<PtxRow>();
        using var compiler = new PtxCompiler();
        foreach (var archText in archs)
        {
            var arch = PtxCompiler.ParseArch(archText);
            var name = PtxCompiler.ArchName(arch);
            foreach (var k in kernels ?? KernelCatalog.All)
                rows.Add(CheckOne(compiler, ptxas, k, arch, name, workDir));
        }
        return rows;
    }

    private static PtxRow CheckOne(PtxCompiler compiler, string ptxas, KernelInfo k, ILGPU.Runtime.Cuda.CudaArchitecture arch, string archName, string workDir)
    {
        string ptx;
        try
        {
            ptx = compiler.Compile(k, arch);
        }
        catch (Exception e)
        {
            return new PtxRow(k.Name, archName, "-", 0, 0, 0, 0, 0, "ILGPU: " + Cli.OneLine(e));
        }
        var file = Path.Combine(workDir, $"{k.Name}.{archName}.ptx");
        File.WriteAllText(file, ptx);
        var header = $"{Directive(ptx, "version")}/{Directive(ptx, "target")}";
        try
        {
            var r = Ptxas.Assemble(ptxas, file, archName);
            var error = r.SpillBytes > 0 ? $"spills {r.SpillStoreBytes} B stored + {r.SpillLoadBytes} B loaded" : null;
            int threads = k.IsExplicitlyGrouped ? k.GroupSize.X * k.GroupSize.Y * k.GroupSize.Z : 0;
            var occupancy = threads > 0 ? Occupancy.Compute(arch.Major, arch.Minor, threads, r.Registers, r.SharedBytes) : null;
            return new PtxRow(k.Name, archName, header, r.Registers, r.SpillBytes, r.SharedBytes, r.StackBytes, r.TensorCoreInstructions, error, threads, occupancy);
        }
        catch (PtxasException e)
        {
            return new PtxRow(k.Name, archName, header, 0, 0, 0, 0, 0, "ptxas: " + e.Message);
        }
    }

    private static string Directive(string ptx, string name)
    {
        var m = Regex.Match(ptx, $@"^\s*\.{name}\s+(\S+)", RegexOptions.Multiline);
        return m.Success ? m.Groups[1].Value : "?";
    }

    /// <summary>The table: one line per (kernel, arch).</summary>
    public static string Format(IReadOnlyList<PtxRow> rows)
    {
        var table = new TextTable("kernel", "arch", "ptx .version/.target", "regs", "spill B", "smem B", "stack B", "HMMA",
            "threads", "occupancy", "status");
        foreach (var r in rows)
            table.Add(r.Kernel, r.Arch, r.Ptx, r.Registers.ToString(), r.SpillBytes.ToString(), r.SharedBytes.ToString(),
                r.StackBytes.ToString(), r.TensorCore < 0 ? "?" : r.TensorCore > 0 ? $"yes ({r.TensorCore})" : "no",
                r.Threads > 0 ? r.Threads.ToString() : "auto", r.Occupancy?.ToString() ?? "-",
                r.Error is null ? "ok" : "FAIL: " + r.Error);
        return table.ToString();
    }

    /// <summary>One line saying why the check failed, or null when every row passed.</summary>
    public static string? FailureReason(IReadOnlyList<PtxRow> rows)
    {
        var bad = rows.Where(r => r.Error is not null).ToList();
        if (rows.Count == 0) return "the kernel catalogue is empty";
        if (bad.Count == 0) return null;
        return $"{bad.Count} of {rows.Count} kernel builds failed; first: {bad[0].Kernel} {bad[0].Arch}: {bad[0].Error}";
    }
}
