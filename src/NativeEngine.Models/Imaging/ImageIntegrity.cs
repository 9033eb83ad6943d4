using System.Buffers.Binary;
using System.IO.Compression;

namespace NativeEngine.Models.Imaging;

/// <summary>
/// Structural checks of PNG and JPEG bytes before decoding, because the decoder fills what is missing with zeros and
/// reports success: a PNG whose header promises 10000 rows but whose data holds 10 decodes "fine". A PNG must be a
/// chain of whole chunks with correct CRCs from IHDR to IEND, and its IDAT data must inflate to every row the header
/// promises; a JPEG must be a chain of whole marker segments (APPn thumbnails skipped by their lengths) whose entropy
/// data reaches the EOI marker. Every failure is an <see cref="InvalidDataException"/> naming the file and the damage.
/// </summary>
public static class ImageIntegrity
{
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Checks a PNG (signature already sniffed).</summary>
    public static void CheckPng(byte[] data, string name)
    {
        const string Fix = "; the file is damaged or cut short: re-download or re-export it";
        int pos = 8;
        bool sawIend = false;
        int width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
        using var idat = new MemoryStream();
        while (!sawIend)
        {
            if (pos + 12 > data.Length)
                throw new InvalidDataException($"{name}: truncated PNG: it ends at byte {data.Length} before its IEND chunk{Fix}");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(data, pos + 4, 4);
            if (length > int.MaxValue || pos + 12L + length > data.Length)
                throw new InvalidDataException($"{name}: truncated PNG: chunk '{Printable(type)}' at byte {pos} declares {length} bytes but the file has {data.Length - pos - 12} left{Fix}");
            var body = data.AsSpan(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos + 8 + (int)length));
            if (Crc(data.AsSpan(pos + 4, 4 + (int)length)) != stored)
                throw new InvalidDataException($"{name}: corrupt PNG: chunk '{Printable(type)}' at byte {pos} fails its CRC check{Fix}");
            if (pos == 8)
            {
                if (type != "IHDR" || length != 13) throw new InvalidDataException($"{name}: corrupt PNG: the first chunk is '{Printable(type)}', not a 13-byte IHDR{Fix}");
                width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body), int.MaxValue);
                height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body[4..]), int.MaxValue);
                (depth, colour, interlace) = (body[8], body[9], body[12]);
            }
            if (type == "IDAT") idat.Write(body);
            sawIend = type == "IEND";
            pos += 12 + (int)length;
        }
        if (idat.Length == 0) throw new InvalidDataException($"{name}: corrupt PNG: no image data (IDAT) chunk{Fix}");
        long expected = PixelDataBytes(width, height, depth, colour, interlace)
            ?? throw new InvalidDataException($"{name}: corrupt PNG: colour type {colour} with bit depth {depth} is not a valid combination{Fix}");
        idat.Position = 0;
        long got = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            for (int n; got < expected && (n = z.Read(buffer)) > 0;) got += n;
        }
        catch (InvalidDataException)
        {
            throw new InvalidDataException($"{name}: corrupt PNG: its compressed pixel data cannot be inflated{Fix}");
        }
        if (got < expected)
            throw new InvalidDataException(interlace == 0
                ? $"{name}: truncated PNG: pixel data for {got / (expected / height)} of its {height} rows{Fix}"
                : $"{name}: truncated PNG: {got} of the {expected} bytes of interlaced pixel data{Fix}");
    }

    /// <summary>Checks a JPEG (SOI already sniffed): whole segments, at least one frame and scan, and the EOI marker reached.</summary>
    public static void CheckJpeg(byte[] data, string name)
    {
        const string Fix = "; the file is damaged or cut short: re-download or re-export it";
        int pos = 2;
        bool frame = false, scan = false;
        while (true)
        {
            if (pos >= data.Length || data[pos] != 0xFF)
                throw new InvalidDataException(pos >= data.Length
                    ? $"{name}: truncated JPEG: it ends at byte {data.Length} before its end-of-image marker{Fix}"
                    : $"{name}: corrupt JPEG: expected a marker at byte {pos}{Fix}");
            while (pos < data.Length && data[pos] == 0xFF) pos++; // fill bytes
            if (pos >= data.Length) continue;
            byte marker = data[pos++];
            if (marker == 0xD9)
            {
                if (!frame || !scan) throw new InvalidDataException($"{name}: corrupt JPEG: no {(frame ? "scan" : "frame")} before the end-of-image marker{Fix}");
                return;
            }
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue; // RSTn, TEM: no length
            if (pos + 2 > data.Length) continue;
            int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos));
            if (length < 2 || pos + length > data.Length)
                throw new InvalidDataException($"{name}: truncated JPEG: segment 0x{marker:X2} at byte {pos - 2} declares {length} bytes but the file has {data.Length - pos} left{Fix}");
            pos += length;
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC)) frame = true;
            if (marker != 0xDA) continue;
            scan = true;
            // Entropy-coded data: runs until a marker other than a stuffed FF00 or a restart marker.
            while (pos + 1 < data.Length && !(data[pos] == 0xFF && data[pos + 1] != 0x00 && data[pos + 1] is not (>= 0xD0 and <= 0xD7))) pos++;
            if (pos + 1 >= data.Length)
                throw new InvalidDataException($"{name}: truncated JPEG: its image data ends at byte {data.Length} without an end-of-image marker{Fix}");
        }
    }

    // Filtered scanline bytes the header promises: one filter byte per row plus the packed pixels, per Adam7 pass if interlaced.
    private static long? PixelDataBytes(int width, int height, int depth, int colour, int interlace)
    {
        int? channels = colour switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => null };
        bool ok = channels is not null && depth switch
        {
            1 or 2 or 4 => colour is 0 or 3,
            8 => true,
            16 => colour != 3,
            _ => false,
        };
        if (!ok || width <= 0 || height <= 0 || interlace > 1) return null;
        long bits = (long)channels!.Value * depth;
        long Rows(long w, long h) => w == 0 || h == 0 ? 0 : h * (1 + (w * bits + 7) / 8);
        if (interlace == 0) return Rows(width, height);
        ReadOnlySpan<int> passes = [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];
        long total = 0;
        for (int p = 0; p < 7; p++)
        {
            int x0 = passes[4 * p], y0 = passes[4 * p + 1], dx = passes[4 * p + 2], dy = passes[4 * p + 3];
            total += Rows((width - x0 + dx - 1) / dx, (height - y0 + dy - 1) / dy);
        }
        return total;
    }

    private static string Printable(string type) => new(type.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
