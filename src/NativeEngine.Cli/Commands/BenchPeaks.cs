namespace NativeEngine.Cli.Commands;

/// <summary>A device's published peaks, for the "% of peak" napkin math beside every timing.</summary>
/// <param name="Name">What the peak numbers describe (the SKU).</param>
/// <param name="Fp32TeraFlops">FP32 CUDA-core (FFMA) peak, TFLOP/s.</param>
/// <param name="TeraBytesPerSecond">DRAM bandwidth, TB/s.</param>
/// <param name="Tf32TeraFlops">Dense TF32 tensor-core peak, TFLOP/s (0: unknown).</param>
/// <param name="HalfTeraFlops">Dense BF16/FP16 tensor-core peak with float32 accumulation, TFLOP/s (0: unknown).</param>
public sealed record DevicePeak(string Name, double Fp32TeraFlops, double TeraBytesPerSecond, double Tf32TeraFlops = 0, double HalfTeraFlops = 0)
{
    /// <summary>The compute peak a kernel is measured against: "fp32" (CUDA cores), "tf32" or "half" (tensor cores).</summary>
    public double TeraFlops(string kind) => kind switch
    {
        "tf32" => Tf32TeraFlops,
        "half" => HalfTeraFlops,
        _ => Fp32TeraFlops,
    };
}

/// <summary>
/// Peaks by device name. H100 rows: /work/shared/specs/perf.md §2.1 (NVIDIA's tables). H200 and A100: NVIDIA's data
/// sheets (H200 SXM: 67 TFLOP/s FP32, 4.8 TB/s HBM3e; A100 80GB SXM: 19.5 TFLOP/s, 2.04 TB/s; A100 40GB: 1.56 TB/s).
/// Dense tensor-core peaks (no sparsity): H100/H200 SXM 494.7 TF32 and 989.4 BF16/FP16; H100 PCIe 378 and 756; H100 NVL
/// 418 and 835; A100 156 and 312 (NVIDIA data sheets; perf.md §2.1 for H100).
/// Name the SKU with every timing: "H100 80GB HBM3" is the SXM part, "H100 PCIe" the PCIe one.
/// </summary>
public static class BenchPeaks
{
    private static readonly (string Match, DevicePeak Peak)[] Known =
    [
        ("H100 PCIe", new("H100 PCIe", 51.0, 2.0, 378, 756)),
        ("H100 NVL", new("H100 NVL", 60.0, 3.9, 418, 835)),
        ("H100", new("H100 SXM5 80GB", 66.9, 3.35, 494.7, 989.4)),
        ("H200", new("H200 SXM 141GB", 66.9, 4.8, 494.7, 989.4)),
        ("A100-SXM4-80GB", new("A100 SXM4 80GB", 19.5, 2.04, 156, 312)),
        ("A100 80GB PCIe", new("A100 PCIe 80GB", 19.5, 1.94, 156, 312)),
        ("A100", new("A100 40GB", 19.5, 1.56, 156, 312)),
    ];

    /// <summary>The peak for an accelerator name (e.g. "NVIDIA H100 80GB HBM3"), or null when unknown.</summary>
    public static DevicePeak? For(string acceleratorName) =>
        Known.Where(k => acceleratorName.Contains(k.Match, StringComparison.OrdinalIgnoreCase)).Select(k => k.Peak).FirstOrDefault();
}
