// The one vector vocabulary of the host versions (kernels/*/…Host.cs): each op's loop is written once, generic over
// TS : struct, ISimd<TV>, and runs at the widest width the CPU accelerates — Simd512 (Vector512, one zmm per op) on
// AVX-512, Simd256 (Vector256) otherwise (TensorPrimitives' tiers; on CPUs without 256-bit SIMD .NET runs Vector256 as
// two 128-bit halves). The JIT compiles one specialised copy per width and inlines every TS member (static abstract
// calls on a struct type argument are resolved at JIT time), so the generated loop is the one written against
// Vector512 directly. A host version picks the width once per call: `if (HostSimd.Wide) F<Simd512, Vector512<float>>(…)
// else F<Simd256, Vector256<float>>(…)`.
// Tails (the last n mod Lanes elements): HostSimd.LoadTail/StoreTail go through a zero-padded Lanes-wide stack slot so
// a tail runs the same vector math as the body (a tail element rounds exactly as its neighbours do). Hot loops run
// whole vectors with plain TS.Load/TS.Store and call LoadTail/StoreTail once for the tail: a LoadTail per iteration
// returns through a stack temporary (its partial path is an out-of-line call) and measured 4-5× slower on streams.
// Work splitting (HostSplit) is here too: contiguous chunks of ≥ 64 K floats (256 KB) per work item, so dispatch
// (~µs) is amortised over ~10 µs of memory traffic.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeEngine.Kernels;

/// <summary>The vector operations the host versions use, over one vector type TV of float lanes.</summary>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    static abstract int Lanes { get; }
    static abstract TV Zero { get; }
    static abstract TV One { get; }
    static abstract TV Splat(float x);
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Div(TV a, TV b);
    static abstract TV Neg(TV a);
    /// <summary>a·b + c, fused where the CPU has FMA.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    /// <summary>The hardware max (vmaxps): NaN handling is the second operand's; callers make NaN reach the output some other way.</summary>
    static abstract TV MaxNative(TV a, TV b);
    static abstract TV MinNative(TV a, TV b);
    /// <summary>IEEE max (NaN in either operand gives NaN), as MathF.Max.</summary>
    static abstract TV Max(TV a, TV b);
    static abstract TV Abs(TV a);
    static abstract TV Sqrt(TV a);
    /// <summary>e^a, float32 in-lane (<see cref="HostMath.Exp{TS, TV}"/>).</summary>
    static abstract TV Exp(TV a);
    /// <summary>ln a, float32 in-lane (<see cref="HostMath.Log{TS, TV}"/>).</summary>
    static abstract TV Log(TV a);
    /// <summary>The significand of a normal a scaled into [0.5, 1) (frexp's fraction; sign dropped).</summary>
    static abstract TV Fraction(TV a);
    /// <summary>frexp's exponent of a normal a, as a float: a = Fraction(a)·2^Exponent(a).</summary>
    static abstract TV Exponent(TV a);
    /// <summary>Stores v to a 64-byte-aligned p bypassing the caches (movntps): for outputs far larger than L2 that are
    /// not read again soon, so the line is not read for ownership first.</summary>
    static abstract void StoreStream(float* p, TV v);
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
    /// <summary>Lane i = TrainOps.Mix(key + first + i) &gt;&gt; 8 as a float in [0, 1) (the kernels' counter hash, integer lanes).</summary>
    static abstract TV CounterUniform(uint key, uint first);
    /// <summary>Lane i = v[idx[i]] for Lanes indices in [0, Lanes) read from idx (vpermps).</summary>
    static abstract TV PermuteLanes(TV v, int* idx);
    /// <summary>Lane i = (float)bytes[i]: widens Lanes bytes (the BCE's labels).</summary>
    static abstract TV LoadBytes(byte* p);
}

internal unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Lanes => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    public static Vector512<float> One => Vector512<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Neg(Vector512<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MinNative(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> a) => HostMath.Exp<Simd512, Vector512<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Log(Vector512<float> a) => HostMath.Log<Simd512, Vector512<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fraction(Vector512<float> a) => ((Vector512.AsInt32(a) & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exponent(Vector512<float> a) => Vector512.ConvertToSingle((Vector512.ShiftRightLogical(Vector512.AsInt32(a), 23) & Vector512.Create(0xFF)) - Vector512.Create(126));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreStream(float* p, Vector512<float> v) => v.StoreAlignedNonTemporal(p);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> CounterUniform(uint key, uint first)
    {
        var x = Vector512.Create(key + first) + Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        x ^= Vector512.ShiftRightLogical(x, 16);
        x *= Vector512.Create(0x7feb352dU);
        x ^= Vector512.ShiftRightLogical(x, 15);
        x *= Vector512.Create(0x846ca68bU);
        x ^= Vector512.ShiftRightLogical(x, 16);
        return Vector512.ConvertToSingle(Vector512.ShiftRightLogical(x, 8)) * Vector512.Create(1f / 16777216f);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PermuteLanes(Vector512<float> v, int* idx) => Avx512F.PermuteVar16x32(v, Vector512.Load(idx));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBytes(byte* p) => Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(p))); // vpmovzxbd
}

internal unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Lanes => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    public static Vector256<float> One => Vector256<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Neg(Vector256<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MinNative(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> a) => HostMath.Exp<Simd256, Vector256<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Log(Vector256<float> a) => HostMath.Log<Simd256, Vector256<float>>(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fraction(Vector256<float> a) => ((Vector256.AsInt32(a) & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exponent(Vector256<float> a) => Vector256.ConvertToSingle((Vector256.ShiftRightLogical(Vector256.AsInt32(a), 23) & Vector256.Create(0xFF)) - Vector256.Create(126));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreStream(float* p, Vector256<float> v) => v.StoreAlignedNonTemporal(p);
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
    public static float MaxAcross(Vector256<float> v)
    {
        var h = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        float m = h.GetElement(0);
        for (int i = 1; i < 4; i++) m = MathF.Max(m, h.GetElement(i)); // NaN only matters through the exp that follows
        return m;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> CounterUniform(uint key, uint first)
    {
        var x = Vector256.Create(key + first) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= Vector256.Create(0x7feb352dU);
        x ^= Vector256.ShiftRightLogical(x, 15);
        x *= Vector256.Create(0x846ca68bU);
        x ^= Vector256.ShiftRightLogical(x, 16);
        return Vector256.ConvertToSingle(Vector256.ShiftRightLogical(x, 8)) * Vector256.Create(1f / 16777216f);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PermuteLanes(Vector256<float> v, int* idx) =>
        Avx2.IsSupported ? Avx2.PermuteVar8x32(v, Vector256.Load(idx)) : Vector256.Shuffle(v, Vector256.Load(idx));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBytes(byte* p) => Avx2.IsSupported
        ? Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(*(ulong*)p).AsByte()))
        : Vector256.Create((float)p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}

/// <summary>Width choice, ragged tails and vector math the host versions share.</summary>
internal static unsafe class HostSimd
{
    /// <summary>True when the host versions run Simd512 (AVX-512), else Simd256.</summary>
    public static bool Wide => Vector512.IsHardwareAccelerated; // a JIT-time constant: the other branch is not compiled

    /// <summary>Loads <paramref name="n"/> floats (all Lanes when n ≥ Lanes) from <paramref name="p"/>, zero-filling the missing lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LoadTail<TS, TV>(float* p, int n) where TS : struct, ISimd<TV> where TV : unmanaged =>
        n >= TS.Lanes ? TS.Load(p) : LoadPartial<TS, TV>(p, n);

    // The ragged tail, out of line so the full-vector path inlines to one load (a stackalloc blocks inlining).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TV LoadPartial<TS, TV>(float* p, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        float* t = stackalloc float[16];
        new Span<float>(t, 16).Clear();
        new ReadOnlySpan<float>(p, n).CopyTo(new Span<float>(t, n));
        return TS.Load(t);
    }

    /// <summary>Stores the first <paramref name="n"/> lanes (all when n ≥ Lanes) of <paramref name="v"/> to <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTail<TS, TV>(float* p, TV v, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        if (n >= TS.Lanes) TS.Store(p, v);
        else StorePartial<TS, TV>(p, v, n);
    }

    /// <summary>y[0..n) = a·r0 + b·r1 (one FMA): whole vectors by plain loads and stores, then one ragged tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lerp<TS, TV>(float* r0, float* r1, TV a, TV b, float* y, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int i = 0;
        for (; i + TS.Lanes <= n; i += TS.Lanes) TS.Store(y + i, TS.Fma(a, TS.Load(r0 + i), TS.Mul(b, TS.Load(r1 + i))));
        if (i < n) StoreTail<TS, TV>(y + i, TS.Fma(a, LoadTail<TS, TV>(r0 + i, n - i), TS.Mul(b, LoadTail<TS, TV>(r1 + i, n - i))), n - i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StorePartial<TS, TV>(float* p, TV v, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        float* t = stackalloc float[16];
        TS.Store(t, v);
        new ReadOnlySpan<float>(t, n).CopyTo(new Span<float>(p, n));
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

    /// <summary>
    /// ln x in float32, all in-lane (the BCL's vector log widens to double): x = f·2^e with f in [√½, √2) (frexp, then
    /// one halving step), ln x = e·ln2 + ln f with ln(1 + m), m = f − 1, from Cephes' logf degree-8 minimax polynomial
    /// (≤ 2 ulp) and ln2 split in two constants. Subnormals are scaled by 2^23 first; x = 0 → −∞, x &lt; 0 or NaN →
    /// NaN, +∞ → +∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV tiny = TS.LessThan(x, TS.Splat(1.17549435e-38f));
        TV xs = TS.Select(tiny, TS.Mul(x, TS.Splat(8388608f)), x);
        TV r = LogNormal<TS, TV>(xs, TS.Sub(TS.Exponent(xs), TS.Select(tiny, TS.Splat(23f), TS.Zero)));
        r = TS.Select(TS.EqualsMask(x, TS.Splat(float.PositiveInfinity)), x, r);
        r = TS.Select(TS.EqualsMask(x, TS.Zero), TS.Splat(float.NegativeInfinity), r);
        return TS.Select(TS.GreaterThanOrEqual(x, TS.Zero), r, TS.Splat(float.NaN)); // x < 0 and NaN fail the test
    }

    /// <summary>
    /// The core of <see cref="Log{TS, TV}"/> for a positive normal x (no special-value selects): +∞ gives a finite
    /// ~88.7 (so x·ln x is still +∞), NaN gives garbage — callers that need more use <see cref="Log{TS, TV}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LogNormal<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged => LogNormal<TS, TV>(x, TS.Exponent(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LogNormal<TS, TV>(TV xs, TV e) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        TV f = TS.Fraction(xs);
        TV low = TS.LessThan(f, TS.Splat(0.707106781186547524f));
        e = TS.Sub(e, TS.Select(low, TS.One, TS.Zero));
        TV m = TS.Sub(TS.Add(f, TS.Select(low, f, TS.Zero)), TS.One);
        TV z = TS.Mul(m, m);
        TV p = TS.Fma(TS.Splat(7.0376836292e-2f), m, TS.Splat(-1.1514610310e-1f));
        p = TS.Fma(p, m, TS.Splat(1.1676998740e-1f));
        p = TS.Fma(p, m, TS.Splat(-1.2420140846e-1f));
        p = TS.Fma(p, m, TS.Splat(1.4249322787e-1f));
        p = TS.Fma(p, m, TS.Splat(-1.6668057665e-1f));
        p = TS.Fma(p, m, TS.Splat(2.0000714765e-1f));
        p = TS.Fma(p, m, TS.Splat(-2.4999993993e-1f));
        p = TS.Fma(p, m, TS.Splat(3.3333331174e-1f));
        TV y = TS.Mul(TS.Mul(p, m), z);
        y = TS.Fma(e, TS.Splat(-2.12194440e-4f), y);
        y = TS.Fma(z, TS.Splat(-0.5f), y);
        return TS.Fma(e, TS.Splat(0.693359375f), TS.Add(m, y));
    }

    /// <summary>1 / (1 + e^(−x)): 0 at −∞, 1 at +∞, NaN stays NaN (as the kernels' 1/(1+exp(−x))).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged =>
        TS.Div(TS.One, TS.Add(TS.One, TS.Exp(TS.Neg(x))));
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

    /// <summary>
    /// Runs body(batch, start, end) over [0, count) of every one of <paramref name="batches"/> items, in blocks of
    /// <paramref name="block"/> elements spread over the cores (a block never straddles two batch items).
    /// </summary>
    public static void ForBlocks(int batches, int count, int block, Action<int, int, int> body)
    {
        if (batches <= 0 || count <= 0) return;
        int perBatch = (count + block - 1) / block;
        Runtime.HostCpu.For(batches * perBatch, i =>
        {
            int b = i / perBatch, start = (i - b * perBatch) * block;
            body(b, start, Math.Min(count, start + block));
        });
    }

    /// <summary>A block size that gives every core about four work items but at least <paramref name="min"/>, a multiple of 16.</summary>
    public static int BlockFor(long total, int min = 1024)
    {
        long per = Math.Max(min, total / (4L * Runtime.HostCpu.Cores));
        return (int)Math.Min(int.MaxValue - 16, (per + 15) / 16 * 16);
    }
}
