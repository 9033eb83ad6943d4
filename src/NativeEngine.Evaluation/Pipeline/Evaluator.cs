using System.Diagnostics;
using NativeEngine.Evaluation.Datasets;
using NativeEngine.Evaluation.Metrics;
using NativeEngine.Evaluation.Visuals;
using NativeEngine.Models.Imaging;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>Options of <see cref="Evaluator.Run"/>.</summary>
/// <param name="OutDir">Where results, cache, heatmaps and curves go.</param>
/// <param name="HeatmapLimit">Heatmaps + overlays for the first N images of each dataset (−1: all, 0: none).</param>
/// <param name="Curves">Write PR and ROC curve PNGs per dataset.</param>
/// <param name="PerImage">Also compute metrics image by image.</param>
/// <param name="SkipImagesWithoutAnomaly">Leave out images without anomaly pixels (the seed's final config keeps them).</param>
/// <param name="MaxImages">Score at most this many images per dataset (null: all) — for quick checks.</param>
/// <param name="BudgetPixels">Memory budget of the exact metrics (pixels held at once).</param>
public sealed record EvalOptions(string OutDir, int HeatmapLimit = -1, bool Curves = true, bool PerImage = false,
    bool SkipImagesWithoutAnomaly = false, int? MaxImages = null, long BudgetPixels = ExactPixelMetrics.DefaultBudgetPixels);

/// <summary>Progress of an evaluation, reported after every image.</summary>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Index">Images done in this dataset.</param>
/// <param name="Count">Images in this dataset.</param>
/// <param name="Done">Images done overall.</param>
/// <param name="Total">Images overall.</param>
/// <param name="ImageId">The image just finished.</param>
/// <param name="FromCache">True when it came from the per-image cache.</param>
/// <param name="Elapsed">Time since the start.</param>
/// <param name="Eta">Estimated time left (from the images actually scored so far), null until one was.</param>
public sealed record EvalProgress(string Dataset, int Index, int Count, int Done, int Total, string ImageId, bool FromCache, TimeSpan Elapsed, TimeSpan? Eta);

/// <summary>
/// Runs a scorer over datasets (seed.md §3): each image is decoded, scored (maps at the crop size under the seed
/// protocol, the mask squashed with NEAREST to match; at native size otherwise), cached, optionally drawn; then each
/// method's metrics are pooled over every valid pixel of the dataset, streaming from the cache.
/// Unreadable images are skipped and listed; everything else still runs.
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="datasets"/> and writes the report files into <see cref="EvalOptions.OutDir"/>.</summary>
    public static EvalReport Run(IAnomalyScorer scorer, IReadOnlyList<AnomalyDataset> datasets, ScoreRequest request, EvalOptions options,
        string deviceDescription = "", IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var missing = request.Methods.Where(m => !scorer.Supported.Contains(m)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"{scorer.Description} cannot compute {string.Join(", ", missing.Select(m => m.Key()))}" +
                (missing.Contains(ScoreMethod.Head) ? "; pass --head with an anomaly-head checkpoint or drop 'head' from --methods" : ""));
        if (options.MaxImages is < 1) throw new ArgumentException($"MaxImages {options.MaxImages}: score at least 1 image per dataset (null = all)");
        Directory.CreateDirectory(options.OutDir);
        var clock = Stopwatch.StartNew();
        var skipped = new List<SkippedImage>();
        var results = new List<DatasetResult>();
        int total = datasets.Sum(d => Take(d, options).Count), done = 0, computed = 0;
        TimeSpan computeTime = TimeSpan.Zero;

        foreach (var ds in datasets)
        {
            var samples = Take(ds, options);
            var files = new List<(string Id, string Path, long Anomaly)>();
            var cacheDir = Path.Combine(options.OutDir, "cache", ds.Name);
            for (int i = 0; i < samples.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var sample = samples[i];
                var cachePath = Path.Combine(cacheDir, SafeName(sample.Id) + ".safetensors");
                var key = ScoreCache.Key(scorer, request, sample.ImagePath, sample.MaskPath);
                bool cached = ScoreCache.IsValid(cachePath, key, request.Methods, out long anomaly);
                if (!cached)
                {
                    var t0 = clock.Elapsed;
                    try
                    {
                        anomaly = Guard.Device(() => ScoreOne(scorer, ds, sample, request, options, i, cachePath, key, cancellationToken), sample.ImagePath);
                    }
                    catch (ImageFileException e)
                    {
                        skipped.Add(new SkippedImage(ds.Name, e.FilePath, e.Message));
                        done++;
                        continue;
                    }
                    computed++;
                    computeTime += clock.Elapsed - t0;
                }
                files.Add((sample.Id, cachePath, anomaly));
                done++;
                TimeSpan? eta = computed > 0 ? computeTime / computed * (total - done) : null;
                progress?.Report(new EvalProgress(ds.Name, i + 1, samples.Count, done, total, sample.Id, cached, clock.Elapsed, eta));
            }

            var used = options.SkipImagesWithoutAnomaly ? files.Where(f => f.Anomaly > 0).ToList() : files;
            var metrics = new Dictionary<ScoreMethod, PixelMetrics>();
            var perImage = options.PerImage ? new Dictionary<ScoreMethod, IReadOnlyList<(string, PixelMetrics)>>() : null;
            foreach (var m in request.Methods)
            {
                cancellationToken.ThrowIfCancellationRequested();
                metrics[m] = ExactPixelMetrics.Compute(new ScoreCache.Source(used.Select(f => f.Path).ToList(), m), ds.Rule, options.BudgetPixels, cancellationToken);
                if (perImage is not null)
                    perImage[m] = used.Select(f => (f.Id, ExactPixelMetrics.Compute(new ScoreCache.Source([f.Path], m), ds.Rule))).ToList();
            }
            var result = new DatasetResult(ds.Name, ds.Column, files.Count, files.Count(f => f.Anomaly == 0), metrics, perImage);
            results.Add(result);
            if (options.Curves && files.Count > 0)
            {
                var series = request.Methods.Select(m => (m.Label(), metrics[m])).ToList();
                CurvePlots.PrecisionRecall($"{ds.Column} PRECISION-RECALL", series).SavePng(Path.Combine(options.OutDir, "curves", $"{SafeName(ds.Name)}_pr.png"));
                CurvePlots.Roc($"{ds.Column} ROC", series).SavePng(Path.Combine(options.OutDir, "curves", $"{SafeName(ds.Name)}_roc.png"));
            }
        }
        var report = new EvalReport(scorer.Description, deviceDescription, request, results, skipped, options.OutDir, clock.Elapsed);
        report.Save();
        return report;
    }

    private static List<DatasetSample> Take(AnomalyDataset ds, EvalOptions o) =>
        o.MaxImages is { } n ? ds.Samples.Take(n).ToList() : ds.Samples.ToList();

    // Decode, score, squash the mask to the maps, cache, draw. Returns the anomaly pixel count.
    private static long ScoreOne(IAnomalyScorer scorer, AnomalyDataset ds, DatasetSample sample, ScoreRequest request, EvalOptions options,
        int index, string cachePath, string key, CancellationToken ct)
    {
        var (image, mask) = sample.Load();
        var maps = scorer.Score(image, request, ct);
        var labels = MaskResize.Nearest(mask.Values, mask.Width, mask.Height, maps.Width, maps.Height);
        long anomaly = 0;
        var table = ds.Rule.Table;
        foreach (var v in labels) if (table[v] == PixelClass.Anomaly) anomaly++;
        ScoreCache.Write(cachePath, key, maps, labels, anomaly);
        if (options.HeatmapLimit < 0 || index < options.HeatmapLimit)
        {
            var shown = image.Width == maps.Width && image.Height == maps.Height
                ? image
                : new RgbImage(maps.Width, maps.Height, PilResize.Bilinear(image.Pixels, image.Width, image.Height, maps.Width, maps.Height));
            var lm = new LabelMask(maps.Width, maps.Height, labels);
            var dir = Path.Combine(options.OutDir, "heatmaps", SafeName(ds.Name));
            foreach (var (m, s) in maps.Scores)
            {
                var range = m.IsProbability() ? ScoreRange.Unit : ScoreRange.MinMax(s);
                var heat = Heatmaps.Colorize(s, range);
                Png.SaveRgb(Path.Combine(dir, $"{SafeName(sample.Id)}_{m.Key()}_heat.png"), maps.Width, maps.Height, heat);
                Png.SaveRgb(Path.Combine(dir, $"{SafeName(sample.Id)}_{m.Key()}_overlay.png"), maps.Width, maps.Height, Heatmaps.Overlay(shown, heat, lm, ds.Rule));
            }
        }
        return anomaly;
    }

    /// <summary>A file-name-safe version of an id.</summary>
    public static string SafeName(string s)
    {
        var bad = Path.GetInvalidFileNameChars();
        var chars = s.Select(c => bad.Contains(c) || c is '/' or '\\' || char.IsControl(c) ? '_' : c).ToArray();
        var r = new string(chars).Trim('.');
        return r.Length == 0 ? "_" : r;
    }
}
