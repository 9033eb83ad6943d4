using NativeEngine.Runtime;

namespace NativeEngine.Kernels;

/// <summary>How the dispatcher ranks versions per device when none is forced (lower wins; ties go to table order).</summary>
public static class Dispatch
{
    /// <summary>Never picked automatically (still runnable when forced).</summary>
    public const int Never = int.MaxValue;

    /// <summary>
    /// Host backend: host version, else the simple kernel (the grouped ones pay OS-level barriers there). Simulator:
    /// the simple kernel (what the simulator is for), grouped next, tensor cores last. CUDA: tensor cores, grouped,
    /// simple. A composite version (other ops run one after another) comes last everywhere. Precision is not a rank: it
    /// is in the call's arguments (the user's choice), and each version's predicate says which precisions it serves, so
    /// a float32 call never lands on a tensor-core version and a bf16 call never on a float32 one.
    /// </summary>
    public static int Rank(OpVersion version, ComputeDevice device) =>
        (device.Kind, version.Kind) switch
        {
            (DeviceKind.Cpu, VersionKind.Host) => 0,
            (DeviceKind.Cpu or DeviceKind.Sim, VersionKind.Simple) => 1,
            (DeviceKind.Cpu or DeviceKind.Sim, VersionKind.Grouped) => 2,
            (DeviceKind.Cpu or DeviceKind.Sim, VersionKind.TensorCore) => 3,
            (DeviceKind.Cuda, VersionKind.TensorCore) => 0,
            (DeviceKind.Cuda, VersionKind.Grouped) => 1,
            (DeviceKind.Cuda, VersionKind.Simple) => 2,
            (_, VersionKind.Composite) => 4, // the unfused form: only where no fused version runs
            _ => Never, // host versions on the simulator (it runs the CUDA kernels) and on CUDA (no host memory)
        };
}

/// <summary>One recorded dispatch: which op ran which version, and the napkin cost of the call.</summary>
public readonly record struct Dispatched(IOp Op, OpVersion Version, double Flops, double Bytes);

/// <summary>
/// Records every dispatch made on this async flow while it is open (an inner log also reports to the outer ones):
/// how a test proves a conformance row ran the version it names, and how `bench kernels` learns a call's FLOPs and
/// bytes from the op's cost functions and times it. Costs one AsyncLocal read per dispatch when no log is open.
/// </summary>
public sealed class DispatchLog : IDisposable
{
    private static readonly AsyncLocal<DispatchLog?> current = new();
    private readonly DispatchLog? outer;
    private readonly List<Dispatched> entries = [];
    private readonly IOp? timedOp;
    private readonly Action<Dispatched, Action>? timer;
    private readonly OpVersion? force;
    private bool timed;

    private DispatchLog(IOp? timedOp, Action<Dispatched, Action>? timer, OpVersion? force)
    {
        (outer, this.timedOp, this.timer, this.force) = (current.Value, timedOp, timer, force);
        current.Value = this;
    }

    /// <summary>
    /// Starts recording; dispose to stop. With <paramref name="force"/>, every call of that version's op that names
    /// no version runs it (how a conformance row runs its version through an entry point that takes none).
    /// </summary>
    public static DispatchLog Start(OpVersion? force = null) => new(null, null, force);

    /// <summary>
    /// Starts recording and hands the first dispatch of <paramref name="op"/> to <paramref name="timer"/> with its
    /// launch: the timer must launch it at least once (that launch is the call's own) and may repeat it to time it.
    /// </summary>
    public static DispatchLog Timing(IOp op, Action<Dispatched, Action> timer, OpVersion? force = null) => new(op, timer, force);

    /// <summary>The innermost open log of this flow, or null.</summary>
    public static DispatchLog? Current => current.Value;

    /// <summary>Every dispatch recorded so far, in order.</summary>
    public IReadOnlyList<Dispatched> Entries => entries;

    /// <summary>The dispatches of <paramref name="op"/>.</summary>
    public IEnumerable<Dispatched> Of(IOp op) => entries.Where(e => ReferenceEquals(e.Op, op));

    /// <summary>The version the innermost forcing log of this flow forces, or null.</summary>
    public static OpVersion? ForcedVersion
    {
        get
        {
            for (var log = current.Value; log is not null; log = log.outer)
                if (log.force is not null) return log.force;
            return null;
        }
    }

    /// <summary>The version an open log forces for <paramref name="op"/>, or null.</summary>
    internal static OpVersion? Forced(IOp op)
    {
        for (var log = current.Value; log is not null; log = log.outer)
            if (log.force is { } v && v.Op == op.Name) return v;
        return null;
    }

    internal void Dispatch<TArgs>(Op<TArgs> op, OpVersion<TArgs> version, TArgs args, Func<TArgs, double> flops, Func<TArgs, double> bytes)
    {
        var d = new Dispatched(op, version, flops(args), bytes(args));
        DispatchLog? timing = null;
        for (var log = this; log is not null; log = log.outer)
        {
            log.entries.Add(d);
            if (timing is null && !log.timed && ReferenceEquals(log.timedOp, op)) timing = log;
        }
        if (timing is null)
        {
            version.Launch(args);
            return;
        }
        timing.timed = true;
        timing.timer!(d, () => version.Launch(args));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (current.Value == this) current.Value = outer;
    }
}
