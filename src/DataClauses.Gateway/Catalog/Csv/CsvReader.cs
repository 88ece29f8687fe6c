using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace DataClauses.Gateway.Catalog.Csv;

/// <summary>
/// A streaming RFC 4180 reader over UTF-8 bytes, for French and international CSV files alike: <c>;</c> or
/// <c>,</c> separators (detected from the header line), UTF-8 with or without BOM (Windows-1252 and ISO-8859-15
/// transcoded when declared), quoted fields with doubled quotes and line breaks, CRLF, LF or CR line ends, blank
/// lines skipped. Fields are exposed as byte spans into its buffer: nothing is allocated per record.
/// </summary>
/// <remarks>
/// Usage: <c>while (true) { if (reader.TryReadRecord()) { …use the record… } else if (reader.IsCompleted) break; else await reader.FillAsync(ct); }</c>.
/// A record stays readable until the next <see cref="FillAsync"/>. Lines are physical lines (1-based) and columns
/// are field ordinals (1-based).
/// </remarks>
internal sealed class CsvReader
{
    /// <summary>The default buffer size.</summary>
    public const int DefaultBufferSize = 256 * 1024;

    /// <summary>The longest record accepted (a longer one is almost always an unterminated quote).</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    private const byte Quote = (byte)'"';
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static ReadOnlySpan<byte> Utf16LittleEndianBom => [0xFF, 0xFE];

    private static ReadOnlySpan<byte> Utf16BigEndianBom => [0xFE, 0xFF];

    private readonly Stream _source;
    private byte[] _buffer;
    private byte[]? _raw;
    private byte[][]? _table;
    private byte[] _scratch = new byte[256];
    private int _scratchLength;
    private Field[] _fields = new Field[32];
    private int _start;
    private int _end;
    private bool _started;
    private bool _sourceDone;
    private long _line = 1;

    /// <summary>Creates a reader; <paramref name="charset"/> is the declared encoding (a UTF-8 BOM overrides it).</summary>
    public CsvReader(Stream source, CsvCharset charset, int bufferSize = DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 16);
        _source = source;
        _buffer = new byte[Math.Min(bufferSize, MaxRecordBytes)];
        Charset = charset;
    }

    /// <summary>The encoding being decoded (UTF-8 when a UTF-8 BOM was found, whatever was declared).</summary>
    public CsvCharset Charset { get; private set; }

    /// <summary>The separator, detected on the header line: <c>;</c> or <c>,</c> (0 before).</summary>
    public byte Separator { get; private set; }

    /// <summary>True when a UTF-8 byte order mark started the file.</summary>
    public bool HadByteOrderMark { get; private set; }

    /// <summary>The 1-based physical line where the current record starts.</summary>
    public long RecordLine { get; private set; }

    /// <summary>Records returned so far (the header included; blank lines excluded).</summary>
    public long RecordCount { get; private set; }

    /// <summary>Number of fields of the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>A problem of the current record (encoding, quotes), or null when it is well-formed.</summary>
    public CsvProblem? Problem { get; private set; }

    /// <summary>A problem that stops reading (UTF-16 file, record too long); the rest of the source is not parsed.</summary>
    public CsvProblem? Fatal { get; private set; }

    /// <summary>True when no record remains (end of source, or a fatal problem).</summary>
    public bool IsCompleted => Fatal is not null || (_sourceDone && _start >= _end);

    /// <summary>The bytes of a field of the current record (quotes removed, doubled quotes undone).</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var field = _fields[index];
            return field.InScratch ? _scratch.AsSpan(field.Start, field.Length) : _buffer.AsSpan(field.Start, field.Length);
        }
    }

    /// <summary>Whether a field of the current record was quoted.</summary>
    public bool IsQuoted(int index) => _fields[index].Quoted;

    /// <summary>A field as text (for headers and messages; not for the hot path).</summary>
    public string GetString(int index) => Encoding.UTF8.GetString(this[index]);

    /// <summary>Reads the next record, filling the buffer as needed; false at the end.</summary>
    public async ValueTask<bool> ReadRecordAsync(CancellationToken cancellationToken)
    {
        while (!TryReadRecord())
        {
            if (IsCompleted)
            {
                return false;
            }

            await FillAsync(cancellationToken);
        }

        return true;
    }

    /// <summary>Parses the next record from the buffered bytes; false when more bytes are needed or none remain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadRecord()
    {
        if (!_started || Fatal is not null)
        {
            return false;
        }

        while (true)
        {
            if (Separator == 0 && !DetectSeparator())
            {
                return false;
            }

            if (_start >= _end || !ParseRecord())
            {
                return false;
            }

            // A blank line is no record; an unquoted empty single field is all it can be.
            if (FieldCount == 1 && _fields[0].Length == 0 && !_fields[0].Quoted && Problem is null)
            {
                continue;
            }

            RecordCount++;
            return true;
        }
    }

    /// <summary>Reads more bytes from the source (the current record is no longer readable afterwards).</summary>
    public async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_sourceDone || Fatal is not null)
        {
            return;
        }

        if (!_started)
        {
            await StartAsync(cancellationToken);
            return;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        // The transcoded bytes of a read may take three times its size.
        var needed = _table is null ? 1 : 3;
        if (_buffer.Length - _end < needed * 16)
        {
            if (_buffer.Length >= MaxRecordBytes)
            {
                Fatal = new CsvProblem(
                    CsvErrorClass.Structure,
                    "record-too-long",
                    _line,
                    0,
                    $"A record is longer than {MaxRecordBytes.ToString(CultureInfo.InvariantCulture)} bytes: a quote is probably not closed.");
                return;
            }

            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxRecordBytes));
        }

        if (_table is null)
        {
            var read = await _source.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                _sourceDone = true;
            }

            _end += read;
            return;
        }

        var space = Math.Min(_raw!.Length, (_buffer.Length - _end) / 3);
        var count = await _source.ReadAsync(_raw.AsMemory(0, space), cancellationToken);
        if (count == 0)
        {
            _sourceDone = true;
            return;
        }

        _end += CsvCharsets.Transcode(_table, _raw.AsSpan(0, count), _buffer.AsSpan(_end));
    }

    /// <summary>Reads and discards the rest of the source (so that the client's upload completes).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (_sourceDone)
        {
            return;
        }

        var sink = _raw ?? _buffer;
        while (await _source.ReadAsync(sink, cancellationToken) > 0)
        {
        }

        _sourceDone = true;
    }

    /// <summary>Reads the first bytes: a UTF-8 BOM is skipped (and wins over a declared charset); UTF-16 is refused.</summary>
    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        var prefix = new byte[3];
        var length = 0;
        while (length < prefix.Length)
        {
            var read = await _source.ReadAsync(prefix.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                _sourceDone = true;
                break;
            }

            length += read;
        }

        var bytes = prefix.AsSpan(0, length);
        if (bytes.StartsWith(Utf8Bom))
        {
            HadByteOrderMark = true;
            Charset = CsvCharset.Utf8;
            return;
        }

        // A CSV file never starts with a NUL byte: one in the first two bytes is UTF-16 without byte order mark.
        if (bytes.StartsWith(Utf16LittleEndianBom) || bytes.StartsWith(Utf16BigEndianBom) || (length >= 2 && (bytes[0] == 0 || bytes[1] == 0)))
        {
            Fatal = new CsvProblem(
                CsvErrorClass.Encoding,
                "utf16",
                1,
                0,
                "The file is UTF-16 (Excel's 'Unicode text'): re-save it as UTF-8 ('CSV UTF-8') or Windows-1252 and declare the charset.");
            return;
        }

        if (Charset != CsvCharset.Utf8)
        {
            _table = CsvCharsets.TableOf(Charset);
            _raw = new byte[Math.Max(16, _buffer.Length / 3)];
            _end = CsvCharsets.Transcode(_table, bytes, _buffer);
        }
        else
        {
            bytes.CopyTo(_buffer);
            _end = length;
        }
    }

    /// <summary>Chooses the separator from the header line: the more frequent of <c>;</c> and <c>,</c> outside quotes.</summary>
    private bool DetectSeparator()
    {
        // Line breaks before the header are blank lines.
        while (_start < _end && _buffer[_start] is Cr or Lf)
        {
            if (_buffer[_start] == Cr && _start + 1 >= _end && !_sourceDone)
            {
                // A CR at the end of the buffer may be the first half of a CRLF.
                return false;
            }

            _start += _buffer[_start] == Cr && _start + 1 < _end && _buffer[_start + 1] == Lf ? 2 : 1;
            _line++;
        }

        var data = _buffer.AsSpan(_start, _end - _start);
        var lineEnd = data.IndexOfAny(Cr, Lf);
        if (lineEnd < 0)
        {
            if (!_sourceDone)
            {
                return false;
            }

            lineEnd = data.Length;
        }

        // Excel may write a first line "sep=;" naming the separator: it is no header.
        var first = data[..lineEnd];
        if (first.Length == 5 && first.StartsWith("sep="u8) && first[4] is (byte)';' or (byte)',')
        {
            Separator = first[4];
            _start += lineEnd;
            if (_start < _end && _buffer[_start] == Cr)
            {
                if (_start + 1 >= _end && !_sourceDone)
                {
                    // Keep the CR: the next call sees it as a blank line, CRLF or not.
                    return true;
                }

                _start += _start + 1 < _end && _buffer[_start + 1] == Lf ? 2 : 1;
            }
            else if (_start < _end)
            {
                _start++;
            }

            _line++;
            return true;
        }

        int semicolons = 0, commas = 0;
        var quoted = false;
        foreach (var b in data[..lineEnd])
        {
            switch (b)
            {
                case Quote:
                    quoted = !quoted;
                    break;
                case (byte)';' when !quoted:
                    semicolons++;
                    break;
                case (byte)',' when !quoted:
                    commas++;
                    break;
            }
        }

        Separator = commas > semicolons ? (byte)',' : (byte)';';
        return true;
    }

    /// <summary>Parses one record at <see cref="_start"/>; false when it runs past the buffered bytes (and more may come).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ParseRecord()
    {
        var buffer = _buffer;
        var end = _end;
        var separator = Separator;
        var final = _sourceDone;
        var recordStart = _start;
        var pos = _start;
        var lineBreaks = 0L;
        FieldCount = 0;
        _scratchLength = 0;
        Problem = null;
        RecordLine = _line;

        while (true)
        {
            var rawStart = pos;
            if (pos < end && buffer[pos] == Quote)
            {
                pos++;
                var segment = pos;
                var escaped = false;
                var scratchStart = _scratchLength;
                int contentEnd;
                while (true)
                {
                    var quote = buffer.AsSpan(pos, end - pos).IndexOf(Quote);
                    if (quote < 0)
                    {
                        if (!final)
                        {
                            return false;
                        }

                        SetProblem(new CsvProblem(
                            CsvErrorClass.Structure,
                            "unterminated-quote",
                            _line + lineBreaks,
                            FieldCount + 1,
                            "A quoted field is not closed before the end of the file (a '\"' is missing)."));
                        contentEnd = end;
                        pos = end;
                        break;
                    }

                    var at = pos + quote;
                    if (at + 1 >= end && !final)
                    {
                        // Whether the quote is doubled depends on the next byte.
                        return false;
                    }

                    if (at + 1 < end && buffer[at + 1] == Quote)
                    {
                        AppendScratch(buffer.AsSpan(segment, at + 1 - segment));
                        escaped = true;
                        pos = at + 2;
                        segment = pos;
                        continue;
                    }

                    contentEnd = at;
                    pos = at + 1;
                    break;
                }

                if (escaped)
                {
                    AppendScratch(buffer.AsSpan(segment, contentEnd - segment));
                    AddField(new Field(scratchStart, _scratchLength - scratchStart, rawStart, InScratch: true, Quoted: true));
                }
                else
                {
                    AddField(new Field(segment, contentEnd - segment, rawStart, InScratch: false, Quoted: true));
                }

                lineBreaks += CountLineBreaks(buffer.AsSpan(rawStart, pos - rawStart));
                if (pos >= end)
                {
                    if (!final)
                    {
                        return false;
                    }

                    break;
                }

                var next = buffer[pos];
                if (next == separator)
                {
                    pos++;
                    continue;
                }

                if (next is not (Cr or Lf))
                {
                    // Text after a closing quote: report it and resume at the next separator or line end.
                    SetProblem(new CsvProblem(
                        CsvErrorClass.Structure,
                        "text-after-quote",
                        _line + lineBreaks,
                        FieldCount,
                        "Unexpected text after a closing quote: a quote inside a quoted field must be doubled (\"\")."));
                    var resume = buffer.AsSpan(pos, end - pos).IndexOfAny(separator, Cr, Lf);
                    if (resume < 0)
                    {
                        if (!final)
                        {
                            return false;
                        }

                        pos = end;
                        break;
                    }

                    pos += resume;
                    if (buffer[pos] == separator)
                    {
                        pos++;
                        continue;
                    }
                }
            }
            else
            {
                var stop = buffer.AsSpan(pos, end - pos).IndexOfAny(separator, Cr, Lf);
                if (stop < 0)
                {
                    if (!final)
                    {
                        return false;
                    }

                    AddField(new Field(pos, end - pos, rawStart, InScratch: false, Quoted: false));
                    pos = end;
                    break;
                }

                AddField(new Field(pos, stop, rawStart, InScratch: false, Quoted: false));
                pos += stop;
                if (buffer[pos] == separator)
                {
                    pos++;
                    continue;
                }
            }

            // A line break ends the record: CRLF, LF or a lone CR.
            if (buffer[pos] == Cr)
            {
                if (pos + 1 >= end && !final)
                {
                    return false;
                }

                pos += pos + 1 < end && buffer[pos + 1] == Lf ? 2 : 1;
            }
            else
            {
                pos++;
            }

            lineBreaks++;
            break;
        }

        if (Charset == CsvCharset.Utf8)
        {
            CheckUtf8(buffer.AsSpan(recordStart, pos - recordStart), recordStart);
        }

        _start = pos;
        _line += lineBreaks;
        return true;
    }

    /// <summary>Reports the first byte that is not UTF-8, with its line and field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CheckUtf8(ReadOnlySpan<byte> record, int recordStart)
    {
        if (Utf8.IsValid(record))
        {
            return;
        }

        var offset = 0;
        while (offset < record.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(record[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                break;
            }

            offset += consumed;
        }

        var column = 1;
        for (var i = 0; i < FieldCount; i++)
        {
            if (_fields[i].RawStart - recordStart <= offset)
            {
                column = i + 1;
            }
        }

        // Encoding wins over any structure problem of the same record: it explains it.
        Problem = new CsvProblem(
            CsvErrorClass.Encoding,
            "invalid-utf8",
            RecordLine + CountLineBreaks(record[..offset]),
            column,
            $"Byte 0x{record[offset]:X2} is not valid UTF-8: the file is not UTF-8. Re-save it as UTF-8 (Excel: 'CSV UTF-8') or declare its encoding with 'Content-Type: text/csv; charset=windows-1252'.");
    }

    private void SetProblem(CsvProblem problem) => Problem ??= problem;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddField(Field field)
    {
        if (FieldCount == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[FieldCount++] = field;
    }

    private void AppendScratch(ReadOnlySpan<byte> bytes)
    {
        if (_scratchLength + bytes.Length > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchLength + bytes.Length));
        }

        bytes.CopyTo(_scratch.AsSpan(_scratchLength));
        _scratchLength += bytes.Length;
    }

    /// <summary>Line breaks in a span: LF, CRLF and lone CR each count once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long CountLineBreaks(ReadOnlySpan<byte> bytes)
    {
        long count = bytes.Count(Lf);
        if (bytes.IndexOf(Cr) < 0)
        {
            return count;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == Cr && (i + 1 >= bytes.Length || bytes[i + 1] != Lf))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Where a field's bytes are.</summary>
    private readonly record struct Field(int Start, int Length, int RawStart, bool InScratch, bool Quoted);
}
