using NativeEngine.Tensors;
using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Weights.Tests;

public class EomtCheckpointTests
{
    internal static readonly EomtConfig Tiny = new(HiddenSize: 16, Layers: 3, Heads: 2, PatchSize: 4, RegisterTokens: 4, Queries: 5,
        Classes: 3, ImageSize: 16, QueryBlocks: 2, UpscaleBlocks: 2, SwiGlu: false, MlpHidden: 64);

    /// <summary>Every canonical tensor of <paramref name="ck"/> equals the generator's reference bit for bit.</summary>
    internal static void AssertMatchesReference(EomtCheckpoint ck, string reference, string expectedDType)
    {
        using var refFile = SafeTensorsFile.Open(Fixtures.Path("weights/" + reference));
        Assert.Equal(refFile.Tensors.Keys.Order(), ck.Names.Order());
        foreach (var name in ck.Names)
        {
            Assert.Equal(refFile.Get(name).Shape, ck.Shape(name));
            Bits.AssertSame(refFile.ReadFloat32(name), ck.ReadFloat32(name), $"{ck.Path} {name}");
            if (name != EomtLayout.AttnMaskProbs) Assert.Equal(expectedDType, ck.SourceDType(name).SafeTensorsName());
        }
    }

    [Theory]
    [InlineData("tiny_hf", "reference_f32.safetensors", "F32")]
    [InlineData("tiny_hf_f16", "reference_f16.safetensors", "F16")]
    [InlineData("tiny_hf_bf16", "reference_bf16.safetensors", "BF16")]
    [InlineData("tiny_hf_sharded", "reference_f32.safetensors", "F32")]
    public void HuggingFaceFoldersRoundTripBitForBit(string folder, string reference, string dtype)
    {
        using var ck = EomtCheckpoint.Load(Fixtures.Path("weights/" + folder));
        Assert.Equal(Tiny, ck.Config);
        Assert.Equal("config.json", ck.ConfigSource);
        Assert.Equal("hugging face", ck.Naming);
        Assert.Null(ck.AnomalyHead);
        Assert.All(ck.AttnMaskProbs, p => Assert.Equal(0f, p));
        Assert.Equal(2, ck.AttnMaskProbs.Length);
        AssertMatchesReference(ck, reference, dtype);
    }

    [Fact]
    public void ASafetensorsFileUsesTheConfigBesideIt()
    {
        using var ck = EomtCheckpoint.Load(Fixtures.Path("weights/tiny_hf/model.safetensors"));
        Assert.Equal("config.json beside the file", ck.ConfigSource);
        Assert.Equal(Tiny, ck.Config);
    }

    [Fact]
    public void ALoneSafetensorsFileIsInferredFromShapes()
    {
        var dir = Directory.CreateTempSubdirectory("eomt-lone").FullName;
        try
        {
            var p = Path.Combine(dir, "weights.safetensors");
            File.Copy(Fixtures.Path("weights/tiny_hf/model.safetensors"), p);
            using var ck = EomtCheckpoint.Load(p);
            Assert.Equal("tensor shapes", ck.ConfigSource);
            // C=16 < 64: heads cannot come from shapes; the inference assumes head dim 64 and says so.
            Assert.Equal(Tiny with { Heads = 1 }, ck.Config);
            Assert.Contains(ck.Notes, n => n.Contains("heads = C/64"));
            Assert.Contains(ck.Unknown, u => u.StartsWith("num_attention_heads", StringComparison.Ordinal)); // a guess, shown but never run
            Assert.Throws<CheckpointException>(ck.RequireKnownConfig);
            Assert.Equal([16L, 16L], ck.Shape("embeddings.position_embeddings.weight"));
            Assert.Equal([16L, 16L], ck.Shape("layers.2.attention.v_proj.weight"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ParameterCountFollowsTheShapeRules()
    {
        using var ck = EomtCheckpoint.Load(Fixtures.Path("weights/tiny_hf"));
        using var st = SafeTensorsFile.Open(Fixtures.Path("weights/tiny_hf/model.safetensors"));
        long stored = st.Tensors.Values.Where(e => e.Name != "attn_mask_probs").Sum(e => e.Elements);
        Assert.Equal(stored, ck.ParameterCount);
    }

    [Fact]
    public void MissingUnexpectedAndMisShapedTensorsAreReportedInOneMessage()
    {
        var dir = Directory.CreateTempSubdirectory("eomt-bad").FullName;
        try
        {
            File.Copy(Fixtures.Path("weights/tiny_hf/config.json"), Path.Combine(dir, "config.json"));
            using (var src = SafeTensorsFile.Open(Fixtures.Path("weights/tiny_hf/model.safetensors")))
            {
                var items = src.Tensors.Values
                    .Where(e => e.Name != "layers.1.norm2.bias")
                    .Select(e => e.Name == "mask_head.fc2.weight"
                        ? SafeTensorsWriter.F32(e.Name, new float[16 * 8], 16, 8)
                        : new SafeTensorsWriter.Item(e.Name, e.DType, e.Shape, src.ReadBytes(e.Name)))
                    .Append(SafeTensorsWriter.F32("decoder.extra.weight", [1f], 1))
                    .Append(SafeTensorsWriter.F32("layers.3.norm1.weight", new float[16], 16));
                SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), items);
            }
            var e = Assert.Throws<CheckpointException>(() => EomtCheckpoint.Load(dir));
            Assert.Equal(dir, e.FilePath);
            Assert.Contains("1 missing: layers.1.norm2.bias", e.Message);
            Assert.Contains("decoder.extra.weight", e.Message);
            Assert.Contains("layers.3.norm1.weight", e.Message);
            Assert.Contains("mask_head.fc2.weight (16,8) (expected (16,16))", e.Message);
            Assert.Contains("num_hidden_layers = 3 but the tensors say 4", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ConfigDisagreeingWithTheShapesIsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("eomt-cfg").FullName;
        try
        {
            File.Copy(Fixtures.Path("weights/tiny_hf/model.safetensors"), Path.Combine(dir, "model.safetensors"));
            var cfg = File.ReadAllText(Fixtures.Path("weights/tiny_hf/config.json")).Replace("\"num_queries\": 5", "\"num_queries\": 100");
            File.WriteAllText(Path.Combine(dir, "config.json"), cfg);
            var e = Assert.Throws<CheckpointException>(() => EomtCheckpoint.Load(dir));
            Assert.Contains("config says num_queries = 100 but the tensors say 5", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void NonZeroAttnMaskProbsAreRecorded()
    {
        var dir = Directory.CreateTempSubdirectory("eomt-mask").FullName;
        try
        {
            var p = Path.Combine(dir, "model.safetensors");
            using (var src = SafeTensorsFile.Open(Fixtures.Path("weights/tiny_hf/model.safetensors")))
                SafeTensorsWriter.Write(p, src.Tensors.Values.Select(e => e.Name == "attn_mask_probs"
                    ? SafeTensorsWriter.F32(e.Name, [1f, 0.5f], 2)
                    : new SafeTensorsWriter.Item(e.Name, e.DType, e.Shape, src.ReadBytes(e.Name))));
            using var ck = EomtCheckpoint.Load(p);
            Assert.Equal([1f, 0.5f], ck.AttnMaskProbs);
            Assert.Contains(ck.Notes, n => n.Contains("not all zero"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
