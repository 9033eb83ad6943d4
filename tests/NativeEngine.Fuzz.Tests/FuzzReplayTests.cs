using NativeEngine.Fuzz;
using NativeEngine.Tests;

namespace NativeEngine.Fuzz.Tests;

/// <summary>The targets, created once for the class (the checkpoint target holds a small trainer on the host device).</summary>
public sealed class FuzzTargetsFixture : IDisposable
{
    /// <summary>The targets.</summary>
    public FuzzTargets Targets { get; } = new();

    /// <inheritdoc/>
    public void Dispose() => Targets.Dispose();
}

/// <summary>
/// Every seed and every committed regression input (tests/fuzz/regressions/&lt;target&gt;/: whatever ever crashed or
/// hung under tests/fuzz/run.sh) goes through its target's entry point: it must be accepted or refused with one of
/// the target's own error types. No time limit: inputs are bounded in size (FuzzTarget.MaxInputBytes, and images in
/// pixels), so a hang shows as a test run that does not end.
/// </summary>
public sealed class FuzzReplayTests(FuzzTargetsFixture fx) : IClassFixture<FuzzTargetsFixture>
{
    private static readonly string Regressions = Path.Combine(Fixtures.RepoRoot, "tests", "fuzz", "regressions");

    public static TheoryData<string> TargetNames()
    {
        using var targets = new FuzzTargets();
        return [.. targets.All.Select(t => t.Name)];
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void SeedsAndRegressionsAreAcceptedOrCleanlyRefused(string name)
    {
        var target = fx.Targets.Get(name);
        var inputs = target.Seeds().Select(s => ($"seed {s.Name}", s.Data)).ToList();
        var folder = Path.Combine(Regressions, name);
        if (Directory.Exists(folder))
            inputs.AddRange(Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(f => ($"tests/fuzz/regressions/{name}/{Path.GetFileName(f)}", File.ReadAllBytes(f))));
        var failures = new List<string>();
        int accepted = 0;
        foreach (var (label, data) in inputs)
        {
            try
            {
                if (target.Run(data) is null) accepted++;
            }
            catch (Exception e)
            {
                failures.Add($"{label}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.True(failures.Count == 0,
            $"{name} ({target.Entry}): {failures.Count} of {inputs.Count} inputs escaped with an exception other than "
            + $"{string.Join(", ", target.Rejections.Select(r => r.Name))}:\n{string.Join("\n", failures)}");
        Assert.True(accepted > 0, $"{name}: no seed was accepted, so the fuzzer would start from refusals only");
    }

    [Fact]
    public void EveryRegressionFolderNamesATarget()
    {
        if (!Directory.Exists(Regressions)) return;
        var names = fx.Targets.All.Select(t => t.Name).ToHashSet();
        var orphans = Directory.GetDirectories(Regressions).Select(Path.GetFileName).Where(d => !names.Contains(d!)).ToList();
        Assert.True(orphans.Count == 0, $"tests/fuzz/regressions holds folders of no target: {string.Join(", ", orphans)} (targets: {string.Join(", ", names)})");
    }
}
