using System.Text.Json;
using NativeEngine.Evaluation.IO;
using NativeEngine.Tests;

namespace NativeEngine.Cli.Tests;

/// <summary>`nativeengine metrics` end to end: fixture files in, JSON out, equal to sklearn; errors are one line + exit 1.</summary>
public class MetricsCliTests
{
    [Fact]
    public void JsonMatchesSklearn()
    {
        var path = Fixtures.Path("metrics/continuous_void.safetensors");
        var (_, labels, _, expected) = MetricsFixture.Load("continuous_void");
        var r = CliProcess.RunIn(Path.GetTempPath(), "metrics", "--scores", path, "--labels", path, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        string[] keys = ["auprc", "fpr95", "fpr95_interp", "auroc"];
        for (int k = 0; k < 4; k++) Assert.Equal(expected[k], root.GetProperty(keys[k]).GetDouble(), 1e-6);
        Assert.Equal(labels.LongCount(v => v != 255), root.GetProperty("pixels").GetProperty("valid").GetInt64());
    }

    [Fact]
    public void NpyFilesWorkAndUndefinedMetricsAreNull()
    {
        var dir = Directory.CreateTempSubdirectory("ne-metrics-").FullName;
        try
        {
            ArrayFiles.WriteFloat(Path.Combine(dir, "s.npy"), [0.1f, 0.9f, 0.5f], [3]);
            ArrayFiles.WriteBytes(Path.Combine(dir, "l.npy"), [0, 0, 255], [3]);
            var r = CliProcess.RunIn(dir, "metrics", "--scores", "s.npy", "--labels", "l.npy", "--json");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal(0.0, doc.RootElement.GetProperty("auprc").GetDouble());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("fpr95").ValueKind);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ShapeMismatchAndMissingFileAreOneLineErrors()
    {
        var dir = Directory.CreateTempSubdirectory("ne-metrics-").FullName;
        try
        {
            ArrayFiles.WriteFloat(Path.Combine(dir, "s.safetensors"), [0.1f, 0.9f], [2]);
            ArrayFiles.WriteBytes(Path.Combine(dir, "l.safetensors"), [0, 1, 1], [3]);
            var r = CliProcess.RunIn(dir, "metrics", "--scores", "s.safetensors", "--labels", "l.safetensors");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("same shape", r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'));
            r = CliProcess.RunIn(dir, "metrics", "--scores", "missing.safetensors", "--labels", "l.safetensors");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("missing.safetensors", r.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}
