using System.IO.MemoryMappedFiles;

namespace NativeEngine.Weights;

/// <summary>
/// A read-only memory mapping of a whole file with bounds-checked, 64-bit-addressed spans: the one way checkpoint
/// readers (safetensors, PyTorch zip) reach file bytes, so a 1.2 GB checkpoint is never copied through managed arrays.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* basePointer;
    private bool disposed;

    public MappedFile(string path)
    {
        Path = path;
        Length = new FileInfo(path).Length;
        if (Length == 0) return;
        map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        basePointer = p + view.PointerOffset;
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>Bytes [offset, offset+count), or a clear error when they are outside the file.</summary>
    public ReadOnlySpan<byte> Span(long offset, long count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (offset < 0 || count < 0 || offset > Length - count)
            throw new CheckpointException(Path, $"bytes [{offset}, +{count}) lie outside the {Length}-byte file (truncated?)");
        if (count > int.MaxValue) throw new NotSupportedException($"{Path}: a single read of {count} bytes exceeds 2 GB");
        return count == 0 ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(basePointer + offset, (int)count);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        map?.Dispose();
    }
}
