using System.Buffers.Binary;
using System.IO.Compression;

namespace NativeEngine.Tests;

/// <summary>
/// Hand-built PNG files, chunk by chunk with valid CRCs: the shapes an encoder never writes (a fixed palette order,
/// rows missing, a header promising 20000², a flipped byte) that the decoders must get right or refuse.
/// </summary>
public static class PngBytes
{
    /// <summary>An IHDR payload: width, height, bit depth 8, <paramref name="colorType"/> (0 grey, 2 RGB, 3 palette).</summary>
    public static byte[] Header(int w, int h, byte colorType)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8;
        ihdr[9] = colorType;
        return ihdr;
    }

    /// <summary>The signature followed by the chunks, each as length, type, data, CRC-32 of type and data.</summary>
    public static byte[] File(params (string Type, byte[] Data)[] chunks)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        foreach (var (type, data) in chunks)
        {
            var head = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
            System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
            ms.Write(head);
            ms.Write(data);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. head[4..], .. data]));
            ms.Write(crc);
        }
        return ms.ToArray();
    }

    /// <summary>IDAT payload: the rows (one byte per pixel), each behind filter byte 0, zlib-compressed.</summary>
    public static byte[] Rows(IEnumerable<byte[]> rows)
    {
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, true))
            foreach (var row in rows) { z.WriteByte(0); z.Write(row); }
        return raw.ToArray();
    }

    /// <summary>An 8-bit palette PNG with a fixed palette order (ImageSharp would pick its own).</summary>
    public static byte[] Palette(int w, int h, byte[] indices, (byte R, byte G, byte B)[] palette) => File(
        ("IHDR", Header(w, h, 3)),
        ("PLTE", palette.SelectMany(c => new[] { c.R, c.G, c.B }).ToArray()),
        ("IDAT", Rows(Enumerable.Range(0, h).Select(y => indices[(y * w)..((y + 1) * w)]))),
        ("IEND", []));

    /// <summary>An 8-bit grey PNG whose header says w×h but whose pixel data holds only the first <paramref name="rows"/> rows.</summary>
    public static byte[] GreyWithRows(int w, int h, int rows) => File(
        ("IHDR", Header(w, h, 0)),
        ("IDAT", Rows(Enumerable.Range(0, rows).Select(_ => Enumerable.Repeat((byte)200, w).ToArray()))),
        ("IEND", []));

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
