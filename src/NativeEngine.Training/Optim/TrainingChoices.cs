namespace NativeEngine.Training.Optim;

/// <summary>The optimiser of a head training run.</summary>
public enum OptimizerKind
{
    /// <summary>torch.optim.AdamW: decoupled weight decay (the seed's).</summary>
    AdamW,
    /// <summary>torch.optim.Adam: L2 decay added to the gradient.</summary>
    Adam,
}

/// <summary>The learning-rate schedule of a head training run (<see cref="LrSchedule"/>).</summary>
public enum ScheduleKind
{
    /// <summary>The base learning rate at every step.</summary>
    Constant,
    /// <summary>EoMT's linear warm-up, then polynomial decay to 0 (<see cref="LrSchedule.WarmupPoly"/>).</summary>
    WarmupPoly,
}

/// <summary>
/// The names of the choices as the CLI takes them and a train-head checkpoint records them in its settings (so the
/// spelling is part of the checkpoint format: keep it).
/// </summary>
public static class TrainingChoices
{
    /// <summary>--optimizer.</summary>
    public static readonly IReadOnlyList<(string Name, OptimizerKind Value)> Optimizers = [("adamw", OptimizerKind.AdamW), ("adam", OptimizerKind.Adam)];

    /// <summary>--schedule.</summary>
    public static readonly IReadOnlyList<(string Name, ScheduleKind Value)> Schedules = [("constant", ScheduleKind.Constant), ("warmup-poly", ScheduleKind.WarmupPoly)];

    /// <summary>The CLI name of an optimiser.</summary>
    public static string Name(this OptimizerKind value) => NameIn(Optimizers, value);

    /// <summary>The CLI name of a schedule.</summary>
    public static string Name(this ScheduleKind value) => NameIn(Schedules, value);

    /// <summary>The value named <paramref name="text"/> (case-insensitive), or false.</summary>
    public static bool TryParse<T>(IReadOnlyList<(string Name, T Value)> choices, string text, out T value)
    {
        foreach (var (name, v) in choices)
            if (name.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        value = default!;
        return false;
    }

    /// <summary>"a, b or c".</summary>
    public static string List<T>(IReadOnlyList<(string Name, T Value)> choices) =>
        choices.Count == 1 ? choices[0].Name : $"{string.Join(", ", choices.Take(choices.Count - 1).Select(c => c.Name))} or {choices[^1].Name}";

    private static string NameIn<T>(IReadOnlyList<(string Name, T Value)> choices, T value) =>
        choices.FirstOrDefault(c => EqualityComparer<T>.Default.Equals(c.Value, value)).Name
        ?? throw new ArgumentOutOfRangeException(nameof(value), value, null);
}
