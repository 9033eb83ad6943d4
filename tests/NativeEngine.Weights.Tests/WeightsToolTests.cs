using System.Text.Json.Nodes;
using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.WeightsTool;

namespace NativeEngine.Weights.Tests;

public class WeightsToolTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = WeightsToolApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void TheToolAndItsLibraryNeedNeitherCoreNorIlgpu()
    {
        // Issue 9: weights-tools shares only the dtype enum with the engine (NativeEngine.DTypes, a leaf assembly).
        foreach (var assembly in new[] { typeof(WeightsToolApp).Assembly, typeof(SafeTensorsFile).Assembly, typeof(Tensors.DType).Assembly })
        {
            var names = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
            Assert.DoesNotContain(names, n => n.StartsWith("ILGPU", StringComparison.Ordinal) || n == "NativeEngine.Core");
        }
        Assert.Equal("NativeEngine.DTypes", typeof(Tensors.DType).Assembly.GetName().Name);
    }

    [Fact]
    public void InspectJsonReportsTheArchitecture()
    {
        var (code, stdout, stderr) = Run("inspect", Fixtures.Path("weights/tiny_hf"), "--json");
        Assert.True(code == 0, stderr);
        var j = JsonNode.Parse(stdout)!;
        Assert.Equal("hugging face", (string?)j["naming"]);
        Assert.Equal(16, (int)j["architecture"]!["hidden_size"]!);
        Assert.Equal(2, (int)j["architecture"]!["num_attention_heads"]!);
        Assert.Equal("gelu", (string?)j["architecture"]!["mlp"]);
        Assert.Equal(81, j["tensors"]!.AsArray().Count);
    }

    [Fact]
    public void InspectTextShowsTheTable()
    {
        var (code, stdout, _) = Run("inspect", Fixtures.Path("weights/tiny_lightning.ckpt"));
        Assert.Equal(0, code);
        Assert.Contains("Lightning", stdout);
        Assert.Contains("anomaly head: Plain", stdout);
        Assert.Contains("network.encoder.backbone.blocks.0.attn.qkv.weight", stdout);
    }

    public static TheoryData<string> AllRefused => new()
    {
        "hostile_os_system.pth", "hostile_raw_pickle.bin", "hostile_eval.pth", "hostile_reduce_string.pth", "hostile_inst_opcode.pth",
        "broken_short_storage.pth", "hostile_view_past_storage.pth", "hostile_deflated_storage.pth", "broken_truncated.pth", "legacy_format.pth", "torchscript.pt",
        "broken_offsets_past_end.safetensors", "broken_wrong_dtype_length.safetensors", "broken_overlapping.safetensors",
        "broken_unknown_dtype.safetensors", "broken_huge_header.safetensors", "broken_header_past_end.safetensors", "broken_not_json.safetensors",
    };

    [Theory]
    [MemberData(nameof(AllRefused))]
    public void EveryHostileOrBrokenFileExitsNonZeroWithOneLine(string file)
    {
        var path = Fixtures.Path("weights/" + file);
        foreach (var args in new[] { new[] { "inspect", path }, ["inspect", "--json", path], ["convert", path, Path.Combine(Path.GetTempPath(), "never-written.safetensors")] })
        {
            var (code, stdout, stderr) = Run(args);
            Assert.NotEqual(0, code);
            Assert.Equal("", stdout);
            var lines = stderr.TrimEnd().Split('\n');
            Assert.Single(lines);
            Assert.StartsWith("weights-tools: error: " + path, lines[0]);
        }
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "never-written.safetensors")));
    }

    [Fact]
    public void UsageErrorsExitNonZero()
    {
        Assert.Equal(2, Run("convert", "a", "b.safetensors", "--dtype", "q8").Code);
        Assert.NotEqual(0, Run("inspect", "/nonexistent/file.pth").Code);
        Assert.NotEqual(0, Run("convert", Fixtures.Path("weights/tiny_hf"), "/tmp/out.bin").Code);
    }

    [Theory]
    [InlineData("tiny_lightning.ckpt", null, "reference_f32.safetensors")]
    [InlineData("tiny_original_bf16.pt", null, "reference_bf16.safetensors")]
    [InlineData("tiny_hf", "bf16", "reference_bf16.safetensors")]
    [InlineData("tiny_original_f16.bin", "f16", "reference_f16.safetensors")]
    public void ConvertWritesCanonicalNamesBitForBit(string input, string? dtype, string reference)
    {
        var dir = Directory.CreateTempSubdirectory("wt-convert").FullName;
        try
        {
            var outPath = Path.Combine(dir, "out.safetensors");
            var args = new List<string> { "convert", Fixtures.Path("weights/" + input), outPath };
            if (dtype is not null) args.AddRange(["--dtype", dtype]);
            // The original files carry no config and C=16 is no published width: the head count comes from --config.
            if (input != "tiny_hf") args.AddRange(["--config", Fixtures.Path("weights/tiny_hf/config.json")]);
            var (code, _, stderr) = Run([.. args]);
            Assert.True(code == 0, stderr);
            Assert.Single(Directory.GetFiles(dir));   // no temporary file left behind
            using var ck = EomtCheckpoint.Load(outPath);
            Assert.Equal("hugging face", ck.Naming);
            Assert.Equal("safetensors metadata", ck.ConfigSource);
            Assert.Equal(EomtCheckpointTests.Tiny, ck.Config);
            EomtCheckpointTests.AssertMatchesReference(ck, reference, dtype?.ToUpperInvariant() ?? (input.Contains("bf16") ? "BF16" : input.Contains("f16") ? "F16" : "F32"));
            if (input.EndsWith(".ckpt", StringComparison.Ordinal))
            {
                AnomalyHeadTests.AssertMatchesReference(ck.AnomalyHead!, "plain");
                using var st = SafeTensorsFile.Open(outPath);
                Assert.Contains("anomaly_head.mlp.0.weight", st.Tensors.Keys);
                Assert.Equal(64, st.Metadata["eomt.source_sha256"].Length);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // Issue 12, defect 5: convert baked a guessed head count (C/64 = 1; the model has 2) into the output as if declared.
    [Fact]
    public void ConvertRefusesToBakeInAGuessedArchitecture()
    {
        var dir = Directory.CreateTempSubdirectory("wt-convert").FullName;
        try
        {
            var outPath = Path.Combine(dir, "out.safetensors");
            var (code, _, stderr) = Run("convert", Fixtures.Path("weights/tiny_original.pth"), outPath);
            Assert.Equal(1, code);
            Assert.Contains("num_attention_heads", stderr);
            Assert.Contains("--config config.json", stderr);
            Assert.False(File.Exists(outPath));
            (code, _, stderr) = Run("convert", Fixtures.Path("weights/tiny_original.pth"), outPath, "--config", Path.Combine(dir, "missing.json"));
            Assert.Equal(1, code);
            Assert.Contains("--config", stderr);
            Assert.Contains("no such file", stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
