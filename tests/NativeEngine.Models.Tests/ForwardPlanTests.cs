using NativeEngine.Models.Anomaly;
using NativeEngine.Models.Eomt;
using NativeEngine.Models.Imaging;
using NativeEngine.Models.Pipeline;
using NativeEngine.Runtime;
using NativeEngine.Tensors;
using Xunit.Abstractions;

namespace NativeEngine.Tests;

/// <summary>
/// The forward plan (issue 11 item 4), checked with the device's counters: after one warm-up, a forward — and a window
/// of the scoring pipeline (normalise, forward, semantic map, statistics, patch features, hybrid head, stitching) —
/// allocates nothing (no device buffer, no tensor from the pool) and never makes the host wait for the device; the
/// final map read is the one host sync. On the host backend and on the simulator (the CUDA kernels, with their
/// temporaries: the masked-attention byte mask, the class probabilities), each on a device of its own.
/// </summary>
[Collection(DeviceCollection.Name)]
public class ForwardPlanTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(DeviceKind.Cpu, "tiny")]
    [InlineData(DeviceKind.Cpu, "tiny_masked")]
    [InlineData(DeviceKind.Sim, "tiny_masked")]
    public void SecondForwardAllocatesAndSyncsNothing(DeviceKind kind, string fixture)
    {
        using var device = ComputeDevice.Create(kind);
        using var model = EomtModel.Load(device, Fixtures.Path("eomt/" + fixture));
        int s = model.Config.ImageSize, k = model.Config.Classes;
        using var pixels = RandomPixels(device, 2, s);
        using var map = Tensor.Empty(device, new Shape(2, k, s, s));
        void Once(Tensor x, Tensor m) => model.SemanticMap(model.Forward(x), m);

        var warm = Measure(device, () => Once(pixels, map));
        output.WriteLine($"{kind} {fixture} warm-up forward + semantic map: {warm}");
        Assert.True(warm.Allocations > 0, "the warm-up plans the arena: it must allocate");

        var steady = Measure(device, () => Once(pixels, map));
        output.WriteLine($"{kind} {fixture} second forward + semantic map: {steady}");
        AssertNothing(steady, "second forward");

        // A shorter batch (a pipeline's last windows) uses leading views of the same arena.
        var shorter = Measure(device, () => Once(pixels.Slice(0, 1), map.Slice(0, 1)));
        output.WriteLine($"{kind} {fixture} batch 1 after batch 2: {shorter}");
        AssertNothing(shorter, "a smaller batch");

        var read = Measure(device, () => map.ToHostFloat());
        Assert.Equal(1, read.HostSyncs);
        Assert.Equal(1, read.Downloads);
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.Sim)]
    public void PipelineWindowAllocatesAndSyncsNothing(DeviceKind kind)
    {
        using var device = ComputeDevice.Create(kind);
        var model = EomtModel.Load(device, Fixtures.Path("eomt/tiny_masked"));
        var head = AnomalyHead.Create(new AnomalyHeadOptions(AnomalyHeadLayout.Hybrid, FeatureDim: model.Config.HiddenSize), seed: 3);
        using var pipeline = new ScoringPipeline(model, head, ownsModel: true) { MaxBatch = 1 };
        var rng = new Random(5);
        var pixels = new byte[40 * 110 * 3];
        rng.NextBytes(pixels);
        var image = new RgbImage(110, 40, pixels); // native protocol at S = 40: three windows along the width
        Assert.Equal(3, WindowPlan.For(image.Height, image.Width, model.Config.ImageSize, WindowProtocol.Native).Starts.Length);

        // Snapshots as each window's batch reaches the observer: between two of them lie the head and stitching of
        // one window and the normalisation, forward, semantic map, statistics and patch features of the next.
        var marks = new List<DeviceCounters>();
        var first = Measure(device, () => pipeline.Score(image, WindowProtocol.Native, observer: _ => marks.Add(device.Counters)).Dispose());
        output.WriteLine($"{kind} first image (warm-up): {first}");
        Assert.Equal(3, marks.Count);
        for (int w = 2; w < marks.Count; w++)
        {
            var window = marks[w] - marks[w - 1];
            output.WriteLine($"{kind} window {w + 1} (after window {w}'s head): {window}");
            AssertNothing(window, $"window {w + 1}");
        }

        // A second image of the same size: no device allocation at all, no download, no wait; its uploads are the
        // image and its window starts. Reading the final score map is the one sync. (Per-image code is the same on
        // every device: checked on the host backend only, to keep the simulator's share of the suite short.)
        if (kind == DeviceKind.Sim) return;
        ImageScores? scores = null;
        var second = Measure(device, () => scores = pipeline.Score(image, WindowProtocol.Native));
        using (scores)
        {
            output.WriteLine($"{kind} second image: {second}");
            Assert.Equal(0, second.Allocations);
            Assert.Equal(0, second.Synchronizations);
            Assert.Equal(0, second.Downloads);
            Assert.Equal(2, second.Uploads);
            var read = Measure(device, () => scores!.Score!.ToHostFloat());
            Assert.Equal(1, read.HostSyncs);
        }
    }

    /// <summary>
    /// The ViT block runs no pass of its own for GELU, LayerScale or the residual (they are the epilogues of fc1 and
    /// of out_proj/fc2) and each pre-norm LayerNorm is fused into the GEMM after it: counted from the recorded dispatches
    /// of one forward.
    /// </summary>
    [Fact]
    public void ViTBlockRunsOnlyFusedEpilogues()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var model = EomtModel.Load(device, Fixtures.Path("eomt/tiny"));
        using var pixels = RandomPixels(device, 1, model.Config.ImageSize);
        using var log = NativeEngine.Kernels.DispatchLog.Start();
        model.Forward(pixels);
        var ops = log.Entries.GroupBy(e => e.Op.Name).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(", ", ops.Select(kv => $"{kv.Key} {kv.Value}")));
        // norm1 → qkv and norm2 → fc1 are layernorm_linear (on the host the LayerNorm runs in the GEMM's A packing, so
        // no layer_norm pass is dispatched for them); the final norm is the only layer_norm.
        Assert.Equal(2 * model.Config.Layers, ops.GetValueOrDefault("layernorm_linear"));
        Assert.Equal(1, ops.GetValueOrDefault("layer_norm"));
        Assert.Equal(model.Config.UpscaleBlocks, ops.GetValueOrDefault("gelu_erf"));      // the upscale chain's only: none in a block
        foreach (var separate in new[] { "layer_scale_add", "add", "bias" })
            Assert.False(ops.ContainsKey(separate), $"the forward ran a separate '{separate}' pass");
    }

    private static DeviceCounters Measure(ComputeDevice device, Action work)
    {
        var before = device.Counters;
        work();
        return device.Counters - before;
    }

    private static void AssertNothing(DeviceCounters d, string what)
    {
        Assert.True(d.Allocations == 0, $"{what}: {d.Allocations} device allocations ({d.AllocatedBytes} B)");
        Assert.True(d.TensorAllocations == 0, $"{what}: {d.TensorAllocations} tensors from the pool ({d.TensorBytes} B): something allocates per op");
        Assert.True(d.HostSyncs == 0, $"{what}: {d.HostSyncs} host syncs ({d})");
    }

    private static Tensor RandomPixels(ComputeDevice device, int batch, int size)
    {
        var rng = new Random(11);
        var v = new float[batch * 3 * size * size];
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextSingle() * 4 - 2;
        return Tensor.FromHost(device, new Shape(batch, 3, size, size), v);
    }
}
