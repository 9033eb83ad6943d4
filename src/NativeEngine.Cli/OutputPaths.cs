namespace NativeEngine.Cli;

/// <summary>
/// Output locations checked before any work starts, so a long forward, training or evaluation never ends in "cannot
/// write": the folder is created (as the command would) and a probe file is written and removed there.
/// </summary>
public static class OutputPaths
{
    /// <summary>Refuses <paramref name="path"/> (given with <paramref name="option"/>) unless a file can be written there.</summary>
    public static void RequireWritableFile(string option, string path)
    {
        if (Directory.Exists(path))
            throw new ArgumentException($"{option} {path}: is a folder; give a file name (e.g. {Path.Combine(path, "out.safetensors")})");
        var full = Path.GetFullPath(path);
        Probe(option, path, Path.GetDirectoryName(full)!);
    }

    /// <summary>Refuses <paramref name="path"/> unless it is, or can be created as, a folder that files can be written into.</summary>
    public static void RequireWritableFolder(string option, string path)
    {
        if (File.Exists(path)) throw new ArgumentException($"{option} {path}: is a file; give a folder");
        Probe(option, path, Path.GetFullPath(path));
    }

    /// <summary>Refuses an extension other than <paramref name="extension"/>, saying why.</summary>
    public static void RequireExtension(string option, string path, string extension, string why)
    {
        if (!path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{option} {path}: {why}; give a {extension} file name (e.g. {Path.ChangeExtension(path, extension)})");
    }

    private static void Probe(string option, string path, string dir)
    {
        string probe = Path.Combine(dir, $".nativeengine-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(dir);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            var why = e is UnauthorizedAccessException ? "permission denied" : e.Message.Replace(probe, dir).ReplaceLineEndings(" ");
            throw new ArgumentException($"{option} {path}: cannot write there ({why}); choose a writable location");
        }
    }
}
