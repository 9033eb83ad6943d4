using System.CommandLine;
using System.Diagnostics;
using NativeEngine.Kernels;
using NativeEngine.Models.Eomt;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Cli.Commands;

/// <summary>
/// `bench forward --config S-640|B-640|L-640|L-1024|B-1024|g-640 [--batch N] [--precision fp32|tf32|bf16|fp16] [--layers N] [--size S]`:
/// random weights of the published shapes (nothing to download), one forward validated against the reference path
/// (every op's simple v1 kernel, fp32) at a reduced size — in a reduced precision also that precision's forward
/// against it, within a bound of the precision's unit roundoff — then the full forward + semantic map timed (warm-up excluded):
/// ms per window, achieved TFLOP/s and the share of each kernel family (from one extra, synchronised run).
/// </summary>
public static class BenchForwardCommand
{
    /// <summary>Builds the `forward` subcommand of `bench`.</summary>
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "S-640, B-640, L-640, L-1024, B-1024 or g-640", Required = true };
        var batch = new Option<int>("--batch") { Description = "windows per forward", DefaultValueFactory = _ => 1 };
        var precisionOption = Cli.PrecisionOption();
        var layers = new Option<int?>("--layers") { Description = "override the depth (the CPU simulator is far too slow for the published ones)" };
        var size = new Option<int?>("--size") { Description = "override the crop size S (multiple of 16)" };
        var iterations = new Option<int>("--iterations") { Description = "timed forwards", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "untimed forwards first (kernel compilation happens here)", DefaultValueFactory = _ => 1 };
        var device = Cli.DeviceOption();
        var cmd = new Command("forward", "time the EoMT forward with random weights of a published shape");
        foreach (var o in new Option[] { config, batch, precisionOption, layers, size, iterations, warmup, device }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var precision = Cli.ParsePrecision(r.GetValue(precisionOption));
            var cfg = EomtRandomWeights.Published(r.GetValue(config)!);
            if (r.GetValue(layers) is int l)
                cfg = cfg with { Layers = Math.Max(1, l), QueryBlocks = Math.Min(cfg.QueryBlocks, Math.Max(1, l)) };
            if (r.GetValue(size) is int s)
                cfg = s > 0 && s % cfg.PatchSize == 0 ? cfg with { ImageSize = s } : throw new ArgumentException($"--size {s} must be a positive multiple of {cfg.PatchSize}");
            using var d = Cli.OpenDevice(r.GetValue(device)!);
            Run(d, r.GetValue(config)!, cfg, Math.Max(1, r.GetValue(batch)), precision, Math.Max(1, r.GetValue(iterations)), Math.Max(0, r.GetValue(warmup)));
            return 0;
        });
        return cmd;
    }

    private static void Run(ComputeDevice d, string name, EomtConfig cfg, int batch, Precision precision, int iterations, int warmup)
    {
        Console.WriteLine($"bench forward {name}: C {cfg.HiddenSize}, {cfg.Layers} layers (L2 {cfg.QueryBlocks}), {cfg.Heads} heads, S {cfg.ImageSize}, " +
                          $"Q {cfg.Queries}, K {cfg.Classes}{(cfg.SwiGlu ? ", SwiGLU" : "")}, batch {batch}, precision {precision.Name()}");
        Console.WriteLine($"device: {d.Description}");
        if (d.IsSimulator) Console.WriteLine("note: the simulator runs the CUDA kernels one OS thread per GPU thread; use --layers/--size to keep runs short, timings are not GPU numbers");
        Validate(d, cfg, precision);

        var sw = Stopwatch.StartNew();
        using var source = new EomtRandomWeights(cfg, 1);
        using var model = EomtModel.Load(d, source, precision);
        Console.WriteLine($"weights: {source.Parameters / 1e6:F2} M parameters built and uploaded in {sw.Elapsed.TotalSeconds:F1} s");
        using var pixels = RandomPixels(d, batch, cfg.ImageSize);
        using var map = Tensor.Empty(d, new Shape(batch, cfg.Classes, cfg.ImageSize, cfg.ImageSize));
        void Once() => model.SemanticMap(model.Forward(pixels), map);
        for (int i = 0; i < warmup; i++) Once();
        d.Synchronize();
        var counters = d.Counters;
        double cpu0 = HostPeaks.CpuSeconds();
        sw.Restart();
        for (int i = 0; i < iterations; i++) Once();
        var steady = d.Counters - counters; // taken before the closing wait, so every count is the forwards' own
        d.Synchronize();
        double ms = sw.Elapsed.TotalMilliseconds / iterations;
        double cpuMs = (HostPeaks.CpuSeconds() - cpu0) * 1000 / iterations;
        double flops = EomtCost.Flops(cfg, batch);
        Console.WriteLine($"time: {ms:F2} ms per forward, {ms / batch:F2} ms per window, {flops / 1e9:F2} GFLOP per forward → {flops / (ms * 1e-3) / 1e12:F4} TFLOP/s " +
                          $"({iterations} timed, {warmup} warm-up; forward + semantic map at {cfg.ImageSize}²)");
        // The peak for % of peak and the roofline: the card's published one on CUDA, this CPU's measured one on the host.
        var peak = d.IsHost ? HostPeaks.Measure() : d.HasHostMemory ? null : BenchPeaks.For(d.Accelerator.Name);
        if (d.IsHost && peak is not null)
        {
            double gflops = flops / (ms * 1e-3) / 1e9;
            Console.WriteLine(HostPeaks.Line(peak));
            Console.WriteLine($"host: {gflops:F1} GFLOP/s = {100 * gflops / (peak.Fp32TeraFlops * 1000):F1} % of the measured FMA peak; " +
                              $"{cpuMs:F0} CPU-ms per forward → {flops / (cpuMs * 1e6) / HostPeaks.PerCoreGflops * 100:F1} % of one core's FMA rate per CPU-second (contention-proof)");
        }
        Console.WriteLine($"during the timed runs: {steady.Allocations} device allocations, {steady.TensorAllocations} pool tensors, {steady.HostSyncs} host syncs (the forward plan: all 0)");

        var profiler = new OpProfiler(d);
        model.Profiler = profiler;
        Once();
        model.Profiler = null;
        double total = profiler.Milliseconds.Values.Sum();
        // % of roofline: the family's floor (max of FLOPs at the FP32 peak — CUDA cores, or the measured host FMA peak —
        // and bytes at full bandwidth; the forward computes in float32 today) over its measured time; the BF16
        // tensor-core floor is shown beside it on CUDA.
        var floors = BenchRoofline.Families(cfg, batch);
        Console.WriteLine($"share per kernel family (one synchronised run, {total:F2} ms){(peak is null ? "" : $"; roofline on {peak.Name}")}:");
        // CPU-ms: the process's CPU time per family (on the host backend the steady measure when the machine is shared;
        // % FMA/cpu-s is the family's FLOPs per CPU-second against one core's measured FMA rate).
        Console.WriteLine($"  {"family",-26} {"ms",10}  {"share",7}  {"floor fp32",10}  {"% roofline",10}  {"floor bf16 TC",13}  {"CPU-ms",9}  {"%FMA/cpu-s",10}");
        foreach (var (family, t) in profiler.Milliseconds.OrderByDescending(kv => kv.Value))
        {
            string floor = "-", pct = "-", floorTc = "-", perCpu = "-";
            double famCpu = profiler.CpuMilliseconds.GetValueOrDefault(family);
            if (peak is not null && floors.TryGetValue(family, out var cost))
            {
                double ms32 = BenchRoofline.FloorMs(cost, peak.Fp32TeraFlops, peak.TeraBytesPerSecond);
                floor = ms32.ToString("F3");
                pct = (100 * ms32 / t).ToString("F1") + " %";
                if (peak.HalfTeraFlops > 0) floorTc = BenchRoofline.FloorMs(cost, peak.HalfTeraFlops, peak.TeraBytesPerSecond).ToString("F3");
                if (d.IsHost && cost.Flops > 0 && famCpu > 0) perCpu = (100 * cost.Flops / (famCpu * 1e6) / HostPeaks.PerCoreGflops).ToString("F1") + " %";
            }
            Console.WriteLine($"  {family,-26} {t,10:F3}  {100 * t / total,5:F1} %  {floor,10}  {pct,10}  {floorTc,13}  {famCpu,9:F1}  {perCpu,10}");
        }
    }

    // The reference path is the same graph on every op's plain version; the timed path is what the op table picks
    // (grouped kernels on CUDA, host versions on the host backend). Reduced size: the published widths, L2 + 1
    // layers, a 4×4 patch grid.
    private static void Validate(ComputeDevice d, EomtConfig full, Precision precision)
    {
        var cfg = full with { Layers = Math.Min(full.Layers, full.QueryBlocks + 1), ImageSize = 4 * full.PatchSize };
        // On the host backend the reference path runs on the simulator, so keep it to one plain and one query block.
        if (d.IsHost) cfg = cfg with { Layers = Math.Min(full.Layers, 2), QueryBlocks = 1 };
        using var source = new EomtRandomWeights(cfg, 2);
        using var model = EomtModel.Load(d, source);
        using var pixels = RandomPixels(d, 1, cfg.ImageSize);
        model.Plain = true;
        var o = model.Forward(pixels);
        float[] refCls = o.ClassQueriesLogits.ToHostFloat(), refMask = o.MasksQueriesLogits.ToHostFloat();
        model.Plain = false;
        o = model.Forward(pixels);
        double e1 = RelMax(refCls, o.ClassQueriesLogits.ToHostFloat()), e2 = RelMax(refMask, o.MasksQueriesLogits.ToHostFloat());
        Console.WriteLine($"validate ({cfg.Layers} layers, {cfg.ImageSize} px, table picks vs plain versions): max|Δ|/max|ref| class {e1:E2}, masks {e2:E2}");
        if (e1 > 1e-4 || e2 > 1e-4)
            throw new InvalidOperationException($"validation failed (> 1e-4 of max|ref|): the timed kernels disagree with the reference path; not timing");
        if (precision == Precision.Fp32) return;
        // The reduced precision against the fp32 reference: a few layers of operands rounded to unit roundoff u move
        // the logits by a small multiple of u; 32u (tf32/fp16 1.6 %, bf16 12.5 %) catches a broken kernel, not rounding.
        using var reduced = EomtModel.Load(d, source, precision);
        o = reduced.Forward(pixels);
        double u = Reference.PrecisionRef.UnitRoundoff(precision.Name()), bound = 32 * u;
        e1 = RelMax(refCls, o.ClassQueriesLogits.ToHostFloat());
        e2 = RelMax(refMask, o.MasksQueriesLogits.ToHostFloat());
        Console.WriteLine($"validate {precision.Name()} against the fp32 reference: max|Δ|/max|ref| class {e1:E2}, masks {e2:E2} (bound 32u = {bound:E2})");
        if (e1 > bound || e2 > bound)
            throw new InvalidOperationException($"validation failed: {precision.Name()} differs from fp32 by more than 32u = {bound:E2} of max|ref|; not timing");
    }

    /// <summary>max |a − r| / max |r|.</summary>
    internal static double RelMax(float[] r, float[] a)
    {
        double max = 0, diff = 0;
        for (int i = 0; i < r.Length; i++)
        {
            max = Math.Max(max, Math.Abs(r[i]));
            diff = Math.Max(diff, Math.Abs(r[i] - a[i]));
        }
        return diff / Math.Max(max, 1e-30);
    }

    private static Tensor RandomPixels(ComputeDevice d, int batch, int size)
    {
        var rng = new Random(3);
        var v = new float[batch * 3 * size * size];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 4 - 2);
        return Tensor.FromHost(d, new Shape(batch, 3, size, size), v);
    }
}
