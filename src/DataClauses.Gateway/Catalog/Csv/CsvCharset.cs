using System.Text;

namespace DataClauses.Gateway.Catalog.Csv;

/// <summary>The encodings an upload may be in. Anything else is refused with 415.</summary>
internal enum CsvCharset
{
    /// <summary>UTF-8, with or without byte order mark (the default).</summary>
    Utf8,

    /// <summary>Windows-1252 (what Excel on Windows writes as "CSV"); also declared as iso-8859-1 or latin1, as browsers do.</summary>
    Windows1252,

    /// <summary>ISO-8859-15 (Latin-9, with the euro sign).</summary>
    Latin9,
}

/// <summary>Reads the charset a Content-Type declares, and transcodes single-byte charsets to UTF-8.</summary>
internal static class CsvCharsets
{
    private static readonly byte[][] Windows1252Table = BuildTable(1252);
    private static readonly byte[][] Latin9Table = BuildTable(28605);

    /// <summary>The wire name of a charset.</summary>
    public static string ToWire(CsvCharset charset) => charset switch
    {
        CsvCharset.Windows1252 => "windows-1252",
        CsvCharset.Latin9 => "iso-8859-15",
        _ => "utf-8",
    };

    /// <summary>
    /// The charset named by a <c>charset</c> parameter (null or empty: UTF-8). ISO-8859-1 and its aliases mean
    /// Windows-1252, as in the WHATWG Encoding standard: files labelled Latin-1 are nearly always Windows-1252.
    /// </summary>
    public static bool TryParse(string? name, out CsvCharset charset)
    {
        charset = CsvCharset.Utf8;
        if (string.IsNullOrWhiteSpace(name))
        {
            return true;
        }

        switch (name.Trim().Trim('"').ToLowerInvariant())
        {
            case "utf-8" or "utf8" or "us-ascii" or "ascii":
                return true;
            case "windows-1252" or "cp1252" or "x-cp1252" or "iso-8859-1" or "iso8859-1" or "latin1" or "l1" or "iso_8859-1":
                charset = CsvCharset.Windows1252;
                return true;
            case "iso-8859-15" or "iso8859-15" or "latin9" or "l9" or "iso_8859-15":
                charset = CsvCharset.Latin9;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The UTF-8 bytes of each byte of a single-byte charset.</summary>
    public static byte[][] TableOf(CsvCharset charset) => charset == CsvCharset.Latin9 ? Latin9Table : Windows1252Table;

    /// <summary>
    /// Transcodes <paramref name="source"/> into <paramref name="destination"/>, which must hold three bytes per
    /// source byte; returns the bytes written.
    /// </summary>
    public static int Transcode(byte[][] table, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var written = 0;
        while (!source.IsEmpty)
        {
            // Copy runs of ASCII at once: most of a CSV file is ASCII.
            var ascii = source.IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
            if (ascii < 0)
            {
                ascii = source.Length;
            }

            source[..ascii].CopyTo(destination[written..]);
            written += ascii;
            source = source[ascii..];
            if (source.IsEmpty)
            {
                break;
            }

            var encoded = table[source[0]];
            encoded.CopyTo(destination[written..]);
            written += encoded.Length;
            source = source[1..];
        }

        return written;
    }

    private static byte[][] BuildTable(int codePage)
    {
        var encoding = CodePagesEncodingProvider.Instance.GetEncoding(codePage)
            ?? throw new InvalidOperationException($"Code page {codePage} is not available.");
        var table = new byte[256][];
        for (var b = 0; b < 256; b++)
        {
            var text = encoding.GetString([(byte)b]);
            table[b] = Encoding.UTF8.GetBytes(text);
        }

        return table;
    }
}
