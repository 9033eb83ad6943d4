namespace NativeEngine.Evaluation.Metrics;

/// <summary>What a pixel of a ground-truth mask counts as.</summary>
public enum PixelClass : byte
{
    /// <summary>In-distribution (negative).</summary>
    Normal = 0,
    /// <summary>Anomaly / obstacle (the positive class).</summary>
    Anomaly = 1,
    /// <summary>Ignored: neither counted nor scored.</summary>
    Void = 255,
}

/// <summary>
/// Maps raw mask values (0..255) to <see cref="PixelClass"/> through a 256-entry table. The default is the seed's
/// <c>binary_any_nonzero_is_ood_void255</c>: 255 void, any other non-zero value anomaly, 0 normal (so Road Anomaly's
/// value 2 is an anomaly). LostAndFound's gtCoarse labelIds use <see cref="LostAndFound"/>.
/// </summary>
public sealed class LabelRule
{
    private readonly PixelClass[] table;

    private LabelRule(PixelClass[] table, string text)
    {
        this.table = table;
        Text = text;
    }

    /// <summary>255 void, other non-zero anomaly, 0 normal.</summary>
    public static LabelRule Default { get; } = Parse("normal=0,anomaly=1-254,void=255");

    /// <summary>Cityscapes-style LostAndFound gtCoarse labelIds: 0 void, 1 free space (normal), 2..200 obstacle, above 200 void.</summary>
    public static LabelRule LostAndFound { get; } = Parse("void=0,normal=1,anomaly=2-200,void=201-255");

    /// <summary>The rule in the syntax <see cref="Parse"/> reads.</summary>
    public string Text { get; }

    /// <summary>The class of one raw mask value.</summary>
    public PixelClass this[byte value] => table[value];

    /// <summary>The class of every raw mask value (index = raw value).</summary>
    public ReadOnlySpan<PixelClass> Table => table;

    /// <summary>
    /// Parses "normal=0,anomaly=1-254,void=255": comma-separated <c>class=values</c> where values are a number or an
    /// inclusive range a-b (several may be joined with '+', e.g. "anomaly=1+2"). Later entries override earlier ones;
    /// values never named are void.
    /// </summary>
    public static LabelRule Parse(string text)
    {
        var t = new PixelClass[256];
        Array.Fill(t, PixelClass.Void);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2) throw Bad(text, $"'{part}' is not class=values");
            var cls = kv[0].ToLowerInvariant() switch
            {
                "normal" or "inlier" or "id" => PixelClass.Normal,
                "anomaly" or "ood" or "obstacle" => PixelClass.Anomaly,
                "void" or "ignore" => PixelClass.Void,
                _ => throw Bad(text, $"unknown class '{kv[0]}' (use normal, anomaly or void)"),
            };
            foreach (var range in kv[1].Split('+', StringSplitOptions.TrimEntries))
            {
                var ab = range.Split('-', 2, StringSplitOptions.TrimEntries);
                if (!byte.TryParse(ab[0], out var lo) || !byte.TryParse(ab.Length == 2 ? ab[1] : ab[0], out var hi) || hi < lo)
                    throw Bad(text, $"'{range}' is not a value 0..255 or a range a-b");
                for (int v = lo; v <= hi; v++) t[v] = cls;
            }
        }
        return new LabelRule(t, text);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    private static ArgumentException Bad(string text, string why) =>
        new($"label rule \"{text}\": {why}; expected e.g. \"normal=0,anomaly=1-254,void=255\"", nameof(text));
}
