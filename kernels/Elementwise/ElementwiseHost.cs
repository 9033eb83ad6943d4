// Host versions of the elementwise ops: y = a + b, y = a * b, y[r, c] = x[r, c] + bias[c], and the engine that runs
// every elementwise host op (Map, Map2, the activations in ActivationHost, LayerScaleHost).
// Bound: memory. add/mul move 12 B per element for 1 FLOP; on a 2-core Zen 5 (AVX-512, one 16-lane op per cycle per
// core is ~100 G elements/s of ALU) the copy bandwidth (~15–30 GB/s for two cores) caps them at ~2 G elements/s, so
// the only goals are one pass over memory, full-width loads/stores and both cores streaming.
// Versions (host):
//   host  one vector loop per chunk (ISimd: 16/8/4 lanes), chunks of 64 K floats (256 KB, L2-sized) spread over the
//         cores by HostCpu.For; the tail of a chunk goes through a one-vector stack buffer so it runs the same math.
//         Row-broadcast ops (bias, layer scale) loop rows × vector columns with the broadcast row reloaded from L1.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>A per-lane function y = f(x), written once against <see cref="ISimd{TV}"/>.</summary>
internal interface IUnaryOp
{
    static abstract TV Apply<TS, TV>(TV x) where TS : struct, ISimd<TV> where TV : unmanaged;
}

/// <summary>A per-lane function y = f(a, b).</summary>
internal interface IBinaryOp
{
    static abstract TV Apply<TS, TV>(TV a, TV b) where TS : struct, ISimd<TV> where TV : unmanaged;
}

/// <summary>Host (SIMD, multi-core) versions of add, mul and bias, and the elementwise engine other host ops share.</summary>
public static unsafe class ElementwiseHost
{
    private struct AddOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV a, TV b) where TS : struct, ISimd<TV> where TV : unmanaged => TS.Add(a, b);
    }

    private struct MulOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TS, TV>(TV a, TV b) where TS : struct, ISimd<TV> where TV : unmanaged => TS.Mul(a, b);
    }

    /// <summary>y = a + b over <paramref name="n"/> floats; y may alias a or b.</summary>
    public static void Add(float* a, float* b, float* y, long n) => Map2<AddOp>(a, b, y, n);

    /// <summary>y = a * b over <paramref name="n"/> floats; y may alias a or b.</summary>
    public static void Mul(float* a, float* b, float* y, long n) => Map2<MulOp>(a, b, y, n);

    /// <summary>Tensor form of <see cref="Elementwise.Add"/>.</summary>
    public static void Add(Tensor a, Tensor b, Tensor y) => Add(a.HostPointer<float>(), b.HostPointer<float>(), y.HostPointer<float>(), y.Length);

    /// <summary>Tensor form of <see cref="Elementwise.Mul"/>.</summary>
    public static void Mul(Tensor a, Tensor b, Tensor y) => Mul(a.HostPointer<float>(), b.HostPointer<float>(), y.HostPointer<float>(), y.Length);

    /// <summary>Tensor form of <see cref="Elementwise.Bias"/>: y[r, c] = x[r, c] + bias[c].</summary>
    public static void Bias(Tensor x, Tensor bias, Tensor y)
    {
        int cols = x.Shape[-1];
        if (cols == 0 || x.Length == 0) return;
        RowBroadcast(x.HostPointer<float>(), null, bias.HostPointer<float>(), y.HostPointer<float>(), (int)(x.Length / cols), cols);
    }

    /// <summary>y = a + b over n floats on the calling thread (for host ops that add one row inside their own loop).</summary>
    internal static void AddInline(float* a, float* b, float* y, int n)
    {
        if (HostSimd.Wide) Map2Core<AddOp, Simd512, Vector512<float>>(a, b, y, n);
        else Map2Core<AddOp, Simd256, Vector256<float>>(a, b, y, n);
    }

    /// <summary>y = f(x) over n floats on all cores.</summary>
    internal static void Map<TOp>(float* x, float* y, long n) where TOp : struct, IUnaryOp
    {
        nint px = (nint)x, py = (nint)y;
        HostSplit.Chunks(n, HostSplit.StreamChunk, (start, count) =>
        {
            float* xs = (float*)px + start, ys = (float*)py + start;
            if (HostSimd.Wide) MapCore<TOp, Simd512, Vector512<float>>(xs, ys, count);
            else MapCore<TOp, Simd256, Vector256<float>>(xs, ys, count);
        });
    }

    /// <summary>y = f(a, b) over n floats on all cores.</summary>
    internal static void Map2<TOp>(float* a, float* b, float* y, long n) where TOp : struct, IBinaryOp
    {
        nint pa = (nint)a, pb = (nint)b, py = (nint)y;
        HostSplit.Chunks(n, HostSplit.StreamChunk, (start, count) =>
        {
            float* az = (float*)pa + start, bz = (float*)pb + start, yz = (float*)py + start;
            if (HostSimd.Wide) Map2Core<TOp, Simd512, Vector512<float>>(az, bz, yz, count);
            else Map2Core<TOp, Simd256, Vector256<float>>(az, bz, yz, count);
        });
    }

    /// <summary>
    /// Rows × columns with a per-column vector g: y[r, c] = x[r, c] + g[c] (bias) when h is null, else
    /// y = x + g·h (the LayerScale residual, one FMA). Rows are spread over the cores.
    /// </summary>
    internal static void RowBroadcast(float* x, float* h, float* g, float* y, int rows, int cols)
    {
        nint px = (nint)x, ph = (nint)h, pg = (nint)g, py = (nint)y;
        int per = HostSplit.RowsPerItem(cols);
        HostSplit.Chunks(rows, per, (r0, count) =>
        {
            for (long r = r0; r < r0 + count; r++)
            {
                long o = r * cols;
                float* xr = (float*)px + o, yr = (float*)py + o, hr = h is null ? null : (float*)ph + o;
                if (HostSimd.Wide) RowCore<Simd512, Vector512<float>>(xr, hr, (float*)pg, yr, cols);
                else RowCore<Simd256, Vector256<float>>(xr, hr, (float*)pg, yr, cols);
            }
        });
    }

    private static void MapCore<TOp, TS, TV>(float* x, float* y, int n)
        where TOp : struct, IUnaryOp where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, i = 0;
        for (; i <= n - 2 * l; i += 2 * l)
        {
            TV v0 = TS.Load(x + i), v1 = TS.Load(x + i + l);
            TS.Store(y + i, TOp.Apply<TS, TV>(v0));
            TS.Store(y + i + l, TOp.Apply<TS, TV>(v1));
        }
        for (; i <= n - l; i += l) TS.Store(y + i, TOp.Apply<TS, TV>(TS.Load(x + i)));
        if (i == n) return;
        float* buf = stackalloc float[16];
        int rest = n - i;
        for (int k = 0; k < l; k++) buf[k] = k < rest ? x[i + k] : 0f;
        TS.Store(buf, TOp.Apply<TS, TV>(TS.Load(buf)));
        for (int k = 0; k < rest; k++) y[i + k] = buf[k];
    }

    private static void Map2Core<TOp, TS, TV>(float* a, float* b, float* y, int n)
        where TOp : struct, IBinaryOp where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, i = 0;
        for (; i <= n - l; i += l) TS.Store(y + i, TOp.Apply<TS, TV>(TS.Load(a + i), TS.Load(b + i)));
        if (i == n) return;
        float* ba = stackalloc float[16];
        float* bb = stackalloc float[16];
        int rest = n - i;
        for (int k = 0; k < l; k++)
        {
            ba[k] = k < rest ? a[i + k] : 0f;
            bb[k] = k < rest ? b[i + k] : 0f;
        }
        TS.Store(ba, TOp.Apply<TS, TV>(TS.Load(ba), TS.Load(bb)));
        for (int k = 0; k < rest; k++) y[i + k] = ba[k];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowCore<TS, TV>(float* x, float* h, float* g, float* y, int n)
        where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, i = 0;
        if (h is null)
        {
            for (; i <= n - l; i += l) TS.Store(y + i, TS.Add(TS.Load(x + i), TS.Load(g + i)));
            for (; i < n; i++) y[i] = x[i] + g[i];
        }
        else
        {
            for (; i <= n - l; i += l) TS.Store(y + i, TS.Fma(TS.Load(g + i), TS.Load(h + i), TS.Load(x + i)));
            for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(g[i], h[i], x[i]);
        }
    }
}
