using System.Diagnostics;

namespace NativeEngine.Evaluation.Tests;

/// <summary>Runs the real `nativeengine` (the dll copied beside the tests) in a child process: true end-to-end CLI tests.</summary>
internal static class CliRunner
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome Run(string workDir, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "nativeengine.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NATIVEENGINE_DEVICE"] = "cpu";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"nativeengine {string.Join(' ', args)} ran over 5 minutes"); }
        return new(p.ExitCode, stdout.Result, stderr.Result);
    }
}
