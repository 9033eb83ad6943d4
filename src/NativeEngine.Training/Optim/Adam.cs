using NativeEngine.Kernels;
using NativeEngine.Tensors;
using NativeEngine.Training.Autograd;

namespace NativeEngine.Training.Optim;

/// <summary>
/// Adam / AdamW settings. Defaults are the seed's effective ones (seed.md §2.2): AdamW, lr 1e-4, weight decay 0.05,
/// betas (0.9, 0.999), eps 1e-8.
/// </summary>
public sealed record AdamOptions(double Lr = 1e-4, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8,
    double WeightDecay = 0.05, bool Decoupled = true);

/// <summary>
/// torch.optim.Adam (Decoupled = false: L2 decay added to the gradient) and torch.optim.AdamW (true: p·(1 − lr·wd)
/// before the moment updates), with bias correction, plus torch.nn.utils.clip_grad_norm_.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private readonly Dictionary<string, (Tensor M, Tensor V)> state = [];

    /// <summary>Zeroed moments for every parameter.</summary>
    public AdamOptimizer(IReadOnlyList<Parameter> parameters, AdamOptions options)
    {
        Parameters = parameters;
        Options = options;
        foreach (var p in parameters)
            state[p.Name] = (Tensor.Zeros(p.Value.Device, p.Value.Shape), Tensor.Zeros(p.Value.Device, p.Value.Shape));
    }

    /// <summary>The parameters updated.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The settings.</summary>
    public AdamOptions Options { get; }

    /// <summary>Updates done so far (torch's state['step']).</summary>
    public int StepCount { get; private set; }

    /// <summary>
    /// Total L2 norm of all gradients and the factor clip_grad_norm_ would multiply them by:
    /// min(1, maxNorm / (norm + 1e-6)); maxNorm ≤ 0 means no clipping (factor 1).
    /// </summary>
    public (float Norm, float Scale) GradClip(double maxNorm)
    {
        if (maxNorm <= 0) return (float.NaN, 1f);
        var withGrad = Parameters.Where(p => p.Grad is not null).ToList();
        if (withGrad.Count == 0) return (0f, 1f);
        using var sq = Tensor.Zeros(withGrad[0].Value.Device, new Shape(1));
        foreach (var p in withGrad) TrainOptim.SumSquares(p.Grad!, sq, accumulate: true);
        float norm = MathF.Sqrt(sq.ToHostFloat()[0]);
        float coef = (float)maxNorm / (norm + 1e-6f);
        return (norm, Math.Min(coef, 1f));
    }

    /// <summary>One update at learning rate <paramref name="lr"/>; gradients are multiplied by <paramref name="gradScale"/> first (clipping). Parameters without a gradient are skipped, as torch does.</summary>
    public void Step(double lr, float gradScale = 1f)
    {
        StepCount++;
        foreach (var p in Parameters)
        {
            if (p.Grad is null) continue;
            var (m, v) = state[p.Name];
            TrainOptim.Adam(p.Value, p.Grad, m, v, StepCount, lr, Options.Beta1, Options.Beta2, Options.Eps, Options.WeightDecay,
                Options.Decoupled, gradScale);
        }
    }

    /// <summary>The moments as named host arrays ("optim.exp_avg.&lt;name&gt;", "optim.exp_avg_sq.&lt;name&gt;").</summary>
    public IEnumerable<(string Name, float[] Data, int[] Shape)> StateTensors()
    {
        foreach (var p in Parameters)
        {
            var (m, v) = state[p.Name];
            yield return ("optim.exp_avg." + p.Name, m.ToHostFloat(), p.Value.Shape.ToArray());
            yield return ("optim.exp_avg_sq." + p.Name, v.ToHostFloat(), p.Value.Shape.ToArray());
        }
    }

    /// <summary>Restores moments and the step count saved by <see cref="StateTensors"/>.</summary>
    public void LoadState(Func<string, float[]> read, int stepCount)
    {
        foreach (var p in Parameters)
        {
            var (m, v) = state[p.Name];
            Upload(m, read("optim.exp_avg." + p.Name), p.Name);
            Upload(v, read("optim.exp_avg_sq." + p.Name), p.Name);
        }
        StepCount = stepCount;
    }

    private static void Upload(Tensor t, float[] data, string name)
    {
        if (data.Length != t.Length) throw new ArgumentException($"optimizer state for {name}: expected {t.Length} values, got {data.Length}");
        using var tmp = Tensor.FromHost(t.Device, t.Shape, data);
        tmp.CopyTo(t);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (m, v) in state.Values)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
