using NativeEngine.Weights.SafeTensors;
using NativeEngine.Tensors;

namespace NativeEngine.Weights;

/// <summary>A tensor as a checkpoint declares it: name, element type (safetensors names: F32, F16, BF16, I64…) and shape.</summary>
/// <param name="Name">The name as stored in the file.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, outermost first (empty for a scalar).</param>
public sealed record TensorInfo(string Name, DType DType, long[] Shape)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long Elements => Shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Bytes of the dense little-endian data.</summary>
    public long ByteLength => checked(Elements * DType.SizeOf());

    /// <summary>The shape written as (a,b,c).</summary>
    public string ShapeText => "(" + string.Join(",", Shape) + ")";
}

/// <summary>
/// A read-only set of named tensors from one checkpoint (a safetensors file or shard set, a PyTorch zip, a
/// shape manifest). Data is always handed out dense, row-major and little-endian whatever the file's layout.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file or folder this came from (used in every error message).</summary>
    string Path { get; }

    /// <summary>A short description of the format, e.g. "safetensors" or "pytorch zip (pickle protocol 2)".</summary>
    string Format { get; }

    /// <summary>Every tensor by its stored name.</summary>
    IReadOnlyDictionary<string, TensorInfo> Infos { get; }

    /// <summary>False for a shape-only manifest (reading data then throws).</summary>
    bool HasData { get; }

    /// <summary>
    /// Copies bytes [<paramref name="byteOffset"/>, +destination.Length) of the tensor's dense little-endian
    /// representation into <paramref name="destination"/>.
    /// </summary>
    void ReadBytes(string name, long byteOffset, Span<byte> destination);
}

/// <summary>A source whose tensors already lie dense and little-endian in memory (memory-mapped safetensors).</summary>
public interface ISpanTensorSource : ITensorSource
{
    /// <summary>The tensor's bytes without a copy (valid until the source is disposed).</summary>
    ReadOnlySpan<byte> GetSpan(string name);
}

/// <summary>Helpers over <see cref="ITensorSource"/>.</summary>
public static class TensorSourceExtensions
{
    /// <summary>The whole tensor's dense little-endian bytes.</summary>
    public static byte[] ReadAllBytes(this ITensorSource source, string name)
    {
        var info = source.Get(name);
        var data = new byte[checked((int)info.ByteLength)];
        source.ReadBytes(name, 0, data);
        return data;
    }

    /// <summary>The whole tensor converted to float32.</summary>
    public static float[] ReadAllFloat32(this ITensorSource source, string name)
    {
        var info = source.Get(name);
        return DTypeConvert.ToFloat32(info.DType, source.ReadAllBytes(name));
    }

    /// <summary>The tensor's declaration, or an error naming the file and the tensor.</summary>
    public static TensorInfo Get(this ITensorSource source, string name) => source.Infos.TryGetValue(name, out var i)
        ? i
        : throw new KeyNotFoundException($"{source.Path}: no tensor named '{name}'");
}
