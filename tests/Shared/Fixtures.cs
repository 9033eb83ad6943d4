namespace NativeEngine.Tests;

/// <summary>Locates committed fixtures (tests/fixtures) and the shared real data (../shared/data) from any test dll.</summary>
public static class Fixtures
{
    /// <summary>The repository root (the folder holding NativeEngine.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Absolute path of a committed fixture, e.g. Path("kernels/gelu.safetensors").</summary>
    public static string Path(string relative)
    {
        var p = System.IO.Path.Combine(RepoRoot, "tests", "fixtures", relative);
        if (!File.Exists(p) && !Directory.Exists(p))
            throw new FileNotFoundException($"fixture {relative} is missing: regenerate it with /usr/bin/python3 tests/fixtures/generate_*.py", p);
        return p;
    }

    /// <summary>../shared/data/Validation_Dataset beside the checkout, or null where it is absent (tests then report "not run").</summary>
    public static string? SharedValidationData
    {
        get
        {
            var p = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared", "data", "Validation_Dataset"));
            return Directory.Exists(p) ? p : null;
        }
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "NativeEngine.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find NativeEngine.sln above " + AppContext.BaseDirectory);
    }
}
