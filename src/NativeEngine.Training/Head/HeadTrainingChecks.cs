using System.Globalization;
using System.Security.Cryptography;
using NativeEngine.Training.Autograd;
using NativeEngine.Training.Optim;

namespace NativeEngine.Training.Head;

/// <summary>A training run that produced a non-finite loss, gradient or weight: it stops there, nothing more is written.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);

/// <summary>
/// What <see cref="HeadTrainer"/> refuses before and during training: settings out of range (a NaN or negative
/// learning rate would "train" to an all-NaN head with exit 0), features that are not finite, labels with nothing to
/// learn from, and the first non-finite loss, gradient or weight. Option names in messages are the CLI's.
/// </summary>
public static class HeadTrainingChecks
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range and its accepted values.</summary>
    public static void Validate(HeadTrainingOptions o)
    {
        static string G(double v) => v.ToString("G", CultureInfo.InvariantCulture);
        if (o.Steps < 1) throw new ArgumentException($"--steps {o.Steps}: give at least 1 optimiser step");
        if (!Enum.IsDefined(o.Optimizer)) throw new ArgumentException($"optimizer {(int)o.Optimizer}: use {TrainingChoices.List(TrainingChoices.Optimizers)}");
        if (!Enum.IsDefined(o.Schedule)) throw new ArgumentException($"schedule {(int)o.Schedule}: use {TrainingChoices.List(TrainingChoices.Schedules)}");
        if (o.Batch < 1) throw new ArgumentException($"--batch {o.Batch}: give at least 1 pixel per step");
        if (!double.IsFinite(o.Lr) || o.Lr <= 0) throw new ArgumentException($"--lr {G(o.Lr)}: the learning rate must be a finite number above 0 (e.g. 1e-4)");
        if (!double.IsFinite(o.WeightDecay) || o.WeightDecay < 0) throw new ArgumentException($"--weight-decay {G(o.WeightDecay)}: must be a finite number ≥ 0 (e.g. 0.05)");
        if (!double.IsFinite(o.ClipNorm) || o.ClipNorm < 0) throw new ArgumentException($"--clip-norm {G(o.ClipNorm)}: must be a finite number ≥ 0 (0 = off)");
        if (!float.IsFinite(o.PosWeight) || o.PosWeight <= 0) throw new ArgumentException($"--pos-weight {G(o.PosWeight)}: must be a finite number above 0 (e.g. 10)");
        if (o.WarmupSteps < 0 || o.WarmupSteps > o.Steps) throw new ArgumentException($"--warmup-steps {o.WarmupSteps}: must be between 0 and --steps ({o.Steps})");
        if (o.CheckpointEvery < 0) throw new ArgumentException($"--checkpoint-every {o.CheckpointEvery}: must be ≥ 0 (0 = only at the end)");
    }

    /// <summary>A features file holds 4 statistic columns (plain or bn head) or 4 + C (hybrid); anything else is refused by name.</summary>
    public static void RequireColumns(string path, long columns)
    {
        if (columns < 4)
            throw new ArgumentException($"{path}: features have {columns} column(s); a features file holds 4 columns (max_prob, entropy, energy, msp) " +
                "for a plain or bn head, or 4 + C for a hybrid head (the statistics, then the C patch-token channels)");
    }

    /// <summary>Refuses non-finite features and labels that are all void (nothing would be learnt).</summary>
    public static void RequireUsable(FeatureDataset data)
    {
        var f = data.Features;
        for (long i = 0; i < f.LongLength; i++)
            if (!float.IsFinite(f[i]))
                throw new ArgumentException($"features: row {i / data.Dim} column {i % data.Dim} is {f[i].ToString(CultureInfo.InvariantCulture)}; " +
                    "every feature must be finite (recompute the features file)");
        if (data.Count == 0) throw new ArgumentException("features: no pixel rows to train on");
        if (Array.TrueForAll(data.Labels, l => l == 255))
            throw new ArgumentException($"labels: all {data.Count} are void (255), so there is nothing to train on; labels must have 0 (normal) or 1 (anomaly) pixels");
    }

    /// <summary>SHA-256 (hex, 32 chars) of the features and labels: what a checkpoint records so --resume can tell other data.</summary>
    public static string ContentHash(FeatureDataset data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> dim = stackalloc byte[4];
        BitConverter.TryWriteBytes(dim, data.Dim);
        sha.AppendData(dim);
        sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Features.AsSpan()));
        sha.AppendData(data.Labels);
        if (data.Patches is { } p) sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Values.AsSpan())); // hybrid: the patch features too
        return Convert.ToHexString(sha.GetHashAndReset())[..32];
    }

    /// <summary>The first non-finite value among the parameters' values (or gradients), as "name[index] = value", else null.</summary>
    public static string? FirstNonFinite(IEnumerable<Parameter> parameters, bool gradients)
    {
        foreach (var p in parameters)
        {
            var t = gradients ? p.Grad : p.Value;
            if (t is null) continue;
            var v = t.ToHostFloat();
            int i = Array.FindIndex(v, x => !float.IsFinite(x));
            if (i >= 0) return $"{p.Name}[{i}] = {v[i].ToString(CultureInfo.InvariantCulture)}";
        }
        return null;
    }
}
