using System.Diagnostics;

namespace NativeEngine.Cli.Tests;

/// <summary>Runs the built `nativeengine` (beside the test dll) as a process, the way a user does.</summary>
internal static class CliProcess
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "nativeengine.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NATIVEENGINE_DEVICE"] = "cpu";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"nativeengine {string.Join(' ', args)} ran over 5 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
