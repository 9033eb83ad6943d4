namespace NativeEngine.Training.Optim;

/// <summary>Learning-rate schedules: step t (0-based, the t-th update) → lr.</summary>
public static class LrSchedule
{
    /// <summary>The schedule <paramref name="kind"/> for a run of <paramref name="totalSteps"/> steps.</summary>
    public static Func<int, double> For(ScheduleKind kind, double lr, int warmupSteps, int totalSteps) => kind switch
    {
        ScheduleKind.Constant => Constant(lr),
        ScheduleKind.WarmupPoly => WarmupPoly(lr, warmupSteps, totalSteps),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>lr at every step.</summary>
    public static Func<int, double> Constant(double lr) => _ => lr;

    /// <summary>
    /// EoMT's TwoStageWarmupPolySchedule for the non-backbone groups (seed.md §2.2), stepped every update:
    /// lr·t/warmup for t &lt; warmup (so the first update has lr 0), then lr·(1 − (t − warmup)/(total − warmup))^power.
    /// </summary>
    public static Func<int, double> WarmupPoly(double lr, int warmupSteps, int totalSteps, double power = 0.9) => t =>
    {
        if (warmupSteps > 0 && t < warmupSteps) return lr * t / warmupSteps;
        double adjusted = Math.Max(0, t - warmupSteps), max = Math.Max(1, totalSteps - warmupSteps);
        return lr * Math.Pow(Math.Max(0, 1 - adjusted / max), power);
    };
}
