using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Weights.Tests;

/// <summary>Damaged files fail only with <see cref="CheckpointException"/> (never a crash, hang or other exception type).</summary>
public class CorruptionTests
{
    [Theory]
    [InlineData("tiny_original.pth")]
    [InlineData("tiny_lightning.ckpt")]
    [InlineData("tiny_hf/model.safetensors")]
    public void TruncationsAndByteFlipsAreRefusedCleanly(string file)
    {
        var original = File.ReadAllBytes(Fixtures.Path("weights/" + file));
        var dir = Directory.CreateTempSubdirectory("corrupt").FullName;
        var rng = new Random(1234);
        try
        {
            var p = Path.Combine(dir, Path.GetFileName(file));
            var cases = new List<byte[]>();
            foreach (var len in new[] { 0, 3, 7, 9, 30, 100, original.Length / 3, original.Length - 23, original.Length - 1 })
                cases.Add(original[..len]);
            for (int i = 0; i < 60; i++)
            {
                var b = (byte[])original.Clone();
                // Damage the structural parts: the first KB (headers, pickle) and the last KB (zip directory).
                int at = rng.Next(2) == 0 ? rng.Next(Math.Min(1024, b.Length)) : b.Length - 1 - rng.Next(Math.Min(1024, b.Length));
                b[at] ^= (byte)(1 << rng.Next(8));
                cases.Add(b);
            }
            foreach (var bytes in cases)
            {
                File.WriteAllBytes(p, bytes);
                try
                {
                    using var ck = EomtCheckpoint.Load(p);
                    foreach (var n in ck.Names) ck.ReadFloat32(n);   // a flip inside the data is not detectable; it must still read
                }
                catch (CheckpointException)
                {
                }
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void DeeplyNestedPickleIsRefusedWithoutStackOverflow()
    {
        // PROTO 2, a string, 200000 × TUPLE1, then REDUCE with no callable: an error message must not recurse.
        var b = new List<byte> { 0x80, 2, (byte)'N' };
        for (int i = 0; i < 200_000; i++) b.Add(0x85);
        b.AddRange([(byte)'N', (byte)'R', (byte)'.']);
        var e = Assert.Throws<CheckpointException>(() => Torch.RestrictedUnpickler.Load("nested", b.ToArray()));
        Assert.Contains("REDUCE applied to a tuple", e.Message);
    }
}
