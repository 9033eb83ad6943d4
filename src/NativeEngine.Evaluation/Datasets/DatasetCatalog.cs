using System.Text.RegularExpressions;
using NativeEngine.Evaluation.Metrics;

namespace NativeEngine.Evaluation.Datasets;

/// <summary>
/// Finds the anomaly datasets under a folder: the seed's Validation_Dataset (RoadAnomaly21, RoadObstacle21 — also
/// spelled RoadObsticle21 —, FS_LostFound_full, fs_static, RoadAnomaly, or any folder with images/ + labels_masks/),
/// the SMIYC toolkit layouts (dataset_AnomalyTrack, dataset_ObstacleTrack, dataset_LostAndFound) and the EPFL Road
/// Anomaly release. Images and masks are matched by file stem; formats are sniffed when read.
/// </summary>
public static partial class DatasetCatalog
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    // (folder name, canonical name, table column) in the order of the seed's tables.
    private static readonly (string Folder, string Name, string Column)[] Known =
    [
        ("RoadAnomaly21", "RoadAnomaly21", "RA-21"),
        ("RoadObstacle21", "RoadObstacle21", "RO-21"),
        ("RoadObsticle21", "RoadObstacle21", "RO-21"),
        ("FS_LostFound_full", "FS_LostFound_full", "FS L&F"),
        ("fs_static", "fs_static", "FS Static"),
        ("RoadAnomaly", "RoadAnomaly", "Road Anomaly"),
        ("dataset_AnomalyTrack", "AnomalyTrack", "SMIYC AT"),
        ("dataset_ObstacleTrack", "ObstacleTrack", "SMIYC OT"),
        ("dataset_LostAndFound", "LostAndFound", "LAF"),
    ];

    /// <summary>Every dataset under <paramref name="root"/> (which may also be one dataset folder), in table order.</summary>
    public static IReadOnlyList<AnomalyDataset> Discover(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: no such folder; pass --data the folder that holds the datasets (e.g. the unzipped Validation_Dataset with RoadAnomaly21/, fs_static/ …)");
        var found = new List<AnomalyDataset>();
        if (TryOpen(root) is { } self) found.Add(self);
        else
            foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                if (TryOpen(dir) is { } ds) found.Add(ds);
                else if (Path.GetFileName(dir) == "Validation_Dataset") found.AddRange(Discover(dir));
            }
        if (found.Count == 0)
            throw new DirectoryNotFoundException($"{root}: no dataset found (looked for <name>/images + <name>/labels_masks, dataset_AnomalyTrack, dataset_ObstacleTrack, dataset_LostAndFound, frames/*.labels)");
        return found.OrderBy(d => Rank(d.Name)).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Keeps the datasets named in <paramref name="names"/> ("all", or a comma list of names, folder names or columns, case and punctuation ignored).</summary>
    public static IReadOnlyList<AnomalyDataset> Select(IReadOnlyList<AnomalyDataset> all, string names)
    {
        if (string.IsNullOrWhiteSpace(names) || names.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return all;
        var picked = new List<AnomalyDataset>();
        foreach (var want in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var k = Key(want);
            var d = all.FirstOrDefault(d => Key(d.Name) == k || Key(d.Column) == k || Key(Path.GetFileName(d.Root)) == k || Alias(k) == Key(d.Name))
                ?? throw new ArgumentException($"dataset '{want}' is not under the data folder; available: {string.Join(", ", all.Select(x => x.Name))}");
            if (!picked.Contains(d)) picked.Add(d);
        }
        return picked;
    }

    /// <summary>Opens one dataset folder, or null if it is not one.</summary>
    public static AnomalyDataset? TryOpen(string dir)
    {
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
        var known = Known.FirstOrDefault(k => k.Folder.Equals(folder, StringComparison.OrdinalIgnoreCase));
        string name = known.Name ?? folder, column = known.Column ?? folder;
        string images = Path.Combine(dir, "images"), masks = Path.Combine(dir, "labels_masks");

        if (Directory.Exists(Path.Combine(dir, "leftImg8bit")) && Directory.Exists(Path.Combine(dir, "gtCoarse")))
            return OpenLostAndFound(dir, known.Name is null ? (folder, folder) : (name, column));
        if (Directory.Exists(Path.Combine(dir, "frames")) && !Directory.Exists(images))
            return OpenEpfl(dir, name, column);
        if (!Directory.Exists(images) || !Directory.Exists(masks)) return null;

        bool smiyc = folder.StartsWith("dataset_", StringComparison.OrdinalIgnoreCase)
            || Directory.EnumerateFiles(masks, "*_labels_semantic.png").Any();
        var samples = new List<DatasetSample>();
        var unlabelled = new List<string>();
        var maskByStem = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in Directory.EnumerateFiles(masks).Order(StringComparer.Ordinal))
            if (Path.GetExtension(m).Equals(".png", StringComparison.OrdinalIgnoreCase) || !maskByStem.ContainsKey(Stem(m, smiyc)))
                maskByStem[Stem(m, smiyc)] = m; // the seed's rule: the image's stem with ".png"; other extensions only as a fallback
        foreach (var img in ImagesIn(images))
        {
            var id = Path.GetFileNameWithoutExtension(img);
            if (maskByStem.TryGetValue(id, out var m)) samples.Add(new DatasetSample(id, img, m));
            else if (smiyc) unlabelled.Add(img);
            else samples.Add(new DatasetSample(id, img, null)); // reported as unreadable when evaluated
        }
        return new AnomalyDataset(name, column, dir, smiyc ? DatasetLayout.Smiyc : DatasetLayout.Validation,
            LabelRule.Default, Natural(samples), unlabelled);
    }

    private static AnomalyDataset OpenLostAndFound(string dir, (string Name, string Column) id)
    {
        var left = Path.Combine(dir, "leftImg8bit");
        var split = Directory.Exists(Path.Combine(left, "test")) ? "test" : null;
        var searchRoot = split is null ? left : Path.Combine(left, split);
        var samples = new List<DatasetSample>();
        var unlabelled = new List<string>();
        foreach (var img in Directory.EnumerateFiles(searchRoot, "*_leftImg8bit.png", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(left, img);
            var fid = Path.GetFileName(img)[..^"_leftImg8bit.png".Length];
            var mask = Path.Combine(dir, "gtCoarse", Path.GetDirectoryName(rel)!, fid + "_gtCoarse_labelIds.png");
            if (File.Exists(mask)) samples.Add(new DatasetSample(fid, img, mask));
            else unlabelled.Add(img);
        }
        return new AnomalyDataset(id.Name, id.Column, dir, DatasetLayout.LostAndFound, LabelRule.LostAndFound, Natural(samples), unlabelled);
    }

    private static AnomalyDataset OpenEpfl(string dir, string name, string column)
    {
        var frames = Path.Combine(dir, "frames");
        var samples = new List<DatasetSample>();
        var unlabelled = new List<string>();
        foreach (var img in ImagesIn(frames))
        {
            var id = Path.GetFileNameWithoutExtension(img);
            var mask = Path.Combine(frames, id + ".labels", "labels_semantic.png");
            if (File.Exists(mask)) samples.Add(new DatasetSample(id, img, mask));
            else unlabelled.Add(img);
        }
        return new AnomalyDataset(name, column, dir, DatasetLayout.EpflRoadAnomaly, LabelRule.Default, Natural(samples), unlabelled);
    }

    private static IEnumerable<string> ImagesIn(string dir) => Directory.EnumerateFiles(dir)
        .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()) && !Path.GetFileName(f).StartsWith('.'));

    private static string Stem(string maskPath, bool smiyc)
    {
        var s = Path.GetFileNameWithoutExtension(maskPath);
        return smiyc && s.EndsWith("_labels_semantic", StringComparison.Ordinal) ? s[..^"_labels_semantic".Length] : s;
    }

    // "2" < "10"; non-numeric ids after, ordinally.
    private static List<DatasetSample> Natural(List<DatasetSample> s) =>
        s.OrderBy(x => long.TryParse(x.Id, out var n) ? n : long.MaxValue).ThenBy(x => x.Id, StringComparer.Ordinal).ToList();

    private static int Rank(string name)
    {
        int i = Array.FindIndex(Known, k => k.Name == name);
        return i < 0 ? int.MaxValue : i;
    }

    private static string Key(string s) => NonAlnum().Replace(s.ToLowerInvariant(), "");

    private static string Alias(string key) => key switch
    {
        "ra21" or "smiycra21" => "roadanomaly21",
        "ro21" or "roadobsticle21" or "smiycro21" => "roadobstacle21",
        "fslaf" or "fslostfound" or "fslf" or "fishyscapeslaf" => "fslostfoundfull",
        "fsstatic" or "fishyscapesstatic" => "fsstatic",
        "ra" or "roadanomalyepfl" => "roadanomaly",
        "laf" => "lostandfound",
        _ => key,
    };

    [GeneratedRegex("[^a-z0-9]")]
    private static partial Regex NonAlnum();
}
