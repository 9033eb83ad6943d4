using NativeEngine.Models.Imaging;

namespace NativeEngine.Evaluation.Pipeline;

/// <summary>The per-pixel anomaly scores `eval` and `infer` know (higher = more anomalous; seed.md §3.5).</summary>
public enum ScoreMethod
{
    /// <summary>The EoMT-EXT head: sigmoid of its logit (the seed's "SupervisedHead" rows).</summary>
    Head,
    /// <summary>1 − max_c softmax(z/T) on the semantic map z.</summary>
    Msp,
    /// <summary>−max_c z/T.</summary>
    MaxLogit,
    /// <summary>−Σ_c p·ln(p + 1e-12), p = softmax(z/T) (the seed's "MaxEntropy").</summary>
    Entropy,
    /// <summary>−Σ_c tanh(relu(z/T)) (Rejected by All).</summary>
    Rba,
}

/// <summary>Names and parsing of <see cref="ScoreMethod"/>.</summary>
public static class ScoreMethods
{
    /// <summary>The lower-case CLI / file name of a method.</summary>
    public static string Key(this ScoreMethod m) => m switch
    {
        ScoreMethod.Head => "head", ScoreMethod.Msp => "msp", ScoreMethod.MaxLogit => "maxlogit",
        ScoreMethod.Entropy => "entropy", _ => "rba",
    };

    /// <summary>The row label of the seed's tables.</summary>
    public static string Label(this ScoreMethod m) => m switch
    {
        ScoreMethod.Head => "Head", ScoreMethod.Msp => "MSP", ScoreMethod.MaxLogit => "MaxLogit",
        ScoreMethod.Entropy => "MaxEntropy", _ => "RbA",
    };

    /// <summary>True for scores that are probabilities in [0, 1] (heatmaps use the fixed range [0, 1]; the others are stretched per image).</summary>
    public static bool IsProbability(this ScoreMethod m) => m is ScoreMethod.Head or ScoreMethod.Msp;

    /// <summary>Parses "head,msp,maxlogit,entropy,rba" (also "all", "maxentropy").</summary>
    public static IReadOnlyList<ScoreMethod> Parse(string text)
    {
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return Enum.GetValues<ScoreMethod>();
        var list = new List<ScoreMethod>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = part.ToLowerInvariant() switch
            {
                "head" or "supervisedhead" or "ext" => ScoreMethod.Head,
                "msp" => ScoreMethod.Msp,
                "maxlogit" or "max_logit" => ScoreMethod.MaxLogit,
                "entropy" or "maxentropy" => ScoreMethod.Entropy,
                "rba" => ScoreMethod.Rba,
                _ => throw new ArgumentException($"unknown method '{part}'; use head, msp, maxlogit, entropy, rba (comma-separated) or all"),
            };
            if (!list.Contains(m)) list.Add(m);
        }
        if (list.Count == 0) throw new ArgumentException("no method given; use e.g. --methods head,msp");
        return list;
    }
}

/// <summary>How an image is fed to the model for scoring.</summary>
public enum EvalProtocol
{
    /// <summary>The seed's protocol (seed.md §3.2): image squashed to the crop size (PIL bilinear), mask with NEAREST; metrics at S×S.</summary>
    Seed,
    /// <summary>Windows at the native resolution (eomt.md §4.2); maps and metrics at the image's own size.</summary>
    Native,
}

/// <summary>What to compute for one image.</summary>
/// <param name="Methods">The scores wanted.</param>
/// <param name="Protocol">Seed: squash to the crop size, one window, maps at S×S. Native: windows at the native resolution, maps at H×W.</param>
/// <param name="Temperature">T of the baselines (z/T).</param>
/// <param name="Semantic">Also return the semantic argmax (class index per pixel).</param>
public sealed record ScoreRequest(IReadOnlyList<ScoreMethod> Methods, EvalProtocol Protocol = EvalProtocol.Seed, float Temperature = 1f, bool Semantic = false);

/// <summary>Per-pixel maps of one image, all Width×Height, row-major.</summary>
/// <param name="Width">Map width (the crop size under the seed protocol, else the image width).</param>
/// <param name="Height">Map height.</param>
/// <param name="Scores">One map per requested method.</param>
/// <param name="Semantic">Class index per pixel (argmax of the semantic map), when requested.</param>
public sealed record ScoreMaps(int Width, int Height, IReadOnlyDictionary<ScoreMethod, float[]> Scores, int[]? Semantic = null);

/// <summary>
/// Anything that turns an image into anomaly score maps: the EoMT(-EXT) model on a device, or a stand-in in tests.
/// Implementations must be deterministic for a given image (the per-image cache relies on it).
/// </summary>
public interface IAnomalyScorer : IDisposable
{
    /// <summary>One line saying what it is (model, weights origin, "untrained" when it is), for reports.</summary>
    string Description { get; }

    /// <summary>A short string that changes whenever the scores could (weights file + size + time, config…): the cache key.</summary>
    string Identity { get; }

    /// <summary>The methods it can compute (Head needs an anomaly head).</summary>
    IReadOnlyList<ScoreMethod> Supported { get; }

    /// <summary>Scores one image.</summary>
    ScoreMaps Score(RgbImage image, ScoreRequest request, CancellationToken cancellationToken = default);
}
