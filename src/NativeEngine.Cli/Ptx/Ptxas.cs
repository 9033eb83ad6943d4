using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NativeEngine.Cli.Ptx;

/// <summary>What <c>ptxas -v</c> says about one assembled kernel (all functions of the module added up).</summary>
public sealed record PtxasReport(int Registers, int SpillStoreBytes, int SpillLoadBytes, int SharedBytes, int StackBytes, int TensorCoreInstructions)
{
    /// <summary>Spill stores + spill loads, in bytes: anything above 0 fails the check.</summary>
    public int SpillBytes => SpillStoreBytes + SpillLoadBytes;
}

/// <summary>Finds and runs ptxas and cuobjdump (CUDA 11.8 from Debian non-free, unpacked by .ci/fetch-ptxas.sh).</summary>
public static partial class Ptxas
{
    /// <summary>Environment variable naming the ptxas binary.</summary>
    public const string EnvironmentVariable = "NATIVEENGINE_PTXAS";

    /// <summary>The hint printed whenever ptxas cannot be found.</summary>
    public const string FetchHint = "run .ci/fetch-ptxas.sh (or pass --ptxas PATH, or set NATIVEENGINE_PTXAS)";

    /// <summary>
    /// ptxas from, in order: <paramref name="explicitPath"/>, NATIVEENGINE_PTXAS, the cache folder of .ci/fetch-ptxas.sh
    /// ($NATIVEENGINE_CUDA_CACHE or &lt;repo&gt;/.cache/cuda), then PATH. Null when none exists.
    /// </summary>
    public static string? Find(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : throw new FileNotFoundException($"--ptxas {explicitPath}: no such file");
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            return File.Exists(env) ? env : throw new FileNotFoundException($"{EnvironmentVariable}={env}: no such file");
        foreach (var cache in CacheFolders())
            foreach (var rel in new[] { "root/usr/bin/ptxas", "root/usr/lib/nvidia-cuda-toolkit/bin/ptxas" })
            {
                var p = Path.Combine(cache, rel);
                if (File.Exists(p)) return p;
            }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "ptxas");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static IEnumerable<string> CacheFolders()
    {
        var env = Environment.GetEnvironmentVariable("NATIVEENGINE_CUDA_CACHE");
        if (!string.IsNullOrEmpty(env)) yield return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "NativeEngine.sln")))
                {
                    yield return Path.Combine(d.FullName, ".cache", "cuda");
                    break;
                }
    }

    /// <summary>The first line of <c>ptxas --version</c> that names the release, e.g. "Cuda compilation tools, release 11.8, V11.8.89".</summary>
    public static string Version(string ptxas)
    {
        var (code, output) = Exec(ptxas, "--version");
        if (code != 0) throw new InvalidOperationException($"{ptxas} --version failed: {output.Trim()}");
        return output.Split('\n').FirstOrDefault(l => l.Contains("release")) ?? output.Trim();
    }

    /// <summary>
    /// Assembles <paramref name="ptxFile"/> for <paramref name="arch"/> (e.g. "sm_90") into a cubin beside it and reads
    /// registers, spills, shared memory and stack from <c>-v</c>; counts tensor-core SASS (HMMA/IMMA/HGMMA) with cuobjdump
    /// when it sits beside ptxas (-1 when it does not).
    /// </summary>
    public static PtxasReport Assemble(string ptxas, string ptxFile, string arch)
    {
        var cubin = Path.ChangeExtension(ptxFile, ".cubin");
        var (code, output) = Exec(ptxas, "-v", $"-arch={arch}", "-o", cubin, ptxFile);
        if (code != 0)
            throw new PtxasException(FirstError(output) ?? $"ptxas exited with {code}", output);
        return Parse(output) with { TensorCoreInstructions = CountTensorCoreSass(ptxas, cubin) };
    }

    /// <summary>
    /// Reads <c>ptxas -v</c> output: the largest register count, shared memory and stack frame of any function, and the
    /// spill bytes of all functions added up (TensorCoreInstructions is left at -1).
    /// </summary>
    public static PtxasReport Parse(string output)
    {
        int regs = 0, st = 0, ld = 0, smem = 0, stack = 0;
        foreach (Match m in UsedRegex().Matches(output)) regs = Math.Max(regs, int.Parse(m.Groups[1].Value));
        foreach (Match m in SmemRegex().Matches(output)) smem = Math.Max(smem, int.Parse(m.Groups[1].Value));
        foreach (Match m in FrameRegex().Matches(output))
        {
            stack = Math.Max(stack, int.Parse(m.Groups[1].Value));
            st += int.Parse(m.Groups[2].Value);
            ld += int.Parse(m.Groups[3].Value);
        }
        return new PtxasReport(regs, st, ld, smem, stack, -1);
    }

    private static int CountTensorCoreSass(string ptxas, string cubin)
    {
        var cuobjdump = Path.Combine(Path.GetDirectoryName(ptxas)!, "cuobjdump");
        if (!File.Exists(cuobjdump)) return -1;
        var (code, sass) = Exec(cuobjdump, "-sass", cubin);
        if (code != 0) throw new InvalidOperationException($"cuobjdump -sass {Path.GetFileName(cubin)} failed: {sass.Trim()}");
        return TensorCoreRegex().Matches(sass).Count;
    }

    private static string? FirstError(string output) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase));

    private static (int Code, string Output) Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    // ptxas 11.8 -v lines:  "Used 40 registers, 4096 bytes smem, 380 bytes cmem[0]"
    //                       "    16 bytes stack frame, 8 bytes spill stores, 8 bytes spill loads"
    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedRegex();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SmemRegex();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex FrameRegex();

    // Tensor-core SASS: HMMA (fp16/bf16/tf32), IMMA (int8), HGMMA (sm_90a warpgroup MMA).
    [GeneratedRegex(@"\b(HMMA|IMMA|HGMMA)\.")]
    private static partial Regex TensorCoreRegex();
}

/// <summary>ptxas rejected a PTX file.</summary>
public sealed class PtxasException(string reason, string output) : Exception(reason)
{
    /// <summary>Everything ptxas printed.</summary>
    public string Output { get; } = output;
}
