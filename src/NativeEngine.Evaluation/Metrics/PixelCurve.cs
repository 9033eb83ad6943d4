namespace NativeEngine.Evaluation.Metrics;

/// <summary>One point of a (reduced) PR/ROC curve: the threshold and the cumulative counts at or above it.</summary>
public readonly record struct CurvePoint(float Threshold, long TruePositives, long FalsePositives);

/// <summary>
/// The three pixel metrics of a set of scored pixels (anomaly = positive). NaN where undefined: the ROC quantities
/// need both classes; everything needs at least one valid pixel.
/// </summary>
/// <param name="Auprc">sklearn <c>average_precision_score</c>: Σ (Rₙ − Rₙ₋₁)·Pₙ over distinct thresholds (0 when there is no anomaly pixel, as sklearn).</param>
/// <param name="Fpr95">The seed's FPR@95%TPR: on sklearn's <c>roc_curve</c> (drop_intermediate=True) the FPR of the first point whose TPR ≥ 0.95.</param>
/// <param name="Fpr95Interp">ood_metrics' <c>fpr_at_95_tpr</c>: <c>np.interp(0.95, tpr, fpr)</c> on the ROC curve.</param>
/// <param name="Auroc">sklearn <c>roc_auc_score</c>: trapezoid under the ROC curve.</param>
/// <param name="Positives">Anomaly pixels counted.</param>
/// <param name="Negatives">Normal pixels counted.</param>
/// <param name="Void">Pixels excluded as void.</param>
/// <param name="Curve">Up to ~1000 points of the curve, in order of decreasing threshold, for plotting.</param>
public sealed record PixelMetrics(double Auprc, double Fpr95, double Fpr95Interp, double Auroc,
    long Positives, long Negatives, long Void, IReadOnlyList<CurvePoint> Curve)
{
    /// <summary>Passes over the data the exact computation needed (1 when everything fitted the memory budget).</summary>
    public int Passes { get; init; } = 1;
}

/// <summary>
/// Streams the distinct thresholds of a pooled pixel set, in order of decreasing score, each with its number of
/// positive and negative pixels, and computes AP, AUROC and both FPR95s on the way with O(1) state (plus the
/// reduced curve). The totals must be known up front (pass 1 of <see cref="ExactPixelMetrics"/> counts them).
/// </summary>
internal sealed class CurveAccumulator(long positives, long negatives)
{
    private const double TargetTpr = 0.95;
    private const int CurveResolution = 512;
    private readonly double p = positives, n = negatives;
    private long tp, fp, points;
    private double ap, apCarry, auc, aucCarry;

    // The seed's FPR95 on the drop_intermediate curve: the last two points of the full curve are held until the
    // next one decides whether the middle one survives (sklearn keeps the first and last point and every interior
    // point where the second difference of fps or of tps is non-zero).
    private long aTp, aFp, bTp, bFp;
    private double fpr95 = double.NaN;

    // ood_metrics' interpolation: the last point with TPR ≤ 0.95 (starting at (0,0)) and the one after it.
    private double leTpr, leFpr, gtTpr = double.NaN, gtFpr = double.NaN;

    private readonly List<CurvePoint> curve = [];
    private double lastCurveTpr = -1, lastCurveFpr = -1;
    private float lastThreshold;

    /// <summary>Adds the next distinct threshold (lower than every earlier one) with its pixel counts.</summary>
    public void Add(float threshold, long pos, long neg)
    {
        if (pos == 0 && neg == 0) return;
        long pTp = tp, pFp = fp;
        tp += pos;
        fp += neg;
        points++;

        // AP: (recall_i − recall_{i−1}) · precision_i, written as sklearn's diff of recalls.
        if (pos > 0) Neumaier(ref ap, ref apCarry, (tp / p - pTp / p) * (tp / (double)(tp + fp)));

        // AUROC: trapezoid on (fpr, tpr); collinear points sklearn drops change nothing here.
        double tpr = tp / p, fpr = fp / n;
        Neumaier(ref auc, ref aucCarry, (fpr - pFp / n) * (tpr + pTp / p) * 0.5);

        if (points == 1) { bTp = tp; bFp = fp; }
        else
        {
            if (points == 2 || (tp - 2 * bTp + aTp) != 0 || (fp - 2 * bFp + aFp) != 0) Kept(bTp, bFp);
            (aTp, aFp, bTp, bFp) = (bTp, bFp, tp, fp);
        }

        if (tpr <= TargetTpr) (leTpr, leFpr) = (tpr, fpr);
        else if (double.IsNaN(gtTpr)) (gtTpr, gtFpr) = (tpr, fpr);

        lastThreshold = threshold;
        if (curve.Count == 0 || tpr - lastCurveTpr >= 1.0 / CurveResolution || fpr - lastCurveFpr >= 1.0 / CurveResolution)
        {
            curve.Add(new CurvePoint(threshold, tp, fp));
            (lastCurveTpr, lastCurveFpr) = (tpr, fpr);
        }
    }

    /// <summary>Closes the curve and returns the metrics.</summary>
    public PixelMetrics Finish(long voidPixels)
    {
        if (points > 0)
        {
            Kept(bTp, bFp); // the last point is always kept
            if (curve[^1].TruePositives != tp || curve[^1].FalsePositives != fp) curve.Add(new CurvePoint(lastThreshold, tp, fp));
        }
        if (points == 0) return new(double.NaN, double.NaN, double.NaN, double.NaN, 0, 0, voidPixels, curve);
        double apValue = p == 0 ? 0.0 : ap + apCarry;
        if (p == 0 || n == 0) return new(apValue, double.NaN, double.NaN, double.NaN, tp, fp, voidPixels, curve);

        // ood_metrics: x == xp[j] returns fp[j] exactly, otherwise the line to the next point.
        double interp = leTpr == TargetTpr ? leFpr : (gtFpr - leFpr) / (gtTpr - leTpr) * (TargetTpr - leTpr) + leFpr;
        return new(apValue, double.IsNaN(fpr95) ? 1.0 : fpr95, interp, auc + aucCarry, tp, fp, voidPixels, curve);
    }

    private void Kept(long keptTp, long keptFp)
    {
        if (double.IsNaN(fpr95) && keptTp / p >= TargetTpr) fpr95 = keptFp / n;
    }

    // Compensated summation: a dataset has up to ~10⁸ terms.
    private static void Neumaier(ref double sum, ref double carry, double x)
    {
        double t = sum + x;
        carry += Math.Abs(sum) >= Math.Abs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
}
