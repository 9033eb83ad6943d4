using NativeEngine.Tests;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Weights.Tests;

public class SafeTensorsTests
{
    [Theory]
    [InlineData("broken_offsets_past_end.safetensors", "past the end")]
    [InlineData("broken_wrong_dtype_length.safetensors", "needs 8 bytes")]
    [InlineData("broken_overlapping.safetensors", "overlaps")]
    [InlineData("broken_unknown_dtype.safetensors", "unknown safetensors dtype 'Q4'")]
    [InlineData("broken_huge_header.safetensors", "exceeds the 100000000-byte cap")]
    [InlineData("broken_header_past_end.safetensors", "runs past the end")]
    [InlineData("broken_not_json.safetensors", "not valid JSON")]
    public void BrokenFilesAreRefusedWithAClearMessage(string file, string expected)
    {
        var path = Fixtures.Path("weights/" + file);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(expected, e.Message);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void WriterRoundTripsEveryDTypeThroughTheMemoryMappedReader()
    {
        var dir = Directory.CreateTempSubdirectory("st-roundtrip").FullName;
        try
        {
            var p = Path.Combine(dir, "x.safetensors");
            float[] v = [1.5f, -0f, float.NaN, 65504f, 1e-8f, 3.14159f];
            SafeTensorsWriter.Write(p,
            [
                SafeTensorsWriter.F32("a.f32", v, 2, 3),
                SafeTensorsWriter.F16("b.f16", v, 6),
                SafeTensorsWriter.BF16("c.bf16", v, 3, 2),
                SafeTensorsWriter.I64("d.i64", [1, -2, long.MaxValue], 3),
                SafeTensorsWriter.U8("e.u8", [0, 255], 2),
                SafeTensorsWriter.F32("f.scalar", [7f]),
                SafeTensorsWriter.F32("g.empty", [], 0, 4),
            ], new Dictionary<string, string> { ["k"] = "v" });
            using var f = SafeTensorsFile.Open(p);
            Assert.Equal("v", f.Metadata["k"]);
            Bits.AssertSame(v, f.ReadFloat32("a.f32"), "f32");
            Bits.AssertSame(v.Select(x => (float)(Half)x).ToArray(), f.ReadFloat32("b.f16"), "f16");
            Assert.Equal([3L, 2L], f.Get("c.bf16").Shape);
            Assert.Equal(long.MaxValue, BitConverter.ToInt64(f.GetSpan("d.i64")[16..]));
            Assert.Equal([0f, 255f], f.ReadFloat32("e.u8"));
            Assert.Empty(f.Get("f.scalar").Shape);
            Assert.Equal([7f], f.ReadFloat32("f.scalar"));
            Assert.Empty(f.ReadFloat32("g.empty"));
            Assert.Equal(0, (8 + f.Get("a.f32").Begin) % 8 == 0 ? 0 : 1);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void BFloat16RoundingMatchesTorch()
    {
        // torch: torch.tensor([1.00390625, 1.01171875, -3.0e38]).bfloat16() keeps ties to even.
        Assert.Equal(0x3F80, DTypeConvert.ToBFloat16Bits(1.00390625f));  // exactly halfway, rounds down to even
        Assert.Equal(0x3F82, DTypeConvert.ToBFloat16Bits(1.01171875f));  // halfway, rounds up to even
        Assert.Equal(0x7FC0, DTypeConvert.ToBFloat16Bits(float.NaN));
    }

    [Fact]
    public void ShardedIndexReadsEveryTensorFromItsShard()
    {
        using var sharded = ShardedSafeTensors.Open(Fixtures.Path("weights/tiny_hf_sharded/model.safetensors.index.json"));
        using var single = SafeTensorsFile.Open(Fixtures.Path("weights/tiny_hf/model.safetensors"));
        Assert.Equal(2, sharded.Shards.Count);
        Assert.Equal(single.Tensors.Keys.Order(), sharded.Infos.Keys.Order());
        foreach (var name in single.Tensors.Keys)
            Bits.AssertSame(single.ReadFloat32(name), sharded.ReadAllFloat32(name), name);
    }

    [Fact]
    public void ShardNamesOutsideTheFolderAreRefused()
    {
        var dir = Directory.CreateTempSubdirectory("st-shard").FullName;
        try
        {
            var p = Path.Combine(dir, "model.safetensors.index.json");
            File.WriteAllText(p, """{"weight_map": {"a": "../evil.safetensors"}}""");
            var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.Open(p));
            Assert.Contains("not a plain file name", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
