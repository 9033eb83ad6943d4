using System.Diagnostics;

namespace NativeEngine.Tests;

/// <summary>
/// Runs the real `nativeengine` (nativeengine.dll beside the test dll) in a child process, the way a user does: the one
/// runner of every end-to-end CLI test. It waits for the child however long it takes: a wall-clock limit would be a timed
/// test in disguise, failing on a loaded machine (CI has its own overall limit).
/// </summary>
public static class CliProcess
{
    /// <summary>What a run left: exit code, stdout and stderr (deconstructs as <c>var (code, stdout, stderr)</c>).</summary>
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs <c>nativeengine args…</c> in the current folder on the CPU accelerator.</summary>
    public static Outcome Run(params string[] args) => RunIn(Environment.CurrentDirectory, args);

    /// <summary>Runs <c>nativeengine args…</c> in <paramref name="workDir"/> on the CPU accelerator.</summary>
    public static Outcome RunIn(string workDir, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "nativeengine.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll}: the test project must reference src/NativeEngine.Cli", dll);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NATIVEENGINE_DEVICE"] = "cpu";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new(p.ExitCode, stdout.Result, stderr.Result);
    }
}
