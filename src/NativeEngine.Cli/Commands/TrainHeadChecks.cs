using System.Globalization;
using NativeEngine.Training.Head;

namespace NativeEngine.Cli.Commands;

/// <summary>`train-head`'s checks before any work: every option in range and every output writable (a run never trains for an hour and then fails).</summary>
internal static class TrainHeadChecks
{
    public static void BeforeWork(HeadTrainingOptions options, string outPath, string checkpoint, float? dropout, int pixelsPerImage,
        int logEvery, int? stopAfter, string hidden)
    {
        HeadTrainingChecks.Validate(options);
        if (dropout is { } p && (!float.IsFinite(p) || p < 0 || p >= 1))
            throw new ArgumentException($"--dropout {p.ToString(CultureInfo.InvariantCulture)}: must be ≥ 0 and below 1 (e.g. 0.1)");
        if (pixelsPerImage < 0) throw new ArgumentException($"--pixels-per-image {pixelsPerImage}: must be ≥ 0 (0 = all)");
        if (logEvery < 0) throw new ArgumentException($"--log-every {logEvery}: must be ≥ 0 (0 = about 20 lines)");
        if (stopAfter is < 1) throw new ArgumentException($"--stop-after {stopAfter}: must be at least 1");
        HiddenSizes(hidden);
        OutputPaths.RequireWritableFile("--out", outPath);
        OutputPaths.RequireWritableFile("--checkpoint", checkpoint);
    }

    /// <summary>"64,32" → [64, 32], or a message naming --hidden.</summary>
    public static int[] HiddenSizes(string hidden)
    {
        var parts = hidden.Split(',', StringSplitOptions.TrimEntries);
        var sizes = parts.Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
        if (sizes.Length != 2 || sizes.Any(v => v < 1))
            throw new ArgumentException($"--hidden '{hidden}': expected two sizes ≥ 1 as H1,H2 (e.g. 64,32)");
        return sizes;
    }
}
