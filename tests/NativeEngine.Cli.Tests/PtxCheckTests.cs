using NativeEngine.Cli.Ptx;
using NativeEngine.Kernels;
using Xunit.Abstractions;

namespace NativeEngine.Cli.Tests;

/// <summary>
/// The offline CUDA check: every catalogued kernel compiles to PTX and assembles with ptxas for sm_80 and sm_90 with
/// no spills. Needs ptxas from .ci/fetch-ptxas.sh: without it the tests report "not run" and pass, except under
/// CI=true, where a missing ptxas fails.
/// </summary>
public sealed class PtxCheckTests(ITestOutputHelper output) : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("nativeengine-ptx-test-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    /// <summary>ptxas, or null after reporting "not run" (outside CI).</summary>
    private string? PtxasOrNotRun()
    {
        var ptxas = Ptxas.Find();
        if (ptxas is not null) return ptxas;
        var message = "not run: ptxas not found, run .ci/fetch-ptxas.sh";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail(message + " (CI=true: the PTX check is required)");
        output.WriteLine(message);
        Console.WriteLine($"{nameof(PtxCheckTests)}: {message}");
        return null;
    }

    [Fact]
    public void EveryCatalogueKernelAssemblesForSm80AndSm90WithoutSpills()
    {
        if (PtxasOrNotRun() is not { } ptxas) return;
        var rows = PtxCheck.Run(ptxas, PtxCheck.DefaultArchs, work);
        output.WriteLine(PtxCheck.Format(rows));
        Assert.Equal(KernelCatalog.All.Count * 2, rows.Count);
        foreach (var arch in new[] { "sm_80", "sm_90" })
            Assert.Equal(KernelCatalog.All.Select(k => k.Name).Order(), rows.Where(r => r.Arch == arch).Select(r => r.Kernel).Order());
        Assert.Null(PtxCheck.FailureReason(rows));
        Assert.All(rows, r => Assert.StartsWith("7.8/sm_", r.Ptx));
    }

    [Fact]
    public void TensorCoreKernelsRunOnHmmaWithNoLocalMemory()
    {
        if (PtxasOrNotRun() is not { } ptxas) return;
        var kernels = PtxCheck.Select(["Gemm.MatmulV3", "Attention.ForwardV3"]);
        var rows = PtxCheck.Run(ptxas, PtxCheck.DefaultArchs, work, kernels);
        output.WriteLine(PtxCheck.Format(rows));
        Assert.Equal(4, rows.Count);
        foreach (var r in rows)
        {
            Assert.Null(r.Error);
            Assert.True(r.TensorCore != 0, $"{r.Kernel} {r.Arch}: expected HMMA in the SASS, got {r.TensorCore}");
            Assert.Equal(0, r.SpillBytes);
            Assert.Equal(0, r.StackBytes); // asm operands through local memory would show up here
            Assert.True(r.SharedBytes <= 48 * 1024, $"{r.Kernel}: {r.SharedBytes} B static shared memory exceeds 48 KB");
            Assert.NotNull(r.Occupancy);
            Assert.True(r.Occupancy!.GroupsPerSm >= 1);
        }
    }

    [Fact]
    public void OccupancyFollowsTheRegisterSharedMemoryAndThreadLimits()
    {
        // 256 threads at 128 registers: 32 K registers per group, 2 groups in 64 K (the register limit), 16 of 64 warps.
        Assert.Equal(new Occupancy(2, 16, 64, "registers"), Occupancy.Compute(9, 0, 256, 128, 32 * 1024));
        // 40 KB + 1 KB reserved per group: 4 groups in sm_80's 164 KB, 5 in sm_90's 228 KB (smem), at 64 registers.
        Assert.Equal("smem", Occupancy.Compute(8, 0, 128, 64, 40 * 1024).Limit);
        Assert.Equal(4, Occupancy.Compute(8, 0, 128, 64, 40 * 1024).GroupsPerSm);
        Assert.Equal(5, Occupancy.Compute(9, 0, 128, 64, 40 * 1024).GroupsPerSm);
        // 1024 threads at 32 registers: the 2048-thread limit allows 2 groups (100 %).
        Assert.Equal(new Occupancy(2, 64, 64, "threads"), Occupancy.Compute(8, 0, 1024, 32, 0));
    }

    [Fact]
    public void HandWrittenMmaShowsUpAsHmma()
    {
        if (PtxasOrNotRun() is not { } ptxas) return;
        var file = Path.Combine(work, "mma.ptx");
        File.WriteAllText(file, MmaPtx);
        var r = Ptxas.Assemble(ptxas, file, "sm_80");
        Assert.True(r.TensorCoreInstructions > 0, $"expected HMMA in the SASS of an mma.sync kernel, got {r.TensorCoreInstructions}");
        Assert.Equal(0, r.SpillBytes);
    }

    [Fact]
    public void BrokenPtxFailsWithPtxasReason()
    {
        if (PtxasOrNotRun() is not { } ptxas) return;
        var file = Path.Combine(work, "broken.ptx");
        File.WriteAllText(file, ".version 7.8\n.target sm_80\n.address_size 64\n.visible .entry k() { not_an_instruction; ret; }\n");
        var e = Assert.Throws<PtxasException>(() => Ptxas.Assemble(ptxas, file, "sm_90"));
        Assert.Contains("error", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ParsesRegistersSpillsSharedMemoryAndStack()
    {
        const string text = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Function properties for helper
                8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads
            ptxas info    : Compiling entry function 'Kernel_GemmV2' for 'sm_90'
            ptxas info    : Function properties for Kernel_GemmV2
                24 bytes stack frame, 16 bytes spill stores, 12 bytes spill loads
            ptxas info    : Used 128 registers, 8192 bytes smem, 380 bytes cmem[0]
            """;
        var r = Ptxas.Parse(text);
        Assert.Equal(new PtxasReport(128, 20, 16, 8192, 24, -1), r);
        Assert.Equal(36, r.SpillBytes);
    }

    [Fact]
    public void ParsesArchitectureNames()
    {
        Assert.Equal("sm_90", PtxCompiler.ArchName(PtxCompiler.ParseArch("sm_90")));
        Assert.Equal("sm_86", PtxCompiler.ArchName(PtxCompiler.ParseArch("8.6")));
        Assert.Throws<ArgumentException>(() => PtxCompiler.ParseArch("hopper"));
    }

    // One m16n8k16 fp16 MMA per warp, operands loaded from global memory so nothing folds away.
    private const string MmaPtx = """
        .version 7.8
        .target sm_80
        .address_size 64
        .visible .entry mma_probe(.param .u64 src, .param .u64 dst)
        {
            .reg .b32 a<4>, b<2>;
            .reg .f32 c<4>;
            .reg .u64 ps, pd;
            ld.param.u64 ps, [src];
            ld.param.u64 pd, [dst];
            cvta.to.global.u64 ps, ps;
            cvta.to.global.u64 pd, pd;
            ld.global.b32 a0, [ps];
            ld.global.b32 a1, [ps+4];
            ld.global.b32 a2, [ps+8];
            ld.global.b32 a3, [ps+12];
            ld.global.b32 b0, [ps+16];
            ld.global.b32 b1, [ps+20];
            ld.global.f32 c0, [ps+24];
            ld.global.f32 c1, [ps+28];
            ld.global.f32 c2, [ps+32];
            ld.global.f32 c3, [ps+36];
            mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {c0, c1, c2, c3}, {a0, a1, a2, a3}, {b0, b1}, {c0, c1, c2, c3};
            st.global.f32 [pd], c0;
            st.global.f32 [pd+4], c1;
            st.global.f32 [pd+8], c2;
            st.global.f32 [pd+12], c3;
            ret;
        }
        """;
}
