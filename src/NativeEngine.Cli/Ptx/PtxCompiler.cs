using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using KernelSpecialization = ILGPU.Runtime.KernelSpecialization;
using ILGPU.Runtime.Cuda;
using NativeEngine.Kernels;

namespace NativeEngine.Cli.Ptx;

/// <summary>
/// Compiles catalogued kernels to PTX without a GPU: ILGPU's PTX backend only needs a context for its IR, so a
/// context with just the CPU device (configured by <see cref="Runtime.ComputeDevice.ConfigureContext"/>, as every device is) is
/// enough. PTX ISA 7.8 is the newest that ptxas 11.8 (Debian 12) accepts.
/// </summary>
public sealed class PtxCompiler : IDisposable
{
    private readonly Context context = Context.Create(b => Runtime.ComputeDevice.ConfigureContext(b));

    private readonly Dictionary<CudaArchitecture, PTXBackend> backends = new();

    /// <summary>Parses "sm_80" (or "80", "8.0") into an architecture.</summary>
    public static CudaArchitecture ParseArch(string text)
    {
        var t = text.Trim().ToLowerInvariant().Replace("sm_", "").Replace(".", "");
        if (t.Length < 2 || !int.TryParse(t, out _))
            throw new ArgumentException($"unknown CUDA architecture '{text}': use e.g. sm_80 or sm_90");
        return new CudaArchitecture(int.Parse(t[..^1]), t[^1] - '0');
    }

    /// <summary>"sm_80" for SM 8.0.</summary>
    public static string ArchName(CudaArchitecture arch) => $"sm_{arch.Major}{arch.Minor}";

    /// <summary>The PTX text of one kernel for one architecture.</summary>
    public string Compile(KernelInfo kernel, CudaArchitecture arch)
    {
        if (!backends.TryGetValue(arch, out var backend))
        {
            backend = new PTXBackend(context, new CudaCapabilityContext(arch), arch, CudaInstructionSet.ISA_78, null);
            backends[arch] = backend;
        }
        var entry = kernel.IsExplicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization));
        return compiled.PTXAssembly;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var b in backends.Values) b.Dispose();
        context.Dispose();
    }
}
