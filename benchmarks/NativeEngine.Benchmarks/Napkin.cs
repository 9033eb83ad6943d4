using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace NativeEngine.Benchmarks;

/// <summary>A benchmark parameter that knows the napkin math of one launch.</summary>
public interface IWork
{
    /// <summary>Floating-point operations (FMA = 2).</summary>
    double Flops { get; }

    /// <summary>Minimum bytes to and from device memory (each input read once, each output written once).</summary>
    double Bytes { get; }
}

/// <summary>GFLOP/s or GB/s from the mean time and the case's <see cref="IWork"/> parameter.</summary>
public sealed class RateColumn(string name, Func<IWork, double> amount) : IColumn
{
    /// <inheritdoc/>
    public string Id => "NativeEngine." + name;
    /// <inheritdoc/>
    public string ColumnName => name;
    /// <inheritdoc/>
    public bool AlwaysShow => true;
    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;
    /// <inheritdoc/>
    public int PriorityInCategory => 0;
    /// <inheritdoc/>
    public bool IsNumeric => true;
    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;
    /// <inheritdoc/>
    public string Legend => name == "GFLOP/s" ? "10^9 floating-point operations per second (FMA = 2)" : "10^9 bytes per second of minimum device-memory traffic";
    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var work = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<IWork>().FirstOrDefault();
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (work is null || mean is null or <= 0) return "-";
        double rate = amount(work) / mean.Value; // per ns = G per s
        return rate.ToString(rate >= 100 ? "0" : rate >= 1 ? "0.00" : "0.0000");
    }
}

/// <summary>The device the numbers were taken on: never compare rows from different devices.</summary>
public sealed class DeviceColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => "NativeEngine.Device";
    /// <inheritdoc/>
    public string ColumnName => "Device";
    /// <inheritdoc/>
    public bool AlwaysShow => true;
    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;
    /// <inheritdoc/>
    public int PriorityInCategory => -1;
    /// <inheritdoc/>
    public bool IsNumeric => false;
    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;
    /// <inheritdoc/>
    public string Legend => "the ILGPU accelerator (NATIVEENGINE_DEVICE)";
    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => BenchDevice.Slug;
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => BenchDevice.Slug;
}

/// <summary>
/// In-process runs (the device and its compiled kernels live in this process), GFLOP/s and GB/s columns, and a
/// short job on the CPU simulator where one GEMM launch takes about a second.
/// </summary>
public sealed class NapkinConfig : ManualConfig
{
    /// <summary>Builds the config.</summary>
    public NapkinConfig()
    {
        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
        if (BenchDevice.IsCpu) job = job.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1).WithUnrollFactor(1).WithInvocationCount(1);
        AddJob(job);
        AddColumn(new DeviceColumn(), new RateColumn("GFLOP/s", w => w.Flops), new RateColumn("GB/s", w => w.Bytes));
    }
}
