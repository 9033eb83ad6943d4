namespace NativeEngine.Evaluation.Metrics;

// Exact pooled pixel metrics in bounded memory: a histogram-of-bits refinement.
//
// Why: a dataset pools 10⁷–10⁹ valid pixels; sklearn sorts them all (8–16 bytes each). The metrics only need, in
// order of decreasing score, each distinct score with its positive and negative pixel counts — and float32 scores
// map to uint32 keys with the same order (ScoreKey), so the order is the order of 32-bit integers.
//
// How:
//   pass 1  : one scan; a 65536-bin histogram of the key's high 16 bits, split by class (1 MiB) → exact totals
//             and the number of pixels in every coarse bin. While the valid pixels seen so far fit the budget they
//             are also collected as (key << 1 | label); if the whole set fits (every single image, and most datasets
//             at 1024², the usual case) it is sorted once and streamed: one pass in all.
//   plan    : walk the coarse bins from the top; consecutive bins are grouped while their pixels fit the budget
//             ("sort groups"); a single bin with more pixels than the budget (e.g. a saturated sigmoid: millions of
//             exact 1.0) becomes a "fine group", resolved by a second 65536-bin histogram of its low 16 bits —
//             exact, because 16 + 16 bits are the whole key.
//   pass k  : rescan the source, collect the keys of one batch of groups (≤ budget sorted entries + ≤ 8 fine
//             histograms), sort, and stream the runs of equal keys to CurveAccumulator in decreasing order.
// Memory: 8 bytes × budget (default 2²⁴ pixels = 128 MiB) + 1 MiB + 8 × 1 MiB, whatever the dataset size.
// Passes: 1 when the valid pixels fit the budget, else 1 + ≈ pixels / budget (+ fine bins / 8).
// Ties are exact (equal float32 ⇔ equal key; −0 and +0 are folded), so AP, both FPR95s and AUROC are sklearn's to
// float64 rounding. The sorts are host Array.Sort on a bounded buffer: on the CPU that is as fast as anything, and
// the scores come off the device per image anyway (they are also cached per image for resume); a device radix
// sort would only change the constant.

/// <summary>One image's scores and raw mask values (same length, row-major).</summary>
public readonly record struct ScoredPixels(ReadOnlyMemory<float> Scores, ReadOnlyMemory<byte> Labels);

/// <summary>A re-readable list of scored images (the exact metrics may read it several times).</summary>
public interface IPixelSource
{
    /// <summary>The number of images.</summary>
    int Count { get; }

    /// <summary>Loads image <paramref name="index"/>. Called once per pass.</summary>
    ScoredPixels Load(int index);
}

/// <summary>An in-memory <see cref="IPixelSource"/>.</summary>
public sealed class InMemoryPixelSource(IReadOnlyList<ScoredPixels> items) : IPixelSource
{
    /// <inheritdoc/>
    public int Count => items.Count;

    /// <inheritdoc/>
    public ScoredPixels Load(int index) => items[index];
}

/// <summary>Exact AuPRC / FPR95 (both definitions) / AUROC over pooled pixels, in bounded memory (see the file header).</summary>
public static class ExactPixelMetrics
{
    /// <summary>The default budget: 2²⁴ collected pixels (128 MiB of sort buffer).</summary>
    public const long DefaultBudgetPixels = 1L << 24;

    /// <summary>The largest budget: one .NET array of keys (2³⁰ pixels, 8 GiB).</summary>
    public const long MaxBudgetPixels = 1L << 30;

    private const int Bins = 1 << 16, MaxFinePerPass = 8;

    /// <summary>Metrics of one image (or any single score/label pair).</summary>
    public static PixelMetrics Compute(ReadOnlyMemory<float> scores, ReadOnlyMemory<byte> labels, LabelRule? rule = null) =>
        Compute(new InMemoryPixelSource([new ScoredPixels(scores, labels)]), rule);

    /// <summary>Metrics pooled over every valid pixel of every image of <paramref name="source"/>.</summary>
    /// <param name="source">The scored images; read once, or several times when the valid pixels exceed the budget.</param>
    /// <param name="rule">Mask value → class; default 255 void, other non-zero anomaly.</param>
    /// <param name="budgetPixels">Most pixels held at once (8 bytes each).</param>
    /// <param name="cancellationToken">Checked between images.</param>
    public static PixelMetrics Compute(IPixelSource source, LabelRule? rule = null, long budgetPixels = DefaultBudgetPixels,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(budgetPixels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(budgetPixels, MaxBudgetPixels);
        rule ??= LabelRule.Default;

        // Pass 1: coarse histogram [bin * 2 + class] and, while it fits, the pixels themselves.
        var coarse = new long[2 * Bins];
        long voids = 0, collected = 0;
        ulong[]? all = new ulong[(int)Math.Min(budgetPixels, 1 << 16)];
        for (int i = 0; i < source.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = Checked(source, i);
            var s = item.Scores.Span;
            var l = item.Labels.Span;
            var table = rule.Table;
            for (int j = 0; j < s.Length; j++)
            {
                var c = table[l[j]];
                if (c == PixelClass.Void) { voids++; continue; }
                float v = s[j];
                if (float.IsNaN(v)) throw new ArgumentException($"image {i}: score at pixel {j} is NaN; the metrics need finite or ±∞ scores", nameof(source));
                uint key = ScoreKey.FromScore(v);
                coarse[(key >> 16) * 2 + (uint)c]++;
                if (all is null) continue;
                if (collected == all.Length)
                {
                    if (collected >= budgetPixels) { all = null; continue; }
                    Array.Resize(ref all, (int)Math.Min(budgetPixels, 2L * all.Length));
                }
                all[collected++] = ((ulong)key << 1) | (uint)c;
            }
        }
        long positives = 0, negatives = 0;
        for (int b = 0; b < Bins; b++) { negatives += coarse[2 * b]; positives += coarse[2 * b + 1]; }
        var acc = new CurveAccumulator(positives, negatives);

        if (all is not null)
        {
            Array.Sort(all, 0, (int)collected);
            int pos = (int)collected - 1;
            EmitSorted(all, ref pos, 0, acc);
            return acc.Finish(voids);
        }

        var groups = Plan(coarse, budgetPixels);
        int passes = 1;
        for (int g = 0; g < groups.Count;)
        {
            // One batch: consecutive groups with ≤ budget sorted entries and ≤ MaxFinePerPass fine histograms.
            int end = g;
            long sortTotal = 0;
            int fines = 0;
            while (end < groups.Count)
            {
                var gr = groups[end];
                if (gr.Fine ? fines == MaxFinePerPass : sortTotal + gr.Count > budgetPixels && end > g) break;
                if (gr.Fine) fines++; else sortTotal += gr.Count;
                end++;
            }
            RunBatch(source, rule, groups, g, end, sortTotal, acc, cancellationToken);
            passes++;
            g = end;
        }
        return acc.Finish(voids) with { Passes = passes };
    }

    private readonly record struct Group(int HiBin, int LoBin, bool Fine, long Count);

    private static List<Group> Plan(long[] coarse, long budget)
    {
        var groups = new List<Group>();
        Group? open = null;
        for (int b = Bins - 1; b >= 0; b--)
        {
            long count = coarse[2 * b] + coarse[2 * b + 1];
            if (count == 0) continue;
            if (count > budget)
            {
                if (open is { } o) groups.Add(o);
                open = null;
                groups.Add(new Group(b, b, true, count));
            }
            else if (open is { } o && o.Count + count <= budget) open = o with { LoBin = b, Count = o.Count + count };
            else
            {
                if (open is { } prev) groups.Add(prev);
                open = new Group(b, b, false, count);
            }
        }
        if (open is { } last) groups.Add(last);
        return groups;
    }

    private static void RunBatch(IPixelSource source, LabelRule rule, List<Group> groups, int first, int end, long sortTotal,
        CurveAccumulator acc, CancellationToken ct)
    {
        // slot[bin]: −1 not in this batch, −2 a sorted bin, k ≥ 0 fine histogram k.
        var slot = new int[Bins];
        Array.Fill(slot, -1);
        var fine = new List<long[]>();
        for (int g = first; g < end; g++)
        {
            if (groups[g].Fine) { slot[groups[g].HiBin] = fine.Count; fine.Add(new long[2 * Bins]); }
            else for (int b = groups[g].LoBin; b <= groups[g].HiBin; b++) slot[b] = -2;
        }
        var buffer = new ulong[sortTotal];
        long n = 0;
        for (int i = 0; i < source.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var item = Checked(source, i);
            var s = item.Scores.Span;
            var l = item.Labels.Span;
            var table = rule.Table;
            for (int j = 0; j < s.Length; j++)
            {
                var c = table[l[j]];
                if (c == PixelClass.Void) continue;
                uint key = ScoreKey.FromScore(s[j]);
                int k = slot[key >> 16];
                if (k == -1) continue;
                if (k >= 0) fine[k][(key & 0xFFFF) * 2 + (uint)c]++;
                else
                {
                    if (n == buffer.LongLength) throw new InvalidOperationException($"image {i} changed between passes of the exact metrics");
                    buffer[n++] = ((ulong)key << 1) | (uint)c;
                }
            }
        }
        if (n != buffer.LongLength) throw new InvalidOperationException("the pixel source changed between passes of the exact metrics");
        Array.Sort(buffer);
        int pos = buffer.Length - 1;
        for (int g = first; g < end; g++)
        {
            var gr = groups[g];
            if (!gr.Fine) { EmitSorted(buffer, ref pos, gr.LoBin, acc); continue; }
            var h = fine[slot[gr.HiBin]];
            for (int low = Bins - 1; low >= 0; low--)
                if ((h[2 * low] | h[2 * low + 1]) != 0)
                    acc.Add(ScoreKey.ToScore(((uint)gr.HiBin << 16) | (uint)low), h[2 * low + 1], h[2 * low]);
        }
    }

    // Streams runs of equal keys from buffer[pos] downwards while the key's coarse bin is ≥ loBin.
    private static void EmitSorted(ulong[] buffer, ref int pos, int loBin, CurveAccumulator acc)
    {
        while (pos >= 0)
        {
            uint key = (uint)(buffer[pos] >> 1);
            if ((key >> 16) < (uint)loBin) return;
            long pos1 = 0, neg = 0;
            while (pos >= 0 && (uint)(buffer[pos] >> 1) == key)
            {
                if ((buffer[pos] & 1) != 0) pos1++; else neg++;
                pos--;
            }
            acc.Add(ScoreKey.ToScore(key), pos1, neg);
        }
    }

    private static ScoredPixels Checked(IPixelSource source, int i)
    {
        var item = source.Load(i);
        if (item.Scores.Length != item.Labels.Length)
            throw new ArgumentException($"image {i}: {item.Scores.Length} scores but {item.Labels.Length} mask pixels; score map and mask must have the same size", nameof(source));
        return item;
    }
}
