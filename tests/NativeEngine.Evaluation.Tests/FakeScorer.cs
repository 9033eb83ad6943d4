using NativeEngine.Evaluation.Pipeline;
using NativeEngine.Models.Imaging;

namespace NativeEngine.Evaluation.Tests;

/// <summary>
/// A stand-in for the model: "magenta-ness" of each pixel as the anomaly score (the synthetic scenes' object is
/// magenta), squashed to <see cref="CropSize"/> under the seed protocol. Counts its calls so resume can be checked.
/// </summary>
internal sealed class FakeScorer(int cropSize = 32) : IAnomalyScorer
{
    public int Calls;
    public int CropSize => cropSize;
    public string Description => "fake magenta scorer (test stand-in)";
    public string Identity => $"fake-{cropSize}";
    public IReadOnlyList<ScoreMethod> Supported { get; } = Enum.GetValues<ScoreMethod>();

    public ScoreMaps Score(RgbImage image, ScoreRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        int w = image.Width, h = image.Height;
        var px = image.Pixels;
        if (request.Protocol == EvalProtocol.Seed)
        {
            px = PilResize.Bilinear(px, w, h, cropSize, cropSize);
            w = h = cropSize;
        }
        var magenta = new float[w * h];
        for (int i = 0; i < magenta.Length; i++)
            magenta[i] = Math.Clamp((px[3 * i] + px[3 * i + 2] - 2f * px[3 * i + 1]) / 420f, 0f, 1f);
        var maps = new Dictionary<ScoreMethod, float[]>();
        foreach (var m in request.Methods)
            maps[m] = m switch
            {
                ScoreMethod.Head or ScoreMethod.Msp => magenta,
                ScoreMethod.MaxLogit => magenta.Select(v => 5 * v - 3).ToArray(),
                ScoreMethod.Entropy => magenta.Select(v => MathF.Sqrt(v)).ToArray(),
                _ => magenta.Select(v => -19 + v).ToArray(),
            };
        int[]? sem = request.Semantic ? magenta.Select(v => v > 0.5f ? 11 : 0).ToArray() : null;
        return new ScoreMaps(w, h, maps, sem);
    }

    public void Dispose() { }
}
