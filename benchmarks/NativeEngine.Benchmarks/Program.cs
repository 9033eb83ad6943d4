using System.Reflection;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using NativeEngine.Benchmarks;

// BenchmarkDotNet suites (SGEMM, softmax). Device: NATIVEENGINE_DEVICE=cpu|cuda. Examples:
//   NATIVEENGINE_DEVICE=cuda dotnet run -c Release --project benchmarks/NativeEngine.Benchmarks -- --filter '*Gemm*'
// With NATIVEENGINE_RECORD=1 each suite's table is also written to benchmarks/results/ (see benchmarks/README.md).
var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchDevice).Assembly).Run(args).ToList();
if (Environment.GetEnvironmentVariable("NATIVEENGINE_RECORD") == "1")
    foreach (var summary in summaries.Where(s => s.Reports.Any()))
        Console.WriteLine($"// recorded: {Record(summary)}");
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;

static string Record(BenchmarkDotNet.Reports.Summary summary)
{
    var version = typeof(BenchDevice).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
    var commit = version.Contains('+') ? version[(version.IndexOf('+') + 1)..] : "unknown";
    var suite = summary.BenchmarksCases.First().Descriptor.Type.Name.Replace("Benchmarks", "");
    var root = new DirectoryInfo(AppContext.BaseDirectory);
    while (root is not null && !File.Exists(Path.Combine(root.FullName, "NativeEngine.sln"))) root = root.Parent;
    var dir = Path.Combine(root?.FullName ?? ".", "benchmarks", "results");
    Directory.CreateDirectory(dir);
    var file = Path.Combine(dir, $"{DateTime.UtcNow:yyyy-MM-dd}_{BenchDevice.Slug}_{commit[..Math.Min(7, commit.Length)]}_{suite}.md");

    var log = new AccumulationLogger();
    MarkdownExporter.GitHub.ExportToLog(summary, log);
    var d = BenchDevice.Device;
    var driver = d.Accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda ? $"CUDA driver {cuda.DriverVersion}, {cuda.Architecture}" : "none (CPU simulator)";
    File.WriteAllText(file,
        $"# {suite} on {BenchDevice.Slug}\n\n" +
        $"- device: {d.Description}\n- driver: {driver}\n- commit: {commit}\n- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n" +
        $"- host: {Environment.MachineName}, {Environment.ProcessorCount} cores, .NET {Environment.Version}\n" +
        "- how: `NATIVEENGINE_RECORD=1 NATIVEENGINE_DEVICE=... dotnet run -c Release --project benchmarks/NativeEngine.Benchmarks -- --filter '*'`\n\n" +
        log.GetLog());
    return file;
}
