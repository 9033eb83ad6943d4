using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;
using NativeEngine.Weights.SafeTensors;
using NativeEngine.Weights.Torch;

namespace NativeEngine.Weights.Tests;

public class TorchCheckpointTests
{
    [Theory]
    [InlineData("tiny_original.pth", "reference_f32.safetensors", "F32")]
    [InlineData("tiny_original_f16.bin", "reference_f16.safetensors", "F16")]
    [InlineData("tiny_original_bf16.pt", "reference_bf16.safetensors", "BF16")]
    [InlineData("tiny_original_proto4.pth", "reference_f32.safetensors", "F32")]
    public void OriginalNamingRoundTripsBitForBit(string file, string reference, string dtype)
    {
        using var ck = EomtCheckpoint.Load(Fixtures.Path("weights/" + file));
        Assert.Equal("original (tue-mps/eomt)", ck.Naming);
        Assert.Equal("tensor shapes", ck.ConfigSource);
        Assert.Equal(EomtCheckpointTests.Tiny with { Heads = 1 }, ck.Config);  // no config.json: head dim 64 assumed
        Assert.Equal("network.encoder.backbone.blocks.1.attn.qkv.weight", ck.SourceName("layers.1.attention.k_proj.weight"));
        Assert.Contains("criterion.empty_weight", ck.Dropped);
        Assert.Contains("network.encoder.pixel_mean", ck.Dropped);
        EomtCheckpointTests.AssertMatchesReference(ck, reference, dtype);
    }

    [Fact]
    public void LightningCheckpointUnwrapsStateDictAndCarriesTheAnomalyHead()
    {
        using var ck = EomtCheckpoint.Load(Fixtures.Path("weights/tiny_lightning.ckpt"));
        Assert.Contains("Lightning", ck.Source.Format);
        var src = Assert.IsType<TorchCheckpoint>(ck.Source);
        Assert.Contains("optimizer_states", src.TopLevelKeys);
        Assert.Contains("hyper_parameters", src.TopLevelKeys);
        Assert.Contains("pixel_mean", ck.Dropped);
        EomtCheckpointTests.AssertMatchesReference(ck, "reference_f32.safetensors", "F32");
        var head = Assert.IsType<AnomalyHeadWeights>(ck.AnomalyHead);
        Assert.Equal(AnomalyHeadLayout.Plain, head.Layout);
        Assert.Equal(2433, head.ParameterCount);
        AnomalyHeadTests.AssertMatchesReference(head, "plain");
    }

    [Fact]
    public void GiantSwiGluIsRecognisedAndRenamed()
    {
        using var ck = EomtCheckpoint.Load(Fixtures.Path("weights/tiny_giant_original.pth"));
        Assert.True(ck.Config.SwiGlu);
        Assert.Equal(48, ck.Config.MlpHidden);   // HF rule ((int)(16·4·2/3) + 7) / 8 · 8
        Assert.Equal([96L, 16L], ck.Shape("layers.0.mlp.weights_in.weight"));
        Assert.Equal([16L, 48L], ck.Shape("layers.2.mlp.weights_out.weight"));
        Assert.False(ck.Contains("layers.0.mlp.fc1.weight"));
        Bits.AssertSame(ck.Source.ReadAllFloat32("network.encoder.backbone.blocks.1.mlp.fc1.weight"), ck.ReadFloat32("layers.1.mlp.weights_in.weight"), "weights_in");
    }

    [Theory]
    [InlineData("views.pth")]
    [InlineData("views_bigendian.pth")]
    public void ViewsStridesOffsetsDTypesAndByteOrderMatchTorch(string file)
    {
        using var t = TorchCheckpoint.Open(Fixtures.Path("weights/" + file));
        using var reference = SafeTensorsFile.Open(Fixtures.Path("weights/views_reference.safetensors"));
        Assert.Equal(reference.Tensors.Keys.Order(), t.Infos.Keys.Order());
        foreach (var (name, e) in reference.Tensors)
        {
            Assert.Equal(e.DType, t.Infos[name].DType);
            Assert.Equal(e.Shape, t.Infos[name].Shape);
            Assert.True(reference.ReadBytes(name).AsSpan().SequenceEqual(t.ReadAllBytes(name)), $"{file} {name}: bytes differ from torch's");
        }
        Assert.False(t.Views["transposed"].IsContiguous);
        Assert.Equal(6, t.Views["row_slice"].StorageOffset);
        Assert.Same(t.Views["base"].Storage, t.Views["col_slice"].Storage);
        Assert.Equal(file.Contains("big"), t.Format.Contains("big-endian"));
    }

    [Fact]
    public void PartialReadsOfAStridedViewMatchTheDenseBytes()
    {
        using var t = TorchCheckpoint.Open(Fixtures.Path("weights/views.pth"));
        var all = t.ReadAllBytes("transposed");
        var part = new byte[12];
        t.ReadBytes("transposed", 8, part);
        Assert.Equal(all.AsSpan(8, 12).ToArray(), part);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "hostile_os_system.pth", "GLOBAL 'posix system' is not allowed" },
        { "hostile_raw_pickle.bin", "GLOBAL 'posix system' is not allowed" },
        { "hostile_eval.pth", "GLOBAL '__builtin__ eval' is not allowed" },
        { "hostile_reduce_string.pth", "REDUCE applied to a str ('foo')" },
        { "hostile_inst_opcode.pth", "unsupported pickle opcode 0x69 ('i', INST)" },
        { "broken_short_storage.pth", "but its record holds only" },
        { "hostile_view_past_storage.pth", "reaches element 3 of storage '0' which has 2" },
        { "hostile_deflated_storage.pth", "is compressed (method 8)" },
        { "broken_truncated.pth", "no end-of-central-directory record" },
        { "legacy_format.pth", "legacy PyTorch serialization format" },
        { "torchscript.pt", "TorchScript archive" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void HostileAndBrokenFilesAreRefusedNamingWhatWasFound(string file, string expected)
    {
        var path = Fixtures.Path("weights/" + file);
        var e = Assert.Throws<CheckpointException>(() => TensorSources.Open(path).Dispose());
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
        var e2 = Assert.Throws<CheckpointException>(() => EomtCheckpoint.Load(path).Dispose());
        Assert.Contains(expected, e2.Message);
    }

    [Fact]
    public void PickleSubsetDecodesContainersAndScalars()
    {
        // {'a': [1, -2, 3.5, True, None], 'b': ('x', b'\x00\x01'), 'c': 2**70} written by CPython, protocol 2.
        byte[] p = Convert.FromHexString(
            "80027d71002858010000006171015d7102284b014afeffffff47400c000000000000884e6558010000006271035801000000787104" +
            "635f636f646563730a656e636f64650a710558020000000001710658060000006c6174696e31710786710852710986710a5801" +
            "00000063710b8a09000000000000000040752e");
        var root = Assert.IsType<PyDict>(RestrictedUnpickler.Load("inline", p));
        Assert.True(root.TryGet("a", out var a));
        var list = Assert.IsType<PyList>(a);
        Assert.Equal([1L, -2L, 3.5, true, null], list.ToArray());
        Assert.True(root.TryGet("b", out var b));
        var tuple = Assert.IsType<PyTuple>(b);
        Assert.Equal("x", tuple[0]);
        Assert.Equal(new byte[] { 0, 1 }, tuple[1]);
        Assert.True(root.TryGet("c", out var c));
        Assert.Equal(System.Numerics.BigInteger.Pow(2, 70), c);
    }
}
