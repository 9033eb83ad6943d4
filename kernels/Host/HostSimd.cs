// One vector vocabulary for the host versions, so each op's loop is written once and runs at the widest width the
// CPU accelerates (TensorPrimitives' tiers): Vector512 on AVX-512, Vector256 on AVX2, Vector128 elsewhere.
// A host kernel is a generic method over TS : struct, ISimd<TV>; the JIT compiles one specialised copy per width and
// inlines every TS member (static abstract calls on a struct type argument are resolved at JIT time), so the
// generated loop is the same as one written against Vector512 directly.
// Tails (the last n mod Lanes elements) go through a Lanes-wide stack buffer so they use the same vector math as the
// body: a tail element rounds exactly as its neighbours do.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeEngine.Kernels;

/// <summary>The vector operations the host versions use, over one vector type TV of float lanes.</summary>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    static abstract int Lanes { get; }
    static abstract TV Zero { get; }
    static abstract TV Splat(float x);
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Div(TV a, TV b);
    /// <summary>a·b + c, fused where the CPU has FMA.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    /// <summary>The hardware max (vmaxps): NaN handling is the second operand's; callers make NaN reach the output some other way.</summary>
    static abstract TV MaxNative(TV a, TV b);
    static abstract TV Abs(TV a);
    /// <summary>e^a, float32 (<see cref="HostMath.Exp{TS, TV}"/>).</summary>
    static abstract TV Exp(TV a);
    static abstract TV MinNative(TV a, TV b);
    /// <summary>Round to the nearest integer (ties to even), still as floats.</summary>
    static abstract TV Round(TV a);
    /// <summary>2^k for integral k in [−126, 127] (the exponent field written directly).</summary>
    static abstract TV Pow2(TV k);
    static abstract TV EqualsMask(TV a, TV b);
    static abstract TV LessThan(TV a, TV b);
    static abstract TV GreaterThan(TV a, TV b);
    static abstract TV GreaterThanOrEqual(TV a, TV b);
    /// <summary>mask ? a : b per lane (mask from a comparison).</summary>
    static abstract TV Select(TV mask, TV a, TV b);
    static abstract float Sum(TV v);
    /// <summary>Horizontal max with vmaxps semantics (see <see cref="MaxNative"/>).</summary>
    static abstract float MaxAcross(TV v);
}

internal unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Lanes => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> a) => HostMath.Exp<Simd512, Vector512<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MinNative(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow2(Vector512<float> k) => Vector512.ShiftLeft(Vector512.ConvertToInt32(k) + Vector512.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> EqualsMask(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> m, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> v) => Simd256.MaxAcross(Vector256.MaxNative(v.GetLower(), v.GetUpper()));
}

internal unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Lanes => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> a) => HostMath.Exp<Simd256, Vector256<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MinNative(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow2(Vector256<float> k) => Vector256.ShiftLeft(Vector256.ConvertToInt32(k) + Vector256.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> EqualsMask(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> m, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> v) => Simd128.MaxAcross(Vector128.MaxNative(v.GetLower(), v.GetUpper()));
}

internal unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Lanes => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Div(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> a) => HostMath.Exp<Simd128, Vector128<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MinNative(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pow2(Vector128<float> k) => Vector128.ShiftLeft(Vector128.ConvertToInt32(k) + Vector128.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> EqualsMask(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> m, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> v)
    {
        float m = v.GetElement(0);
        for (int i = 1; i < 4; i++) m = MathF.Max(m, v.GetElement(i)); // NaN only matters through the exp that follows
        return m;
    }
}

/// <summary>Vector math the host versions share.</summary>
internal static class HostMath
{
    /// <summary>
    /// e^x in float32, all in-lane (the BCL's Vector512.Exp widens to double and runs ~4× longer): x = k·ln2 + r with
    /// k = round(x·log2 e) and r from a two-constant Cody–Waite split (exact for |k| ≤ 128), e^r by the classic
    /// degree-6 minimax polynomial on |r| ≤ ln2/2 (Cephes' expf coefficients: ≤ 2 ulp), then scaled by 2^k through the
    /// exponent field. x is clamped to [−87.3, 88.3] so 2^k stays a normal float; above 88.72 (overflow) the result is
    /// +∞, below −87.3 it flushes to 0 (true value &lt; 1.2e-38), NaN stays NaN. Between 88.3 and 88.72 it returns
    /// e^88.3 ≈ 2e38 (only sigmoid/silu of ≤ −88.3 get there, where every consumer rounds the result to 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV xc = TS.MinNative(TS.MaxNative(x, TS.Splat(-87.3f)), TS.Splat(88.3f));
        TV k = TS.Round(TS.Mul(xc, TS.Splat(1.44269504088896341f)));
        TV r = TS.Fma(k, TS.Splat(-0.693359375f), xc);
        r = TS.Fma(k, TS.Splat(2.12194440e-4f), r);
        TV p = TS.Fma(TS.Splat(1.9875691500e-4f), r, TS.Splat(1.3981999507e-3f));
        p = TS.Fma(p, r, TS.Splat(8.3334519073e-3f));
        p = TS.Fma(p, r, TS.Splat(4.1665795894e-2f));
        p = TS.Fma(p, r, TS.Splat(1.6666665459e-1f));
        p = TS.Fma(p, r, TS.Splat(5.0000001201e-1f));
        p = TS.Add(TS.Fma(p, TS.Mul(r, r), r), TS.Splat(1f));
        TV e = TS.Mul(p, TS.Pow2(k));
        e = TS.Select(TS.GreaterThan(x, TS.Splat(88.72283f)), TS.Splat(float.PositiveInfinity), e);
        e = TS.Select(TS.LessThan(x, TS.Splat(-87.3f)), TS.Zero, e);
        return TS.Select(TS.EqualsMask(x, x), e, x);
    }
}

/// <summary>Work splitting shared by the host versions.</summary>
internal static class HostSplit
{
    /// <summary>Elements per parallel work item of a streaming op: 64 K floats = 256 KB, ~10–20 µs of memory traffic.</summary>
    public const int StreamChunk = 1 << 16;

    /// <summary>Runs body(start, count) over [0, n) in chunks of <paramref name="chunk"/> on all cores (inline when one chunk).</summary>
    public static void Chunks(long n, int chunk, Action<long, int> body)
    {
        if (n <= 0) return;
        int items = (int)((n + chunk - 1) / chunk);
        if (items == 1)
        {
            body(0, (int)n);
            return;
        }
        Runtime.HostCpu.For(items, i =>
        {
            long start = (long)i * chunk;
            body(start, (int)Math.Min(chunk, n - start));
        });
    }

    /// <summary>Rows per work item so that one item moves about <see cref="StreamChunk"/> floats (at least one row).</summary>
    public static int RowsPerItem(int cols) => Math.Max(1, StreamChunk / Math.Max(cols, 1));
}
