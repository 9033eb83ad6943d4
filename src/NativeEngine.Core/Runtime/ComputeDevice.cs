using NativeEngine.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace NativeEngine.Runtime;

/// <summary>Which accelerator a <see cref="ComputeDevice"/> runs kernels on.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when an NVIDIA GPU is present, the CPU accelerator otherwise.</summary>
    Auto,
    /// <summary>ILGPU's CPU accelerator (a GPU simulator: correct, slow, available everywhere).</summary>
    Cpu,
    /// <summary>The first CUDA device; fails when none exists.</summary>
    Cuda,
}

/// <summary>
/// Owns the ILGPU context, one accelerator, the per-accelerator kernel cache and the tensor pool.
/// Create one per process (or per GPU) and dispose it last.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    /// <summary>Environment variable that overrides <see cref="DeviceKind.Auto"/>: cpu, cuda or auto.</summary>
    public const string EnvironmentVariable = "NATIVEENGINE_DEVICE";

    private readonly Context context;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceKind kind)
    {
        this.context = context;
        Accelerator = accelerator;
        Kind = kind;
        Kernels = new KernelCache(accelerator);
        Pool = new TensorPool(accelerator);
    }

    /// <summary>The accelerator kernels are launched on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Cpu or Cuda: what was actually chosen (never Auto).</summary>
    public DeviceKind Kind { get; }

    /// <summary>True on ILGPU's CPU accelerator, where the simple (implicitly grouped) kernel versions are chosen.</summary>
    public bool IsCpu => Kind == DeviceKind.Cpu;

    /// <summary>Loaded kernels, one per (method, accelerator), loaded on first use.</summary>
    public KernelCache Kernels { get; }

    /// <summary>The caching allocator behind every tensor of this device.</summary>
    public TensorPool Pool { get; }

    /// <summary>A one-line human description: kind, name, memory.</summary>
    public string Description => Kind == DeviceKind.Cuda
        ? $"cuda: {Accelerator.Name} ({Accelerator.MemorySize / (1 << 20)} MiB, {Accelerator.NumMultiprocessors} SMs)"
        : $"cpu: ILGPU CPU accelerator ({Accelerator.NumMultiprocessors} multiprocessors x {Accelerator.MaxNumThreadsPerGroup} threads, warp {Accelerator.WarpSize})";

    /// <summary>Parses "auto", "cpu" or "cuda" (case-insensitive).</summary>
    public static DeviceKind ParseKind(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => DeviceKind.Auto,
        "cpu" => DeviceKind.Cpu,
        "cuda" or "gpu" => DeviceKind.Cuda,
        _ => throw new ArgumentException($"unknown device '{text}': use auto, cpu or cuda"),
    };

    /// <summary>
    /// Creates a device. <paramref name="kind"/> Auto defers to the NATIVEENGINE_DEVICE variable, then picks CUDA
    /// when a CUDA device exists and the CPU accelerator otherwise.
    /// </summary>
    public static ComputeDevice Create(DeviceKind kind = DeviceKind.Auto)
    {
        if (kind == DeviceKind.Auto)
            kind = ParseKind(Environment.GetEnvironmentVariable(EnvironmentVariable));

        var context = Context.Create(b =>
        {
            ConfigureContext(b, Math.Max(1, Environment.ProcessorCount));
            if (kind != DeviceKind.Cpu) b.Cuda();
        });
        try
        {
            var cudaDevices = context.GetCudaDevices();
            if (kind == DeviceKind.Cuda && cudaDevices.Count == 0)
                throw new InvalidOperationException(
                    "--device cuda was requested but no CUDA device was found: check the NVIDIA driver (nvidia-smi), or use --device cpu");
            if (kind != DeviceKind.Cpu && cudaDevices.Count > 0)
                return new ComputeDevice(context, cudaDevices[0].CreateAccelerator(context), DeviceKind.Cuda);
            return new ComputeDevice(context, context.CreateCPUAccelerator(0), DeviceKind.Cpu);
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
    public void Synchronize() => Accelerator.Synchronize();

    /// <inheritdoc/>
    public void Dispose()
    {
        Pool.Dispose();
        Kernels.Dispose();
        Accelerator.Dispose();
        context.Dispose();
    }
}
