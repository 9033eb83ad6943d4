namespace NativeEngine.Evaluation.Metrics;

/// <summary>
/// float32 score ↔ uint32 key with the same order: flip every bit of negative numbers, set the sign bit of the others.
/// −0 is folded onto +0 first so the two zeros are one threshold (they compare equal, as in numpy). NaN has no place
/// in an order and is refused by the callers.
/// </summary>
public static class ScoreKey
{
    /// <summary>The order-preserving key of a (non-NaN) score.</summary>
    public static uint FromScore(float score)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score == 0f ? 0f : score);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    /// <summary>The score of a key (inverse of <see cref="FromScore"/>).</summary>
    public static float ToScore(uint key)
    {
        uint bits = (key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key;
        return BitConverter.UInt32BitsToSingle(bits);
    }
}
