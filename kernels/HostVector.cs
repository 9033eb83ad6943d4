// Shared plumbing of the host (CPU) versions in kernels/*/…Host.cs: 16-lane float vectors with partial loads and
// stores for ragged tails, the vectorised sigmoid, and the split of pixel ranges into work items for HostCpu.For.
// The host cores are written once against Vector512<float>: on AVX-512 machines every operation is one instruction;
// elsewhere .NET runs each Vector512 operation as two Vector256 halves (AVX2) or four Vector128 quarters, so the
// same code stays correct and vectorised (at roughly half the throughput of hand-tiered code) everywhere.
// Ragged tails are not a scalar copy of the math: they go through the same vector code, loaded from and stored to a
// zero-padded 16-float stack slot, so the vector and the tail cannot drift apart.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Runtime;

namespace NativeEngine.Kernels;

/// <summary>Vector helpers and work splitting shared by the host versions of the ops.</summary>
internal static unsafe class HostVector
{
    /// <summary>Float lanes of the vector type the host cores are written in (Vector512&lt;float&gt;).</summary>
    public const int Lanes = 16;

    /// <summary>Loads <paramref name="n"/> (1…16) floats from <paramref name="p"/>, zero-filling the missing lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p, int n) => n >= Lanes ? Vector512.Load(p) : LoadPartial(p, n);

    // The ragged tail, out of line so the full-vector path inlines to one load (a stackalloc blocks inlining).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> LoadPartial(float* p, int n)
    {
        float* t = stackalloc float[Lanes];
        new Span<float>(t, Lanes).Clear();
        new ReadOnlySpan<float>(p, n).CopyTo(new Span<float>(t, n));
        return Vector512.Load(t);
    }

    /// <summary>Stores the first <paramref name="n"/> (1…16) lanes of <paramref name="v"/> to <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, float* p, int n)
    {
        if (n >= Lanes) v.Store(p);
        else StorePartial(v, p, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StorePartial(Vector512<float> v, float* p, int n)
    {
        float* t = stackalloc float[Lanes];
        v.Store(t);
        new ReadOnlySpan<float>(t, n).CopyTo(new Span<float>(p, n));
    }

    /// <summary>a·b + c, one rounding (vfmadd on AVX-512/FMA3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.FusedMultiplyAdd(a, b, c);

    /// <summary>1 / (1 + e^(−x)): 0 at −∞, 1 at +∞, NaN stays NaN (as the kernels' 1/(1+exp(−x))).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) =>
        Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    /// <summary>
    /// Runs body(batch, start, end) over [0, count) of every one of <paramref name="batches"/> items, in blocks of
    /// <paramref name="block"/> elements spread over the cores (a block never straddles two batch items).
    /// </summary>
    public static void ForBlocks(int batches, int count, int block, Action<int, int, int> body)
    {
        if (batches <= 0 || count <= 0) return;
        int perBatch = (count + block - 1) / block;
        HostCpu.For(batches * perBatch, i =>
        {
            int b = i / perBatch, start = (i - b * perBatch) * block;
            body(b, start, Math.Min(count, start + block));
        });
    }

    /// <summary>A block size that gives every core about four work items but stays a multiple of the lane count.</summary>
    public static int BlockFor(long total, int min = 1024)
    {
        long per = Math.Max(min, total / (4L * HostCpu.Cores));
        return (int)Math.Min(int.MaxValue - Lanes, (per + Lanes - 1) / Lanes * Lanes);
    }
}
