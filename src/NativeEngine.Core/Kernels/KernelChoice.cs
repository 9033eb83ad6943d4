namespace NativeEngine.Kernels;

/// <summary>
/// Legacy: the two-valued choice the op table replaces. Nothing in this tree takes it any more (entry points take an
/// <see cref="OpVersion"/>, picked by <see cref="Op{TArgs}.Run"/>); it stays only so branches written against it
/// (HOST.md's <c>choice.UseHost(device)</c> line) still merge, and goes once they are folded into the table.
/// </summary>
public enum KernelChoice
{
    /// <summary>By device: Simple on the CPU accelerator, Tiled on CUDA.</summary>
    Auto,
    /// <summary>The implicitly grouped, plain version (v1).</summary>
    Simple,
    /// <summary>The explicitly grouped GPU version (shared memory, warps).</summary>
    Tiled,
    /// <summary>The host version: plain C# (SIMD, all cores) over host-memory tensors; needs the host backend or the
    /// simulator (tensors in host memory). Auto picks it on the host backend when the op has one.</summary>
    Host,
}

/// <summary>Resolves <see cref="KernelChoice.Auto"/>.</summary>
public static class KernelChoices
{
    /// <summary>True when the host version should run (asked for, or Auto on the host backend).</summary>
    public static bool UseHost(this KernelChoice choice, Runtime.ComputeDevice device) =>
        choice == KernelChoice.Host || (choice == KernelChoice.Auto && device.IsHost);

    /// <summary>True when the tiled version should run.</summary>
    public static bool UseTiled(this KernelChoice choice, Runtime.ComputeDevice device) =>
        choice == KernelChoice.Tiled || (choice == KernelChoice.Auto && !device.HasHostMemory);
}
