using NativeEngine.Evaluation.Metrics;
using NativeEngine.Tests;

namespace NativeEngine.Evaluation.Tests;

/// <summary>Exact pixel metrics against sklearn 1.2 (tests/fixtures/generate_metrics.py), 1e-6.</summary>
public class MetricsTests
{
    private const double Tol = 1e-6;

    public static TheoryData<string, long> Cases()
    {
        var d = new TheoryData<string, long>();
        foreach (var name in new[] { "continuous_void", "ties", "drop_intermediate", "signed_zero", "all_negative", "all_positive", "one_image_void", "blobs" })
        {
            foreach (var budget in new[] { ExactPixelMetrics.DefaultBudgetPixels, 1000L, 37L }) d.Add(name, budget);
            // Budget 1: every bin holding two pixels becomes a fine histogram (many passes): only where few values.
            if (name is "ties" or "signed_zero" or "drop_intermediate") d.Add(name, 1L);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PooledAndPerImageMatchSklearn(string name, long budget)
    {
        var (scores, labels, shape, expected) = MetricsFixture.Load(name);
        int images = (int)shape[0], hw = (int)(shape[1] * shape[2]);
        var items = Enumerable.Range(0, images)
            .Select(i => new ScoredPixels(scores.AsMemory(i * hw, hw), labels.AsMemory(i * hw, hw))).ToList();

        var pooled = ExactPixelMetrics.Compute(new InMemoryPixelSource(items), budgetPixels: budget);
        AssertMetrics(expected.AsSpan(0, 4), pooled, $"{name} pooled (budget {budget}, {pooled.Passes} passes)");
        Assert.Equal(labels.LongCount(v => v != 255), pooled.Positives + pooled.Negatives);
        Assert.Equal(labels.LongCount(v => v != 255 && v != 0), pooled.Positives);
        Assert.Equal(labels.LongCount(v => v == 255), pooled.Void);
        if (budget < labels.Length) Assert.True(pooled.Passes > 1 || pooled.Positives + pooled.Negatives <= budget);

        for (int i = 0; i < images; i++)
        {
            var one = ExactPixelMetrics.Compute(new InMemoryPixelSource([items[i]]), budgetPixels: budget);
            AssertMetrics(expected.AsSpan(4 * (i + 1), 4), one, $"{name} image {i}");
        }
    }

    private static void AssertMetrics(ReadOnlySpan<double> e, PixelMetrics m, string what)
    {
        double[] a = [m.Auprc, m.Fpr95, m.Fpr95Interp, m.Auroc];
        string[] names = ["auprc", "fpr95", "fpr95_interp", "auroc"];
        for (int k = 0; k < 4; k++)
        {
            if (double.IsNaN(e[k])) Assert.True(double.IsNaN(a[k]), $"{what} {names[k]}: {a[k]}, expected NaN (undefined)");
            else Assert.True(Math.Abs(a[k] - e[k]) <= Tol, $"{what} {names[k]}: {a[k]:R}, sklearn {e[k]:R}");
        }
    }

    [Fact]
    public void DropIntermediateMovesTheSeedFpr95ButNotTheInterpolatedOne()
    {
        var (_, _, _, e) = MetricsFixture.Load("drop_intermediate");
        Assert.Equal(1.0, e[1]);
        Assert.Equal(0.95, e[2], 12);
    }

    [Fact]
    public void ScoreKeyPreservesOrder()
    {
        float[] v = [float.NegativeInfinity, -1e30f, -1f, -float.Epsilon, 0f, float.Epsilon, 1e-30f, 0.5f, 1f, 3e38f, float.PositiveInfinity];
        for (int i = 1; i < v.Length; i++) Assert.True(ScoreKey.FromScore(v[i - 1]) < ScoreKey.FromScore(v[i]), $"{v[i - 1]} < {v[i]}");
        Assert.Equal(ScoreKey.FromScore(0f), ScoreKey.FromScore(-0f));
        foreach (var x in v) Assert.Equal(x, ScoreKey.ToScore(ScoreKey.FromScore(x)));
    }

    [Fact]
    public void SaturatedScoresUseTheFineHistogram()
    {
        // 5000 pixels at exactly 1.0 and 5000 spread below: with a budget of 100 the 1.0 bin is a fine group.
        var rng = new Random(5);
        var s = new float[10000];
        var l = new byte[10000];
        for (int i = 0; i < s.Length; i++)
        {
            l[i] = (byte)(rng.NextDouble() < 0.2 ? 1 : 0);
            s[i] = i < 5000 ? 1f : (float)rng.NextDouble() * (l[i] + 1) * 0.5f;
        }
        var exact = ExactPixelMetrics.Compute(s, l);
        var small = ExactPixelMetrics.Compute(new InMemoryPixelSource([new ScoredPixels(s, l)]), budgetPixels: 100);
        Assert.True(small.Passes > 2);
        Assert.Equal(exact.Auprc, small.Auprc, 12);
        Assert.Equal(exact.Fpr95, small.Fpr95, 12);
        Assert.Equal(exact.Fpr95Interp, small.Fpr95Interp, 12);
        Assert.Equal(exact.Auroc, small.Auroc, 12);
    }

    [Fact]
    public void NaNScoreAndSizeMismatchAreClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => ExactPixelMetrics.Compute(new[] { 0.5f, float.NaN }, new byte[] { 0, 1 }));
        Assert.Contains("NaN", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExactPixelMetrics.Compute(new[] { 0.5f }, new byte[] { 0, 1 }));
        Assert.Contains("same size", e.Message);
    }

    [Fact]
    public void LabelRules()
    {
        Assert.Equal(PixelClass.Anomaly, LabelRule.Default[2]);
        Assert.Equal(PixelClass.Void, LabelRule.Default[255]);
        Assert.Equal(PixelClass.Normal, LabelRule.Default[0]);
        Assert.Equal(PixelClass.Void, LabelRule.LostAndFound[0]);
        Assert.Equal(PixelClass.Normal, LabelRule.LostAndFound[1]);
        Assert.Equal(PixelClass.Anomaly, LabelRule.LostAndFound[200]);
        Assert.Equal(PixelClass.Void, LabelRule.LostAndFound[201]);
        var r = LabelRule.Parse("normal=0,anomaly=2");
        Assert.Equal(PixelClass.Void, r[1]);
        Assert.Throws<ArgumentException>(() => LabelRule.Parse("weird=3"));
    }
}
