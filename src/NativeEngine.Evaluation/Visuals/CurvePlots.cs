using System.Globalization;
using NativeEngine.Evaluation.Metrics;

namespace NativeEngine.Evaluation.Visuals;

/// <summary>PR and ROC curve pictures: one or several methods of one dataset on unit axes, with a legend giving AuPRC / FPR95.</summary>
public static class CurvePlots
{
    private static readonly Rgb[] SeriesColors =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189), new(140, 86, 75), new(227, 119, 194),
    ];

    private const int Left = 78, Right = 20, Top = 44, Bottom = 64;

    /// <summary>Precision (y) against recall (x) for each (label, metrics), the legend showing AuPRC in %.</summary>
    public static Canvas PrecisionRecall(string title, IReadOnlyList<(string Label, PixelMetrics Metrics)> series, int width = 640, int height = 480)
    {
        var lines = series.Select(s =>
        {
            double p = Math.Max(1, s.Metrics.Positives);
            var pts = new List<(double, double)> { (0, 1) };
            foreach (var c in s.Metrics.Curve)
                pts.Add((c.TruePositives / p, c.TruePositives + c.FalsePositives == 0 ? 1 : c.TruePositives / (double)(c.TruePositives + c.FalsePositives)));
            return (Legend: $"{s.Label} AP {MetricsFiles.Pct(s.Metrics.Auprc)}", Points: (IReadOnlyList<(double, double)>)pts);
        }).ToList();
        return Draw(title, "RECALL", "PRECISION", lines, width, height, null, legendTop: true);
    }

    /// <summary>TPR (y) against FPR (x) for each (label, metrics), a dashed line at TPR 0.95, the legend showing FPR95 and AUROC in %.</summary>
    public static Canvas Roc(string title, IReadOnlyList<(string Label, PixelMetrics Metrics)> series, int width = 640, int height = 480)
    {
        var lines = series.Select(s =>
        {
            double p = Math.Max(1, s.Metrics.Positives), n = Math.Max(1, s.Metrics.Negatives);
            var pts = new List<(double, double)> { (0, 0) };
            pts.AddRange(s.Metrics.Curve.Select(c => (c.FalsePositives / n, c.TruePositives / p)));
            return (Legend: $"{s.Label} FPR95 {MetricsFiles.Pct(s.Metrics.Fpr95)} AUROC {MetricsFiles.Pct(s.Metrics.Auroc)}", Points: (IReadOnlyList<(double, double)>)pts);
        }).ToList();
        return Draw(title, "FALSE POSITIVE RATE", "TRUE POSITIVE RATE", lines, width, height, 0.95, legendTop: false);
    }

    private static Canvas Draw(string title, string xLabel, string yLabel, List<(string Legend, IReadOnlyList<(double X, double Y)> Points)> lines,
        int width, int height, double? guideY, bool legendTop)
    {
        var cv = new Canvas(width, height, Rgb.White);
        int pw = width - Left - Right, ph = height - Top - Bottom;
        (double, double) ToPx(double x, double y) => (Left + x * pw, Top + (1 - y) * ph);
        var grid = new Rgb(225, 225, 225);
        var axis = new Rgb(60, 60, 60);
        for (int k = 0; k <= 5; k++)
        {
            int gx = Left + (int)Math.Round(k * pw / 5.0), gy = Top + (int)Math.Round(k * ph / 5.0);
            cv.Fill(gx, Top, gx + 1, Top + ph, grid);
            cv.Fill(Left, gy, Left + pw, gy + 1, grid);
            string tick = (k / 5.0).ToString("0.0", CultureInfo.InvariantCulture);
            cv.Text(gx - BitmapFont.Measure(tick, 2) / 2, Top + ph + 8, tick, axis);
            string ytick = ((5 - k) / 5.0).ToString("0.0", CultureInfo.InvariantCulture);
            cv.Text(Left - 8 - BitmapFont.Measure(ytick, 2), gy - 7, ytick, axis);
        }
        cv.Fill(Left, Top, Left + 1, Top + ph + 1, axis);
        cv.Fill(Left, Top + ph, Left + pw + 1, Top + ph + 1, axis);
        cv.Fill(Left + pw, Top, Left + pw + 1, Top + ph + 1, axis);
        cv.Fill(Left, Top, Left + pw + 1, Top + 1, axis);
        if (guideY is { } g) cv.Polyline([ToPx(0, g), ToPx(1, g)], new Rgb(150, 150, 150), 1, dashed: true);

        for (int i = 0; i < lines.Count; i++)
            cv.Polyline(lines[i].Points.Select(p => ToPx(Math.Clamp(p.X, 0, 1), Math.Clamp(p.Y, 0, 1))).ToList(), SeriesColors[i % SeriesColors.Length], 2);

        cv.Text((width - BitmapFont.Measure(title, 2)) / 2, 14, title, Rgb.Black);
        cv.Text(Left + (pw - BitmapFont.Measure(xLabel, 2)) / 2, height - 26, xLabel, axis);
        cv.Text(14, Top + (ph + BitmapFont.Measure(yLabel, 2)) / 2, yLabel, axis, vertical: true);

        // Legend in the corner curves rarely reach: top-right for PR, bottom-right for ROC.
        int lx = Left + pw - 12 - lines.Max(l => BitmapFont.Measure(l.Legend, 2)) - 26;
        int ly = legendTop ? Top + 12 : Top + ph - 18 * lines.Count - 8;
        for (int i = 0; i < lines.Count; i++)
        {
            int y = ly + 18 * i;
            cv.Fill(lx - 4, y - 3, lx + 26 + BitmapFont.Measure(lines[i].Legend, 2) + 4, y + 17, Rgb.White, 0.85f);
            cv.Fill(lx, y + 6, lx + 20, y + 9, SeriesColors[i % SeriesColors.Length]);
            cv.Text(lx + 26, y, lines[i].Legend, Rgb.Black);
        }
        return cv;
    }
}
