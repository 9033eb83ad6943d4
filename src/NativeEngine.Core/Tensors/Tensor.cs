using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using NativeEngine.Runtime;

namespace NativeEngine.Tensors;

/// <summary>
/// A dense, contiguous, row-major tensor in device memory. A tensor either owns a pooled buffer (returned to the
/// device's <see cref="TensorPool"/> on Dispose) or is a view of another tensor's storage (Reshape, Slice) that
/// owns nothing. Host transfers are explicit: <see cref="FromHost{T}"/>, <see cref="ToHost{T}"/>.
/// </summary>
public sealed class Tensor : IDisposable
{
    private MemoryBuffer1D<byte, Stride1D.Dense>? owned;
    private readonly ArrayView<byte> bytes;
    private readonly StorageState state; // shared by a tensor and all its views

    private Tensor(ComputeDevice device, Shape shape, DType dtype, ArrayView<byte> bytes, MemoryBuffer1D<byte, Stride1D.Dense>? owned,
        StorageState? state = null)
    {
        Device = device;
        Shape = shape;
        DType = dtype;
        this.bytes = bytes;
        this.owned = owned;
        this.state = state ?? new StorageState();
    }

    // Whether the storage is declared constant, and how often it was declared modified since.
    private sealed class StorageState
    {
        public long Generation;
        public volatile bool Constant;
    }

    /// <summary>
    /// True once <see cref="MarkConstant"/> declared the storage constant (model weights): host versions may then keep
    /// data derived from it (the host GEMM's packed weight panels), keyed on this tensor and <see cref="Generation"/>.
    /// Shared with every view of the same storage.
    /// </summary>
    public bool IsConstant => state.Constant;

    /// <summary>Counts the writes declared on this storage (<see cref="MarkModified"/>, <see cref="CopyTo"/> into it);
    /// shared with every view. A cache built from a constant tensor is valid while its generation is unchanged.</summary>
    public long Generation => Interlocked.Read(ref state.Generation);

    /// <summary>
    /// Declares the storage constant from now on (weights after loading) and returns this tensor. Whoever writes it
    /// afterwards through a host pointer, a view or a kernel must call <see cref="MarkModified"/>, or caches derived from
    /// it (packed GEMM panels) go stale; <see cref="CopyTo"/> does so itself.
    /// </summary>
    public Tensor MarkConstant()
    {
        state.Constant = true;
        return this;
    }

    /// <summary>Declares that the storage was written: bumps <see cref="Generation"/>, so caches derived from it are rebuilt.</summary>
    public void MarkModified() => Interlocked.Increment(ref state.Generation);

    /// <summary>The device holding the storage.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long Length => Shape.Elements;

    /// <summary>True when this tensor owns its storage (false for views).</summary>
    public bool OwnsStorage => owned is not null;

    /// <summary>Allocates an uninitialised tensor from the device's pool.</summary>
    public static Tensor Empty(ComputeDevice device, Shape shape, DType dtype = DType.Float32)
    {
        long n = shape.Elements * dtype.SizeOf();
        var buffer = device.Pool.Rent(Math.Max(n, 1));
        return new Tensor(device, shape, dtype, buffer.View.SubView(0, n), buffer);
    }

    /// <summary>Allocates a tensor filled with zeros.</summary>
    public static Tensor Zeros(ComputeDevice device, Shape shape, DType dtype = DType.Float32)
    {
        var t = Empty(device, shape, dtype);
        t.bytes.MemSetToZero();
        return t;
    }

    /// <summary>Copies host data into a new tensor (float32 for float[], u8 for byte[], i32 for int[], f16/bf16 for ushort[] with <paramref name="dtype"/>).</summary>
    public static Tensor FromSpan<T>(ComputeDevice device, Shape shape, ReadOnlySpan<T> data, DType? dtype = null) where T : unmanaged
    {
        var dt = dtype ?? DefaultDType<T>();
        if (dt.SizeOf() != Marshal.SizeOf<T>())
            throw new ArgumentException($"{typeof(T).Name} data cannot fill a {dt.Name()} tensor");
        if (data.Length != shape.Elements)
            throw new ArgumentException($"shape {shape} needs {shape.Elements} elements, got {data.Length}");
        var t = Empty(device, shape, dt);
        device.CountUpload();
        t.bytes.Cast<T>().SubView(0, data.Length).CopyFromCPU(data.ToArray());
        return t;
    }

    /// <summary>Copies host float data into a new float32 tensor.</summary>
    public static Tensor FromHost(ComputeDevice device, Shape shape, float[] data) => FromSpan<float>(device, shape, data);

    /// <summary>Copies the tensor to a new host array (waits for pending work).</summary>
    public T[] ToHost<T>() where T : unmanaged
    {
        if (DType.SizeOf() != Marshal.SizeOf<T>())
            throw new InvalidOperationException($"cannot read a {DType.Name()} tensor as {typeof(T).Name}");
        var result = new T[Length];
        Device.CountDownload();
        if (Length > 0) bytes.Cast<T>().SubView(0, Length).CopyToCPU(result);
        return result;
    }

    /// <summary>Copies a float32 tensor to the host.</summary>
    public float[] ToHostFloat() => ToHost<float>();

    /// <summary>The storage as float32 elements (throws for other dtypes).</summary>
    public ArrayView<float> View => DType == DType.Float32
        ? Cast<float>()
        : throw new InvalidOperationException($"tensor {Shape} is {DType.Name()}, a float32 view was asked for");

    /// <summary>The storage reinterpreted as <typeparamref name="T"/> elements.</summary>
    public ArrayView<T> Cast<T>() where T : unmanaged => bytes.Cast<T>().SubView(0, bytes.Length / Marshal.SizeOf<T>());

    /// <summary>
    /// The storage as a host span, in place (no copy): valid on the host backend and the simulator, whose tensors
    /// live in host memory (<see cref="ComputeDevice.HasHostMemory"/>). Host versions of ops read and write tensors
    /// through it. Kernels on ILGPU's CPU accelerator have finished when their launch returns, so no sync is needed.
    /// </summary>
    public unsafe Span<T> HostSpan<T>() where T : unmanaged
    {
        long n = bytes.Length / sizeof(T);
        if (n > int.MaxValue)
            throw new InvalidOperationException($"tensor {Shape} has {n} elements: a host span holds at most 2³¹−1");
        return new Span<T>(HostPointer<T>(), (int)n);
    }

    /// <summary>The storage's first element as a host pointer (see <see cref="HostSpan{T}"/>); stays valid while the
    /// tensor (or, for a view, its owner) is alive.</summary>
    public unsafe T* HostPointer<T>() where T : unmanaged
    {
        if (!Device.HasHostMemory)
            throw new InvalidOperationException(
                $"tensor {Shape} lives in {Device.Kind} device memory: host code can only touch tensors of the host backend or the simulator (copy with ToHost)");
        return bytes.Length == 0 ? null : (T*)bytes.LoadEffectiveAddressAsPtr();
    }

    /// <summary>
    /// A view of this storage's first bytes as <paramref name="shape"/> of <paramref name="dtype"/> (no copy): how a
    /// <see cref="Workspace"/> hands out a kept buffer at the shape of the call.
    /// </summary>
    internal Tensor Reinterpret(Shape shape, DType dtype)
    {
        long n = shape.Elements * dtype.SizeOf();
        if (n > bytes.Length)
            throw new ArgumentException($"a {shape} {dtype.Name()} view needs {n} bytes, the storage holds {bytes.Length}");
        return new Tensor(Device, shape, dtype, bytes.SubView(0, n), null);
    }

    /// <summary>A view with another shape of the same element count (no copy).</summary>
    public Tensor Reshape(params int[] dims)
    {
        // One -1 is inferred, as torch.reshape does.
        int infer = Array.IndexOf(dims, -1);
        if (infer >= 0)
        {
            long known = 1;
            for (int i = 0; i < dims.Length; i++) if (i != infer) known *= dims[i];
            dims = (int[])dims.Clone();
            dims[infer] = known == 0 ? 0 : (int)(Length / known);
        }
        var shape = new Shape(dims);
        if (shape.Elements != Length)
            throw new ArgumentException($"cannot reshape {Shape} ({Length} elements) to {shape}");
        return new Tensor(Device, shape, DType, bytes, null, state);
    }

    /// <summary>A view of rows [start, start+count) along the first dimension (no copy).</summary>
    public Tensor Slice(int start, int count)
    {
        if (Shape.Rank == 0 || start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start},{start + count}) outside {Shape}");
        long row = Length / Math.Max(Shape[0], 1) * DType.SizeOf();
        var dims = Shape.ToArray();
        dims[0] = count;
        return new Tensor(Device, new Shape(dims), DType, bytes.SubView(start * row, count * row), null, state);
    }

    /// <summary>Copies this tensor's contents into <paramref name="destination"/> (same dtype and element count).</summary>
    public void CopyTo(Tensor destination)
    {
        if (destination.DType != DType || destination.Length != Length)
            throw new ArgumentException($"copy {Shape} {DType.Name()} into {destination.Shape} {destination.DType.Name()}: sizes differ");
        bytes.CopyTo(destination.bytes);
        destination.MarkModified();
    }

    /// <summary>Throws unless the shape is exactly <paramref name="dims"/>; <paramref name="what"/> names the tensor.</summary>
    public Tensor Expect(string what, params int[] dims)
    {
        if (!Shape.Equals(new Shape(dims)))
            throw new ArgumentException($"{what}: expected shape {new Shape(dims)}, got {Shape}");
        return this;
    }

    private static DType DefaultDType<T>() => typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(byte) ? DType.UInt8
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(ushort) ? DType.Float16
        : throw new ArgumentException($"no default dtype for {typeof(T).Name}");

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{Shape} {DType.Name()}";

    /// <summary>Returns owned storage to the pool; views do nothing.</summary>
    public void Dispose()
    {
        if (owned is null) return;
        Device.Pool.Return(owned);
        owned = null;
    }
}
