namespace NativeEngine.Weights.Tests;

/// <summary>Bit-for-bit comparison of float arrays (NaN-safe; -0 and +0 differ).</summary>
internal static class Bits
{
    public static void AssertSame(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            int e = BitConverter.SingleToInt32Bits(expected[i]), a = BitConverter.SingleToInt32Bits(actual[i]);
            Assert.True(e == a, $"{what}[{i}]: got {actual[i]:R} (0x{a:X8}), torch wrote {expected[i]:R} (0x{e:X8})");
        }
    }
}
