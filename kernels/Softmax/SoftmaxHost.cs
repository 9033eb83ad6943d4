// Host version of softmax_rows: y[r, j] = exp(x[r, j] − m_r) / Σ_k exp(x[r, k] − m_r), special values as Softmax.cs
// (a NaN or +∞ anywhere, or a row of all −∞, makes the row NaN; −∞ entries of a finite row give 0).
// Bound: memory. DRAM sees one read of x and one write of y (8 B per element); the three passes over a row (max;
// exp, store and sum; scale) run on the row while it sits in L1/L2 (a 4101-float row is 16 KB). One exp per element
// (Vector512.Exp, ~20 vector ops per 16 elements) keeps the ALU well under the memory time on Zen 5.
// Napkin (EoMT-B-640 masked-logit softmax shapes, 4096 × 4101 in the bench): 134 MB moved ≈ 5 ms at ~25 GB/s.
// Versions (host):
//   host  rows spread over the cores (~64 K floats per work item); per row: vector max (vmaxps; NaN reaches the output
//         through exp(x − m) anyway), exp(x − m) stored to y while summing in 2 accumulators, then y *= 1/Σ.
//         The tail goes through a one-vector buffer padded with −∞ (exp gives 0, the max is unchanged).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeEngine.Tensors;

namespace NativeEngine.Kernels;

/// <summary>Host (SIMD, multi-core) row softmax.</summary>
public static unsafe class SoftmaxHost
{
    /// <summary>y = softmax(x) over rows of <paramref name="cols"/> floats; y may alias x.</summary>
    public static void Rows(float* x, float* y, int rows, int cols)
    {
        nint px = (nint)x, py = (nint)y;
        HostSplit.Chunks(rows, HostSplit.RowsPerItem(cols), (r0, count) =>
        {
            for (long r = r0; r < r0 + count; r++)
            {
                float* xr = (float*)px + r * cols, yr = (float*)py + r * cols;
                if (HostSimd.Wide) Row<Simd512, Vector512<float>>(xr, yr, cols);
                else Row<Simd256, Vector256<float>>(xr, yr, cols);
            }
        });
    }

    /// <summary>Tensor form of <see cref="Softmax.Rows"/>.</summary>
    public static void Rows(Tensor x, Tensor y)
    {
        int cols = x.Shape[-1];
        if (cols == 0 || x.Length == 0) return;
        Rows(x.HostPointer<float>(), y.HostPointer<float>(), (int)(x.Length / cols), cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<TS, TV>(float* x, float* y, int n) where TS : struct, ISimd<TV> where TV : unmanaged
    {
        int l = TS.Lanes, body = n - n % l, rest = n - body;
        float* tail = stackalloc float[16];
        for (int k = 0; k < l; k++) tail[k] = k < rest ? x[body + k] : float.NegativeInfinity;

        TV m0 = TS.Load(tail), m1 = m0;
        int i = 0;
        for (; i <= body - 2 * l; i += 2 * l)
        {
            m0 = TS.MaxNative(m0, TS.Load(x + i));
            m1 = TS.MaxNative(m1, TS.Load(x + i + l));
        }
        for (; i < body; i += l) m0 = TS.MaxNative(m0, TS.Load(x + i));
        float m = TS.MaxAcross(TS.MaxNative(m0, m1));
        // vmaxps drops a NaN that sits in its first operand; any NaN still poisons the sum through exp(NaN − m).
        TV mv = TS.Splat(m), s0 = TS.Zero, s1 = TS.Zero;
        for (i = 0; i <= body - 2 * l; i += 2 * l)
        {
            TV e0 = TS.Exp(TS.Sub(TS.Load(x + i), mv)), e1 = TS.Exp(TS.Sub(TS.Load(x + i + l), mv));
            TS.Store(y + i, e0);
            TS.Store(y + i + l, e1);
            s0 = TS.Add(s0, e0);
            s1 = TS.Add(s1, e1);
        }
        for (; i < body; i += l)
        {
            TV e = TS.Exp(TS.Sub(TS.Load(x + i), mv));
            TS.Store(y + i, e);
            s0 = TS.Add(s0, e);
        }
        TV et = TS.Exp(TS.Sub(TS.Load(tail), mv)); // padding lanes: exp(−∞ − m) = 0 (or NaN when the row is all −∞: NaN anyway)
        TS.Store(tail, et);
        float sum = TS.Sum(TS.Add(TS.Add(s0, s1), rest > 0 ? et : TS.Zero));
        TV inv = TS.Splat(1f / sum);
        for (i = 0; i < body; i += l) TS.Store(y + i, TS.Mul(TS.Load(y + i), inv));
        for (int k = 0; k < rest; k++) y[body + k] = tail[k] * (1f / sum);
    }
}
