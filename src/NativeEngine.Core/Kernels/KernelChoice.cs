namespace NativeEngine.Kernels;

/// <summary>
/// Which version of an op to run. Auto picks the simple version on the CPU accelerator (a simulator where barriers
/// cost OS-level synchronisation) and the tiled GPU version on CUDA; tests and benchmarks force each one.
/// </summary>
public enum KernelChoice
{
    /// <summary>By device: Simple on the CPU accelerator, Tiled on CUDA.</summary>
    Auto,
    /// <summary>The implicitly grouped, plain version (v1).</summary>
    Simple,
    /// <summary>The explicitly grouped GPU version (shared memory, warps).</summary>
    Tiled,
}

/// <summary>Resolves <see cref="KernelChoice.Auto"/>.</summary>
public static class KernelChoices
{
    /// <summary>True when the tiled version should run.</summary>
    public static bool UseTiled(this KernelChoice choice, Runtime.ComputeDevice device) =>
        choice == KernelChoice.Tiled || (choice == KernelChoice.Auto && !device.HasHostMemory);
}
