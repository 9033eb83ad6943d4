using System.Buffers.Binary;

namespace NativeEngine.Weights.Torch;

/// <summary>
/// A minimal reader for the uncompressed (STORED) ZIP64 archives torch.save writes: parses the end-of-central-
/// directory record (ZIP64 aware), the central directory and each local header, and hands out the byte range of
/// every record inside the file, so storages can be read straight from a memory mapping. Compressed or encrypted
/// records, names with "..", absolute names and ranges outside the file are refused.
/// </summary>
internal sealed class StoredZip
{
    /// <summary>Most records accepted (a checkpoint has one per storage).</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>One record: its name and the file range of its data.</summary>
    public sealed record Entry(string Name, long DataOffset, long Length, int Method);

    private StoredZip(Dictionary<string, Entry> entries) => Entries = entries;

    /// <summary>Records by name.</summary>
    public IReadOnlyDictionary<string, Entry> Entries { get; }

    /// <summary>Parses the directory of a zip held in a memory-mapped file.</summary>
    public static StoredZip Read(MappedFile file)
    {
        string path = file.Path;
        long length = file.Length;
        // End of central directory: 22 bytes + up to 65535 bytes of comment, searched backwards.
        if (length < 22) throw new CheckpointException(path, $"zip is only {length} bytes (truncated)");
        long tailStart = Math.Max(0, length - 22 - 65535);
        var tail = file.Span(tailStart, length - tailStart);
        long eocd = -1;
        for (int i = tail.Length - 22; i >= 0; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail[i..]) == 0x06054b50) { eocd = tailStart + i; break; }
        if (eocd < 0) throw new CheckpointException(path, "zip has no end-of-central-directory record (truncated or corrupt file)");

        var end = file.Span(eocd, 22);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF)
        {
            long loc = eocd - 20;
            if (loc < 0 || BinaryPrimitives.ReadUInt32LittleEndian(file.Span(loc, 20)) != 0x07064b50)
                throw new CheckpointException(path, "zip needs ZIP64 records but has no ZIP64 locator (corrupt file)");
            long z = (long)BinaryPrimitives.ReadUInt64LittleEndian(file.Span(loc + 8, 8));
            if (z < 0 || z > length - 56 || BinaryPrimitives.ReadUInt32LittleEndian(file.Span(z, 56)) != 0x06064b50)
                throw new CheckpointException(path, "zip's ZIP64 end-of-central-directory record is missing or outside the file");
            var z64 = file.Span(z, 56);
            count = (long)BinaryPrimitives.ReadUInt64LittleEndian(z64[32..]);
            cdSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(z64[40..]);
            cdOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(z64[48..]);
        }
        if (count < 0 || count > MaxEntries) throw new CheckpointException(path, $"zip declares {count} records (limit {MaxEntries})");
        if (cdOffset < 0 || cdSize < 0 || cdOffset > length - cdSize)
            throw new CheckpointException(path, $"zip central directory [{cdOffset}, +{cdSize}) lies outside the {length}-byte file (truncated?)");

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var cd = file.Span(cdOffset, cdSize);
        int p = 0;
        for (long n = 0; n < count; n++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd[p..]) != 0x02014b50)
                throw new CheckpointException(path, $"zip central directory record {n} is corrupt");
            var h = cd[p..];
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            long csize = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long usize = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long local = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            if (p + 46 + nameLen + extraLen + commentLen > cd.Length)
                throw new CheckpointException(path, $"zip central directory record {n} runs past the directory");
            var name = System.Text.Encoding.UTF8.GetString(h.Slice(46, nameLen));
            var extra = h.Slice(46 + nameLen, extraLen);
            // ZIP64 extended information (0x0001): the 0xFFFFFFFF fields, in order usize, csize, local offset.
            for (int e = 0; e + 4 <= extra.Length;)
            {
                int id = BinaryPrimitives.ReadUInt16LittleEndian(extra[e..]), size = BinaryPrimitives.ReadUInt16LittleEndian(extra[(e + 2)..]);
                if (e + 4 + size > extra.Length) break;
                if (id == 1)
                {
                    var x = extra.Slice(e + 4, size);
                    int q = 0;
                    if (usize == 0xFFFFFFFF && q + 8 <= x.Length) { usize = (long)BinaryPrimitives.ReadUInt64LittleEndian(x[q..]); q += 8; }
                    if (csize == 0xFFFFFFFF && q + 8 <= x.Length) { csize = (long)BinaryPrimitives.ReadUInt64LittleEndian(x[q..]); q += 8; }
                    if (local == 0xFFFFFFFF && q + 8 <= x.Length) local = (long)BinaryPrimitives.ReadUInt64LittleEndian(x[q..]);
                }
                e += 4 + size;
            }
            p += 46 + nameLen + extraLen + commentLen;

            if (name.Contains("..", StringComparison.Ordinal) || name.StartsWith('/') || name.Contains('\\') || name.Contains(':'))
                throw new CheckpointException(path, $"zip record name '{name}' is not a plain relative path");
            if ((flags & 1) != 0) throw new CheckpointException(path, $"zip record '{name}' is encrypted");
            if (local < 0 || local > length - 30 || BinaryPrimitives.ReadUInt32LittleEndian(file.Span(local, 30)) != 0x04034b50)
                throw new CheckpointException(path, $"zip record '{name}' has no local header at {local} (truncated or corrupt)");
            var lh = file.Span(local, 30);
            int lName = BinaryPrimitives.ReadUInt16LittleEndian(lh[26..]);
            int lExtra = BinaryPrimitives.ReadUInt16LittleEndian(lh[28..]);
            long data = local + 30 + lName + lExtra;
            if (csize < 0 || usize < 0 || data > length - csize)
                throw new CheckpointException(path, $"zip record '{name}' data [{data}, +{csize}) runs past the end of the {length}-byte file (truncated?)");
            if (method == 0 && csize != usize)
                throw new CheckpointException(path, $"zip record '{name}' is stored but its sizes differ ({csize} vs {usize})");
            if (!entries.TryAdd(name, new Entry(name, data, csize, method)))
                throw new CheckpointException(path, $"zip holds record '{name}' twice");
        }
        return new StoredZip(entries);
    }
}
