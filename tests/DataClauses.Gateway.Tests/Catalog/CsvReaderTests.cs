using System.Text;
using DataClauses.Gateway.Catalog.Csv;

namespace DataClauses.Gateway.Tests.Catalog;

public sealed class CsvReaderTests
{
    private static readonly byte[] Windows1252E = [0xE9];

    [Fact]
    public async Task Semicolon_separated_french_file_is_split_on_semicolons()
    {
        var (records, reader) = await ReadAsync("a;b;c\r\n1,5;x;y\r\n");

        reader.Separator.ShouldBe((byte)';');
        records.Select(r => r.Fields).ShouldBe([["a", "b", "c"], ["1,5", "x", "y"]]);
    }

    [Fact]
    public async Task Comma_separated_file_is_split_on_commas()
    {
        var (records, reader) = await ReadAsync("a,b,c\n1.5,x,y\n");

        reader.Separator.ShouldBe((byte)',');
        records[1].Fields.ShouldBe(["1.5", "x", "y"]);
    }

    [Fact]
    public async Task Separator_counts_ignore_quoted_header_names()
    {
        var (records, reader) = await ReadAsync("\"a;1\",\"b;2\",c\n1,2,3\n");

        reader.Separator.ShouldBe((byte)',');
        records[0].Fields.ShouldBe(["a;1", "b;2", "c"]);
    }

    [Fact]
    public async Task Utf8_byte_order_mark_is_skipped()
    {
        var bytes = (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("qpv;n\nQN04401M;1\n")];

        var (records, reader) = await ReadAsync(bytes);

        reader.HadByteOrderMark.ShouldBeTrue();
        records[0].Fields[0].ShouldBe("qpv");
        records.ShouldAllBe(r => r.Problem == null);
    }

    [Fact]
    public async Task Crlf_lf_and_lone_cr_all_end_records_and_count_as_lines()
    {
        var (records, _) = await ReadAsync("h1;h2\r\na;1\nb;2\rc;3\r\n");

        records.Select(r => r.Fields[0]).ShouldBe(["h1", "a", "b", "c"]);
        records.Select(r => r.Line).ShouldBe([1L, 2L, 3L, 4L]);
    }

    [Fact]
    public async Task Quoted_fields_keep_separators_and_undouble_quotes()
    {
        var (records, _) = await ReadAsync("a;b;c\r\n\"x;y\";\"il a dit \"\"oui\"\"\";\"\"\r\n");

        records[1].Fields.ShouldBe(["x;y", "il a dit \"oui\"", string.Empty]);
        records[1].Problem.ShouldBeNull();
    }

    [Fact]
    public async Task Line_breaks_inside_quotes_stay_in_the_field_and_later_lines_are_still_counted()
    {
        var (records, _) = await ReadAsync("a;b\r\n\"ligne 1\r\nligne 2\nligne 3\";x\r\nsuite;y\r\n");

        records[1].Fields[0].ShouldBe("ligne 1\r\nligne 2\nligne 3");
        records[1].Line.ShouldBe(2);
        records[2].Fields.ShouldBe(["suite", "y"]);
        records[2].Line.ShouldBe(5);
    }

    [Fact]
    public async Task Blank_lines_are_skipped_but_counted()
    {
        var (records, _) = await ReadAsync("\r\n\r\na;b\r\n\r\n1;2\n\n\n3;4\r\n\r\n");

        records.Select(r => r.Fields[0]).ShouldBe(["a", "1", "3"]);
        records.Select(r => r.Line).ShouldBe([3L, 5L, 8L]);
    }

    [Fact]
    public async Task Trailing_separator_gives_an_empty_last_field()
    {
        var (records, _) = await ReadAsync("a;b;\r\n1;2;\r\n");

        records[0].Fields.ShouldBe(["a", "b", string.Empty]);
        records[1].Fields.ShouldBe(["1", "2", string.Empty]);
    }

    [Fact]
    public async Task Last_record_without_line_break_is_read()
    {
        var (records, _) = await ReadAsync("a;b\n1;2");

        records[1].Fields.ShouldBe(["1", "2"]);
    }

    [Fact]
    public async Task Windows_1252_bytes_in_a_utf8_upload_are_reported_with_line_and_column()
    {
        var bytes = (byte[])[.. Encoding.ASCII.GetBytes("a;b;c\r\nx;y;z\r\nx;caf"), .. Windows1252E, .. Encoding.ASCII.GetBytes(";z\r\n")];

        var (records, _) = await ReadAsync(bytes);

        records[1].Problem.ShouldBeNull();
        var problem = records[2].Problem.ShouldNotBeNull();
        problem.Class.ShouldBe(CsvErrorClass.Encoding);
        problem.Code.ShouldBe("invalid-utf8");
        problem.Line.ShouldBe(3);
        problem.Column.ShouldBe(2);
        problem.Message.ShouldContain("charset=windows-1252");
        problem.Message.ShouldContain("UTF-8");
    }

    [Fact]
    public async Task Invalid_utf8_inside_a_multiline_quoted_field_reports_the_line_of_the_byte()
    {
        var bytes = (byte[])[.. Encoding.ASCII.GetBytes("a;b\r\nx;\"1\r\n2\r\n"), .. Windows1252E, .. Encoding.ASCII.GetBytes("\"\r\n")];

        var (records, _) = await ReadAsync(bytes);

        records[1].Problem!.Line.ShouldBe(4);
        records[1].Problem!.Column.ShouldBe(2);
    }

    [Fact]
    public async Task Windows_1252_is_converted_when_declared()
    {
        var bytes = (byte[])[.. Encoding.ASCII.GetBytes("nom;prix\r\nd"), .. Windows1252E, .. Encoding.ASCII.GetBytes("j"), 0xE0, .. Encoding.ASCII.GetBytes(";5 "), 0x80, .. Encoding.ASCII.GetBytes("\r\n")];

        var (records, reader) = await ReadAsync(bytes, CsvCharset.Windows1252);

        reader.Charset.ShouldBe(CsvCharset.Windows1252);
        records[1].Fields.ShouldBe(["déjà", "5 €"]);
        records[1].Problem.ShouldBeNull();
    }

    [Fact]
    public async Task Latin9_is_converted_when_declared()
    {
        var (records, _) = await ReadAsync((byte[])[.. Encoding.ASCII.GetBytes("a\r\n"), 0xA4, .. Encoding.ASCII.GetBytes("\r\n")], CsvCharset.Latin9);

        records[1].Fields.ShouldBe(["€"]);
    }

    [Fact]
    public async Task A_utf8_byte_order_mark_wins_over_a_declared_windows_1252()
    {
        var bytes = (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("nom\r\ndéjà\r\n")];

        var (records, reader) = await ReadAsync(bytes, CsvCharset.Windows1252);

        reader.Charset.ShouldBe(CsvCharset.Utf8);
        records[1].Fields.ShouldBe(["déjà"]);
    }

    [Theory]
    [InlineData("sep=,\r\na;b,c\r\n1;2,3\r\n", ',')]
    [InlineData("sep=;\na,b;c\n1,2;3\n", ';')]
    [InlineData("sep=;\ra,b;c\r1,2;3", ';')]
    public async Task An_excel_sep_line_names_the_separator_and_is_no_header(string text, char separator)
    {
        var (records, reader) = await ReadAsync(text);

        reader.Separator.ShouldBe((byte)separator);
        records.Count.ShouldBe(2);
        records[0].Line.ShouldBe(2);
        records[0].Fields.Length.ShouldBe(2);
        records[1].Line.ShouldBe(3);
    }

    [Fact]
    public async Task Utf16_without_byte_order_mark_is_refused_too()
    {
        var (records, reader) = await ReadAsync(Encoding.Unicode.GetBytes("a;b\r\n1;2\r\n"));

        records.ShouldBeEmpty();
        reader.Fatal!.Code.ShouldBe("utf16");
    }

    [Fact]
    public async Task Utf16_is_refused_at_once()
    {
        var bytes = (byte[])[0xFF, 0xFE, .. Encoding.Unicode.GetBytes("a;b\r\n")];

        var (records, reader) = await ReadAsync(bytes);

        records.ShouldBeEmpty();
        reader.Fatal!.Code.ShouldBe("utf16");
        reader.Fatal.Class.ShouldBe(CsvErrorClass.Encoding);
    }

    [Fact]
    public async Task Unterminated_quote_is_reported_at_the_line_where_the_field_starts()
    {
        var (records, _) = await ReadAsync("a;b\r\n1;2\r\n3;\"open\r\n4;5\r\n");

        var problem = records[2].Problem.ShouldNotBeNull();
        problem.Code.ShouldBe("unterminated-quote");
        problem.Class.ShouldBe(CsvErrorClass.Structure);
        problem.Line.ShouldBe(3);
        problem.Column.ShouldBe(2);
    }

    [Fact]
    public async Task Text_after_a_closing_quote_is_reported_and_reading_resumes()
    {
        var (records, _) = await ReadAsync("a;b\r\n\"x\"y;2\r\n3;4\r\n");

        records[1].Problem!.Code.ShouldBe("text-after-quote");
        records[1].Problem!.Column.ShouldBe(1);
        records[1].Fields.Length.ShouldBe(2);
        records[2].Fields.ShouldBe(["3", "4"]);
        records[2].Problem.ShouldBeNull();
    }

    [Fact]
    public async Task A_quote_inside_an_unquoted_field_is_kept_as_text()
    {
        var (records, _) = await ReadAsync("a;b\r\n12\"3;x\r\n");

        records[1].Fields.ShouldBe(["12\"3", "x"]);
        records[1].Problem.ShouldBeNull();
    }

    [Fact]
    public async Task A_record_longer_than_the_limit_stops_reading()
    {
        var text = "a;b\r\n1;\"" + new string('x', CsvReader.MaxRecordBytes + 10) + "\r\n";

        var (records, reader) = await ReadAsync(text, chunk: 64 * 1024, bufferSize: 1024);

        records.Count.ShouldBe(1);
        reader.Fatal!.Code.ShouldBe("record-too-long");
        reader.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public async Task Empty_file_has_no_record()
    {
        var (records, reader) = await ReadAsync(string.Empty);

        records.ShouldBeEmpty();
        reader.Fatal.ShouldBeNull();
    }

    [Fact]
    public async Task Records_are_the_same_whatever_the_buffer_size_and_read_sizes()
    {
        var text = "\"h\"\"1\";h2;h3\r\n" +
                   "a;\"b;\r\nc\";d\r\n" +
                   "\r\n" +
                   "e;;\"\"\r" +
                   "é;\"ü\"\"\";ß\n" +
                   "x;\"\";y";
        var (expected, _) = await ReadAsync(text, chunk: int.MaxValue, bufferSize: CsvReader.DefaultBufferSize);
        expected.Count.ShouldBe(5);

        foreach (var chunk in new[] { 1, 2, 3, 5, 7, 13 })
        {
            foreach (var bufferSize in new[] { 16, 17, 32 })
            {
                var (records, _) = await ReadAsync(text, chunk: chunk, bufferSize: bufferSize);
                records.ShouldBe(expected, $"chunk {chunk}, buffer {bufferSize}");
            }
        }
    }

    [Fact]
    public async Task Drain_reads_the_rest_of_the_source()
    {
        var stream = new ChunkedStream(Encoding.UTF8.GetBytes("a;b\r\n1;2\r\n3;4\r\n"), 4);
        var reader = new CsvReader(stream, CsvCharset.Utf8, 16);
        (await reader.ReadRecordAsync(CancellationToken.None)).ShouldBeTrue();

        await reader.DrainAsync(CancellationToken.None);

        stream.Position.ShouldBe(stream.Length);
    }

    internal static Task<(List<Rec> Records, CsvReader Reader)> ReadAsync(string text, CsvCharset charset = CsvCharset.Utf8, int chunk = 3, int bufferSize = 16) =>
        ReadAsync(Encoding.UTF8.GetBytes(text), charset, chunk, bufferSize);

    internal static async Task<(List<Rec> Records, CsvReader Reader)> ReadAsync(byte[] bytes, CsvCharset charset = CsvCharset.Utf8, int chunk = 3, int bufferSize = 16)
    {
        var reader = new CsvReader(new ChunkedStream(bytes, chunk), charset, bufferSize);
        var records = new List<Rec>();
        while (await reader.ReadRecordAsync(CancellationToken.None))
        {
            records.Add(new Rec(reader.RecordLine, [.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)], reader.Problem));
        }

        return (records, reader);
    }

    internal sealed record Rec(long Line, string[] Fields, CsvProblem? Problem)
    {
        public bool Equals(Rec? other) => other is not null && Line == other.Line && Fields.SequenceEqual(other.Fields) && Equals(Problem, other.Problem);

        public override int GetHashCode() => HashCode.Combine(Line, Fields.Length);

        public override string ToString() => $"{Line}: [{string.Join("|", Fields)}] {Problem}";
    }
}

/// <summary>A stream returning at most <c>chunk</c> bytes per read, as a network body does.</summary>
internal sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
{
    public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
}
