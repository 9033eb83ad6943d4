// Tensor-core building blocks shared by gemm v3 and attention v3: mma.sync, ldmatrix and cp.async through ILGPU's inline
// PTX (CudaAsm), each with a warp-level emulation that the same kernel runs when CudaAsm.IsSupported is false (the CPU
// simulator). CudaAsm.IsSupported is a compile-time constant per backend, so the PTX carries only the asm and the
// simulator only the emulation (perf.md §3.1).
//
// Fragment layouts (PTX ISA 7.8, "Matrix fragments for mma.m16n8k16 / mma.m16n8k8"); lane L, g = L >> 2, t = L & 3:
//
//   A (16×K, row-major)        f16/bf16 m16n8k16 (two halves per register,   tf32 m16n8k8 (one value per register)
//                              lower k in the low 16 bits)
//     a0                       row g,     k 2t, 2t+1                          row g,     k t
//     a1                       row g + 8, k 2t, 2t+1                          row g + 8, k t
//     a2                       row g,     k 2t+8, 2t+9                        row g,     k t+4
//     a3                       row g + 8, k 2t+8, 2t+9                        row g + 8, k t+4
//   B (K×8, "col": column n contiguous in k)
//     b0                       k 2t, 2t+1,   column g                         k t,   column g
//     b1                       k 2t+8, 2t+9, column g                         k t+4, column g
//   C/D (16×8 float32, both shapes)
//     c0 row g, col 2t    c1 row g, col 2t+1    c2 row g + 8, col 2t    c3 row g + 8, col 2t+1
//
// In bytes the two A (and B) layouts coincide: register a0 is the 32-bit word t of row g's first 16 bytes, a2 the word t
// of its next 16 bytes, for both element sizes. So one staging layout (rows of K-contiguous bytes) and one ldmatrix
// (each lane receives word L & 3 of row L >> 2 of each 8×16-byte matrix) serve tf32, bf16 and fp16 alike.
//
// ldmatrix.x4: lanes 8q .. 8q+7 supply the row addresses of matrix q (0..3); lane L receives, in register q, the word
// L & 3 of row L >> 2 of matrix q. The emulation computes that row address with the same pure function of (q, row) the
// lane 8q + (L >> 2) used, so a wrong address function fails on the simulator exactly as it would on the GPU.
//
// Rounding as the tensor cores see the operands: tf32 keeps 10 mantissa bits (the kernels round with cvt.rna.tf32.f32,
// nearest, ties away from zero, as cuBLAS does; the simulator does the same on the bits); bf16 and fp16 are exact
// widenings of the stored halves. Products and sums are float32 (the emulation accumulates sequentially in k).
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace NativeEngine.Kernels;

/// <summary>mma.sync / ldmatrix / cp.async wrappers with their simulator emulations (see the file header for the tables).</summary>
internal static class TensorCoreOps
{
    /// <summary>Operand kinds (the low two bits of the kernels' flags).</summary>
    public const int Tf32 = 0, Bf16 = 1, Fp16 = 2;

    /// <summary>
    /// The simulator's view of one A fragment: lane (g, t) writes the values its registers a0..a3 hold, at the (row, k)
    /// the header's table gives, into the 16×16 float tile at <paramref name="at"/> of <paramref name="scratch"/>
    /// ([row][k], k &lt; 8 used for tf32). After a warp barrier <see cref="MmaFromStash"/> reads whole rows from it.
    /// </summary>
    public static void StashA(ArrayView<float> scratch, int at, uint a0, uint a1, uint a2, uint a3, int kind, int lane)
    {
        int g = lane >> 2, t = lane & 3, lo = at + g * 16, hi = at + (g + 8) * 16;
        if (kind == Tf32)
        {
            scratch[lo + t] = Widen(a0, kind, false); scratch[hi + t] = Widen(a1, kind, false);
            scratch[lo + t + 4] = Widen(a2, kind, false); scratch[hi + t + 4] = Widen(a3, kind, false);
            return;
        }
        int k = 2 * t;
        scratch[lo + k] = Widen(a0, kind, false); scratch[lo + k + 1] = Widen(a0, kind, true);
        scratch[hi + k] = Widen(a1, kind, false); scratch[hi + k + 1] = Widen(a1, kind, true);
        scratch[lo + k + 8] = Widen(a2, kind, false); scratch[lo + k + 9] = Widen(a2, kind, true);
        scratch[hi + k + 8] = Widen(a3, kind, false); scratch[hi + k + 9] = Widen(a3, kind, true);
    }

    /// <summary>The same for a B fragment (b0, b1) into the 16×8 float tile at <paramref name="at"/> ([k][column]).</summary>
    public static void StashB(ArrayView<float> scratch, int at, uint b0, uint b1, int kind, int lane)
    {
        int g = lane >> 2, t = lane & 3;
        if (kind == Tf32)
        {
            scratch[at + t * 8 + g] = Widen(b0, kind, false);
            scratch[at + (t + 4) * 8 + g] = Widen(b1, kind, false);
            return;
        }
        int k = 2 * t;
        scratch[at + k * 8 + g] = Widen(b0, kind, false); scratch[at + (k + 1) * 8 + g] = Widen(b0, kind, true);
        scratch[at + (k + 8) * 8 + g] = Widen(b1, kind, false); scratch[at + (k + 9) * 8 + g] = Widen(b1, kind, true);
    }

    /// <summary>
    /// The simulator's mma.sync on stashed fragments: lane (g, t) adds row g and g + 8 of A times columns 2t and 2t + 1
    /// of B into its C/D registers d0..d3 (the table's c0..c3), summing k = 0..15 (0..7 for tf32) in float32.
    /// </summary>
    public static void MmaFromStash(ref float d0, ref float d1, ref float d2, ref float d3, ArrayView<float> scratch,
        int aAt, int bAt, int kind, int lane)
    {
        int g = lane >> 2, col = 2 * (lane & 3), kn = kind == Tf32 ? 8 : 16;
        float s0 = d0, s1 = d1, s2 = d2, s3 = d3;
        for (int k = 0; k < kn; k++)
        {
            float lo = scratch[aAt + g * 16 + k], hi = scratch[aAt + (g + 8) * 16 + k];
            float p = scratch[bAt + k * 8 + col], q = scratch[bAt + k * 8 + col + 1];
            s0 += lo * p; s1 += lo * q; s2 += hi * p; s3 += hi * q;
        }
        d0 = s0; d1 = s1; d2 = s2; d3 = s3;
    }

    /// <summary>
    /// The simulator's ldmatrix.x4: lane L receives word L &amp; 3 of row L &gt;&gt; 2 of matrices 0..3, whose word indices in
    /// <paramref name="smem"/> are <paramref name="row0"/>..<paramref name="row3"/> (the caller computes them with the same
    /// function the supplying lanes 8q + (L &gt;&gt; 2) use for their addresses).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LdMatrixX4Emulated(ArrayView<uint> smem, int row0, int row1, int row2, int row3, int lane,
        out uint r0, out uint r1, out uint r2, out uint r3)
    {
        int w = lane & 3;
        r0 = smem[row0 + w]; r1 = smem[row1 + w]; r2 = smem[row2 + w]; r3 = smem[row3 + w];
    }

    /// <summary>
    /// The simulator's ldmatrix.x4.trans: each 8×8 b16 matrix transposed, so lane L receives rows 2(L &amp; 3) and
    /// 2(L &amp; 3) + 1 of column L &gt;&gt; 2, packed low/high; <paramref name="lo0"/>/<paramref name="hi0"/> .. are the word
    /// indices of those two rows of matrices 0..3 (the addresses lanes 8q + 2(L &amp; 3) and 8q + 2(L &amp; 3) + 1 supply).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LdMatrixX4TransEmulated(ArrayView<uint> smem, int lo0, int hi0, int lo1, int hi1, int lo2, int hi2,
        int lo3, int hi3, int lane, out uint r0, out uint r1, out uint r2, out uint r3)
    {
        int col = lane >> 2, word = col >> 1, half = col & 1;
        r0 = Half16(smem[lo0 + word], half) | (Half16(smem[hi0 + word], half) << 16);
        r1 = Half16(smem[lo1 + word], half) | (Half16(smem[hi1 + word], half) << 16);
        r2 = Half16(smem[lo2 + word], half) | (Half16(smem[hi2 + word], half) << 16);
        r3 = Half16(smem[lo3 + word], half) | (Half16(smem[hi3 + word], half) << 16);
    }

    private static uint Half16(uint word, int which) => which == 0 ? word & 0xFFFFu : word >> 16;

    /// <summary>
    /// cp.async.cg.shared.global of 16 bytes to byte <paramref name="sharedOffset"/> past %tcs, the 16-byte aligned shared
    /// base the kernel's register declaration sets (<paramref name="valid"/> false: zero-fill, nothing read). On the
    /// simulator the four words at <paramref name="word"/> of <paramref name="global"/> go to word sharedOffset / 4 of
    /// <paramref name="smem"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyAsync16(int sharedOffset, ulong globalAddress, bool valid, ArrayView<uint> smem, ArrayView<uint> global, long word)
    {
        if (CudaAsm.IsSupported)
        {
            uint size = valid ? 16u : 0u;
            CudaAsm.Emit("{ .reg .u32 p; add.u32 p, %%tcs, %0; cp.async.cg.shared.global [p], [%1], 16, %2; }", (uint)sharedOffset, globalAddress, size);
        }
        else
        {
            int at = sharedOffset >> 2;
            smem[at] = valid ? global[word] : 0u;
            smem[at + 1] = valid ? global[word + 1] : 0u;
            smem[at + 2] = valid ? global[word + 2] : 0u;
            smem[at + 3] = valid ? global[word + 3] : 0u;
        }
    }

    /// <summary>cp.async.commit_group (nothing to do on the simulator: its copies are synchronous).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CommitAsync()
    {
        if (CudaAsm.IsSupported) CudaAsm.Emit("cp.async.commit_group;");
    }

    /// <summary>cp.async.wait_group 1 (all but the newest group landed) or 0 (all landed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WaitAsync(bool allButNewest)
    {
        if (!CudaAsm.IsSupported) return;
        if (allButNewest) CudaAsm.Emit("cp.async.wait_group 1;");
        else CudaAsm.Emit("cp.async.wait_group 0;");
    }

    /// <summary>The simulator's cvt.rna.tf32.f32 on an operand register (nearest, ties away); the identity for bf16/fp16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RoundOperand(uint bits, int kind) => kind == Tf32 ? RoundTf32Bits(bits) : bits;

    /// <summary>
    /// What a tensor core sees of a float32 operand in <paramref name="precision"/>, as a float32: tf32 rounded like
    /// cvt.rna, bf16/fp16 rounded to nearest even like to_half; fp32 unchanged. The host versions round with it.
    /// </summary>
    public static float Round(float x, NativeEngine.Tensors.Precision precision) => precision switch
    {
        NativeEngine.Tensors.Precision.Tf32 => Interop.IntAsFloat(RoundTf32Bits(Interop.FloatAsInt(x))),
        NativeEngine.Tensors.Precision.Bf16 => Interop.IntAsFloat(FloatToBf16(x) << 16),
        NativeEngine.Tensors.Precision.Fp16 => HalfToFloat(FloatToHalf(x)),
        _ => x,
    };

    /// <summary>The rounding code of a precision for kernels that round to 16 bits: 1 bf16, 2 fp16, 0 none (fp32, tf32).</summary>
    public static int HalfCode(NativeEngine.Tensors.Precision precision) =>
        precision == NativeEngine.Tensors.Precision.Bf16 ? 1 : precision == NativeEngine.Tensors.Precision.Fp16 ? 2 : 0;

    /// <summary>x rounded to bf16 (code 1) or fp16 (code 2) to nearest even and widened back; unchanged for code 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundHalf(float x, int code) =>
        code == 1 ? Interop.IntAsFloat(FloatToBf16(x) << 16) : code == 2 ? HalfToFloat(FloatToHalf(x)) : x;

    /// <summary>tf32 rounding on the bits: nearest, ties away from zero; NaN and ±inf unchanged.</summary>
    public static uint RoundTf32Bits(uint bits) =>
        (bits & 0x7F800000u) == 0x7F800000u ? bits : (bits + 0x1000u) & 0xFFFFE000u;

    /// <summary>The float32 value of an operand register's low (or high) element.</summary>
    public static float Widen(uint reg, int kind, bool high)
    {
        if (kind == Tf32) return Interop.IntAsFloat(reg);
        uint h = high ? reg >> 16 : reg & 0xFFFFu;
        return kind == Bf16 ? Interop.IntAsFloat(h << 16) : HalfToFloat(h);
    }

    /// <summary>Exact IEEE binary16 → binary32 on the bits (normals, subnormals, ±0, ±inf, NaN).</summary>
    public static float HalfToFloat(uint h)
    {
        uint sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
        if (exp == 0x1Fu) return Interop.IntAsFloat(sign | 0x7F800000u | (mant << 13));
        if (exp != 0) return Interop.IntAsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
        float v = mant * 5.9604644775390625e-8f; // subnormal: mant · 2^-24, exact in float32
        return sign != 0 ? -v : v;
    }

    /// <summary>float32 → bfloat16 bits, round to nearest even; NaN stays NaN.</summary>
    public static uint FloatToBf16(float f)
    {
        uint x = Interop.FloatAsInt(f);
        if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (x >> 16) | 0x40u;
        return (x + 0x7FFFu + ((x >> 16) & 1u)) >> 16;
    }

    /// <summary>float32 → IEEE binary16 bits, round to nearest even; overflow → ±inf, NaN stays NaN.</summary>
    public static uint FloatToHalf(float f)
    {
        uint x = Interop.FloatAsInt(f);
        uint sign = (x >> 16) & 0x8000u, mant = x & 0x7FFFFFu;
        int exp = (int)((x >> 23) & 0xFFu);
        if (exp == 0xFF) return sign | 0x7C00u | (mant != 0 ? 0x200u : 0u);
        int e = exp - 112;                       // binary16 biased exponent
        if (e >= 31) return sign | 0x7C00u;
        if (e <= 0)
        {
            if (e < -10) return sign;           // below half the smallest subnormal: ±0
            uint m = mant | 0x800000u;
            int shift = 14 - e;
            uint q = m >> shift, rem = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
            if (rem > halfway || (rem == halfway && (q & 1u) != 0)) q++;
            return sign | q;
        }
        uint r = sign | ((uint)e << 10) | (mant >> 13), low = mant & 0x1FFFu;
        if (low > 0x1000u || (low == 0x1000u && (r & 1u) != 0)) r++; // a carry into the exponent rounds up correctly
        return r;
    }
}
