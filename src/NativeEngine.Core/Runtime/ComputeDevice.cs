using NativeEngine.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace NativeEngine.Runtime;

/// <summary>Which accelerator a <see cref="ComputeDevice"/> runs kernels on.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when an NVIDIA GPU is present, the host backend otherwise.</summary>
    Auto,
    /// <summary>
    /// The host backend: ops run as plain C# on the host (SIMD, all cores) over tensors in host memory. An op with no
    /// host version yet falls back to its CUDA kernel on the simulator, over the same memory (no copy).
    /// </summary>
    Cpu,
    /// <summary>
    /// ILGPU's CPU accelerator running the CUDA kernels: a simulator (one OS thread per GPU thread; correct, slow,
    /// available everywhere). How every GPU kernel is tested without a GPU, and how teaching steps through one.
    /// </summary>
    Sim,
    /// <summary>The first CUDA device; fails when none exists.</summary>
    Cuda,
}

/// <summary>
/// Owns the ILGPU context, one accelerator, the per-accelerator kernel cache and the tensor pool.
/// Create one per process (or per GPU) and dispose it last.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    /// <summary>Environment variable that overrides <see cref="DeviceKind.Auto"/>: auto, cpu, sim or cuda.</summary>
    public const string EnvironmentVariable = "NATIVEENGINE_DEVICE";

    private readonly Context context;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceKind kind)
    {
        this.context = context;
        Accelerator = accelerator;
        Kind = kind;
        Kernels = new KernelCache(accelerator);
        Pool = new TensorPool(accelerator);
        Scratch = new Workspace(this);
    }

    /// <summary>The accelerator kernels are launched on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Cpu, Sim or Cuda: what was actually chosen (never Auto).</summary>
    public DeviceKind Kind { get; }

    /// <summary>True for the host backend (<see cref="DeviceKind.Cpu"/>): ops with a host version run it.</summary>
    public bool IsHost => Kind == DeviceKind.Cpu;

    /// <summary>True for ILGPU's CPU accelerator running the CUDA kernels (<see cref="DeviceKind.Sim"/>).</summary>
    public bool IsSimulator => Kind == DeviceKind.Sim;

    /// <summary>
    /// True when tensors live in host memory (host backend and simulator: both sit on ILGPU's CPU accelerator), so
    /// host code can read and write them in place (<see cref="Tensor.HostSpan{T}"/>). Kernels that do run there are
    /// the simple (implicitly grouped) versions: barriers cost OS-level synchronisation on the simulator.
    /// </summary>
    public bool HasHostMemory => Kind != DeviceKind.Cuda;

    /// <summary>Loaded kernels, one per (method, accelerator), loaded on first use.</summary>
    public KernelCache Kernels { get; }

    /// <summary>The caching allocator behind every tensor of this device.</summary>
    public TensorPool Pool { get; }

    /// <summary>
    /// The pre-planned temporaries of kernels (a mask, class probabilities, GEMM taps), one kept buffer per purpose,
    /// so a steady-state op allocates nothing (see <see cref="Workspace"/>).
    /// </summary>
    public Workspace Scratch { get; }

    private long synchronizations, downloads, uploads;

    /// <summary>Allocations and host synchronisations so far (subtract two snapshots for an interval).</summary>
    public DeviceCounters Counters => new(Pool.Allocations, Pool.AllocatedBytes, Pool.Rents, Pool.RentedBytes,
        Interlocked.Read(ref synchronizations), Interlocked.Read(ref downloads), Interlocked.Read(ref uploads));

    // Called by Tensor's host transfers.
    internal void CountDownload() => Interlocked.Increment(ref downloads);

    internal void CountUpload() => Interlocked.Increment(ref uploads);

    /// <summary>A one-line human description: kind, name, memory.</summary>
    public string Description => Kind switch
    {
        DeviceKind.Cuda => $"cuda: {Accelerator.Name} ({Accelerator.MemorySize / (1 << 20)} MiB, {Accelerator.NumMultiprocessors} SMs)",
        DeviceKind.Cpu => $"cpu: host backend ({HostCpu.Description})",
        _ => $"sim: ILGPU CPU accelerator simulating CUDA ({Accelerator.NumMultiprocessors} multiprocessors x {Accelerator.MaxNumThreadsPerGroup} threads, warp {Accelerator.WarpSize})",
    };

    /// <summary>The values <see cref="ParseKind"/> accepts, for messages and help texts.</summary>
    public const string AcceptedKinds = "auto, cpu, sim or cuda";

    /// <summary>Parses "auto", "cpu", "sim" or "cuda" (case-insensitive).</summary>
    public static DeviceKind ParseKind(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => DeviceKind.Auto,
        "cpu" or "host" => DeviceKind.Cpu,
        "sim" or "simulator" => DeviceKind.Sim,
        "cuda" => DeviceKind.Cuda,
        _ => throw new ArgumentException(
            $"unknown device '{text}': use {AcceptedKinds} (cpu: the host backend; sim: ILGPU's simulator of the CUDA kernels; cuda: an NVIDIA GPU)"),
    };

    /// <summary>
    /// Creates a device. <paramref name="kind"/> Auto defers to the NATIVEENGINE_DEVICE variable, then picks CUDA
    /// when a CUDA device exists and the host backend otherwise.
    /// </summary>
    public static ComputeDevice Create(DeviceKind kind = DeviceKind.Auto)
    {
        if (kind == DeviceKind.Auto)
            kind = ParseKind(Environment.GetEnvironmentVariable(EnvironmentVariable));

        var context = Context.Create(b =>
        {
            ConfigureContext(b, Math.Max(1, Environment.ProcessorCount));
            if (kind is DeviceKind.Auto or DeviceKind.Cuda) b.Cuda();
        });
        try
        {
            var cudaDevices = context.GetCudaDevices();
            if (kind == DeviceKind.Cuda && cudaDevices.Count == 0)
                throw new InvalidOperationException(
                    "--device cuda was requested but no CUDA device was found: check the NVIDIA driver (nvidia-smi), or use --device cpu (the host backend)");
            if (kind is DeviceKind.Auto or DeviceKind.Cuda && cudaDevices.Count > 0)
                return new ComputeDevice(context, cudaDevices[0].CreateAccelerator(context), DeviceKind.Cuda);
            // Host backend and simulator share ILGPU's CPU accelerator: it owns the (host) memory of every tensor, and
            // on the host backend it runs the simulator kernels of ops that have no host version yet.
            return new ComputeDevice(context, context.CreateCPUAccelerator(0), kind == DeviceKind.Sim ? DeviceKind.Sim : DeviceKind.Cpu);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The context settings every kernel is compiled with, shared by devices and the offline PTX check so both see
    /// the same IR: the CUDA-like CPU device, ILGPU.Algorithms (XMath, warp reductions) and optimisation level O1.
    /// </summary>
    public static Context.Builder ConfigureContext(Context.Builder builder, int cpuMultiprocessors = 1) =>
        // Warp 32 and 256 threads per group make the CPU simulator accept the same launch shapes as a GPU, so warp-
        // and group-level code behaves identically (ILGPU's default CPU device has warp 4, 16 threads per group).
        builder.CPU(new CPUDevice(32, 8, cpuMultiprocessors)).EnableAlgorithms().Optimize(OptimizationLevel.O1);

    /// <summary>Waits for every launched kernel and copy to finish.</summary>
    public void Synchronize()
    {
        Interlocked.Increment(ref synchronizations);
        Accelerator.Synchronize();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Scratch.Dispose();
        Pool.Dispose();
        Kernels.Dispose();
        Accelerator.Dispose();
        context.Dispose();
    }
}
