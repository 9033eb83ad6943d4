// The ONNX Runtime anchor (issue 10 item 6): one process times ONNX Runtime (CPU execution provider, MLAS) on the graph
// exported from the project's own PyTorch EoMT (benchmarks/onnx/export_eomt.py) and the engine's host backend
// (--device cpu) on the same shape, same threads, alternating run by run so the shared machine's noise hits both, and
// prints the ratio engine / ORT.
//
//   /usr/bin/python3 benchmarks/onnx/export_eomt.py S-640
//   dotnet run -c Release --project benchmarks/OrtAnchor -- --config S-640 [--iterations 3] [--threads N] [--ort-only]
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NativeEngine.Models.Eomt;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using Tensor = NativeEngine.Tensors.Tensor;

string config = Arg("--config", "S-640");
int iterations = int.Parse(Arg("--iterations", "3"));
int threads = int.Parse(Arg("--threads", HostCpu.Cores.ToString()));
string model = Arg("--model", Path.Combine(AppContext.BaseDirectory, "../../../../onnx", $"eomt-{config}.onnx"));
if (!File.Exists(model))
{
    Console.Error.WriteLine($"ort-anchor: {Path.GetFullPath(model)} not found: export it with /usr/bin/python3 benchmarks/onnx/export_eomt.py {config}");
    return 2;
}

var cfg = EomtRandomWeights.Published(config);
int s = cfg.ImageSize;
var pixels = new float[3 * s * s];
var rng = new Random(3);
for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)(rng.NextDouble() * 4 - 2);
double gflop = EomtCost.Flops(cfg) / 1e9;

Console.WriteLine($"ort-anchor {config}: C {cfg.HiddenSize}, {cfg.Layers} layers, S {s}, forward + semantic map, batch 1, float32, {gflop:F1} GFLOP (EomtCost)");
Console.WriteLine($"machine: {HostCpu.Description}; {threads} threads for both; ONNX Runtime {OrtEnv.Instance().GetVersionString()} (CPU EP)");

// ONNX Runtime: all graph optimisations, intra-op threads = cores, one inter-op thread.
using var options = new SessionOptions
{
    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    IntraOpNumThreads = threads,
    InterOpNumThreads = 1,
    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
};
using var session = new InferenceSession(model, options);
var input = new DenseTensor<float>(pixels, [1, 3, s, s]);
var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("pixel_values", input) };
void Ort()
{
    using var r = session.Run(inputs);
}

// The engine: host backend, the same random weights family (EomtRandomWeights seed 1 = make_weights(seed=1)).
using var device = ComputeDevice.Create(DeviceKind.Cpu);
using var weights = new EomtRandomWeights(cfg, 1);
using var engine = EomtModel.Load(device, weights);
using var tPixels = Tensor.FromHost(device, new Shape(1, 3, s, s), pixels);
using var map = Tensor.Empty(device, new Shape(1, cfg.Classes, s, s));
void Engine()
{
    engine.SemanticMap(engine.Forward(tPixels), map);
    device.Synchronize();
}

if (args.Contains("--ort-only"))
{
    Ort();
    var alone = Enumerable.Range(0, iterations).Select(_ => Time(Ort, out double _)).ToList();
    Console.WriteLine($"ONNX Runtime alone: {Median(alone):F0} ms (median of {iterations}), {gflop / (Median(alone) / 1000):F1} GFLOP/s");
    return 0;
}

// Warm-up (graph optimisation, JIT, kernel compilation for any simulator fallback), then alternate the two. The warm-up
// outputs are compared: both sides run the same weights, so the semantic maps must agree to float32 rounding.
float[] ortMap;
using (var r = session.Run(inputs)) ortMap = r.First().AsTensor<float>().ToArray();
Engine();
var ourMap = map.ToHostFloat();
double maxDiff = 0;
for (int i = 0; i < ortMap.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(ortMap[i] - ourMap[i]));
Console.WriteLine($"semantic maps, engine vs ORT: max |Δ| {maxDiff:E2} over {ortMap.Length} values (scores in [0, 1])");
// Wall time, and the process's CPU time per run: on a machine shared with other jobs the second is the steadier
// measure of work done (it counts ORT's spinning intra-op threads against it, and ours against us).
var ort = new List<double>();
var ours = new List<double>();
var ortCpu = new List<double>();
var oursCpu = new List<double>();
for (int i = 0; i < iterations; i++)
{
    ort.Add(Time(Ort, out double c1));
    ortCpu.Add(c1);
    ours.Add(Time(Engine, out double c2));
    oursCpu.Add(c2);
    Console.Error.WriteLine($"ort-anchor: round {i + 1}: ORT {ort[^1]:F0} ms ({c1:F0} CPU-ms), engine {ours[^1]:F0} ms ({c2:F0} CPU-ms), ratio {ours[^1] / ort[^1]:F2}× wall; load {Load()}");
}
double o = Median(ort), e = Median(ours), oc = Median(ortCpu), ec = Median(oursCpu);
Console.WriteLine();
Console.WriteLine($"| runtime | wall ms min | wall ms median of {iterations} | GFLOP/s (min) | CPU-ms min | CPU-ms median |");
Console.WriteLine("|---|---|---|---|---|---|");
Console.WriteLine($"| ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {threads} threads | {ort.Min():F0} | {o:F0} | {gflop / (ort.Min() / 1000):F1} | {ortCpu.Min():F0} | {oc:F0} |");
Console.WriteLine($"| NativeEngine --device cpu | {ours.Min():F0} | {e:F0} | {gflop / (ours.Min() / 1000):F1} | {oursCpu.Min():F0} | {ec:F0} |");
Console.WriteLine();
Console.WriteLine($"ratio engine / ORT: {ours.Min() / ort.Min():F2}× wall (min), {e / o:F2}× wall (median), {ec / oc:F2}× CPU time (median) (target ≤ 1.0)");
return 0;

static double Time(Action a, out double cpuMs)
{
    double cpu = Environment.CpuUsage.TotalTime.TotalMilliseconds;
    var sw = Stopwatch.StartNew();
    a();
    cpuMs = Environment.CpuUsage.TotalTime.TotalMilliseconds - cpu;
    return sw.Elapsed.TotalMilliseconds;
}

static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

static double Median(List<double> v)
{
    var a = v.Order().ToArray();
    return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
}

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
