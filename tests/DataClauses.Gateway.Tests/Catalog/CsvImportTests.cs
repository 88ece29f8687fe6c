using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Catalog.Csv;

namespace DataClauses.Gateway.Tests.Catalog;

/// <summary>A whole pass over an upload — reader, header, validator, pipeline — into a sink that records what it gets.</summary>
public sealed class CsvImportTests
{
    private const string Header = "id_foyer;qpv;commune;type_menage;prestation;montant_mensuel\r\n";

    private static readonly byte[] Key = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();

    private static readonly DatasetSchema Schema = TestContracts.Schema(TestContracts.CafSchema, TestContracts.Demo, TestContracts.Caf);

    [Fact]
    public async Task Every_row_reaches_the_sink_in_file_order_with_hashed_unit_ids()
    {
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 10_000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"F{i};QN04401M;44901;autre;rsa;{i},5\r\n");
        }

        var (outcome, sink) = await ImportAsync(csv.ToString());

        outcome.Errors.HasErrors.ShouldBeFalse();
        outcome.Rows.ShouldBe(10_000);
        sink.Completed.ShouldBeTrue();
        sink.Rows.Count.ShouldBe(10_000);
        sink.Rows[1234][0].ShouldBe(Convert.ToHexStringLower(HMACSHA256.HashData(Key, "F1234"u8)));
        sink.Rows[1234][5].ShouldBe(1234.5);
        sink.Rows.Select(r => (double)r[5]!).ShouldBeInOrder();
    }

    [Fact]
    public async Task A_bad_value_after_the_first_batches_abandons_the_import_and_lists_the_errors()
    {
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 9_000; i++)
        {
            csv.Append(i == 8_500 ? "F;QN04401M;44901;inconnu;rsa;1\r\n" : string.Create(CultureInfo.InvariantCulture, $"F{i};QN04401M;44901;autre;rsa;1\r\n"));
        }

        var (outcome, sink) = await ImportAsync(csv.ToString());

        sink.Completed.ShouldBeFalse();
        sink.Disposed.ShouldBeTrue();
        outcome.Errors.Class.ShouldBe(CsvErrorClass.Value);
        outcome.Errors.Errors.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            e => e.Line.ShouldBe(8_502),
            e => e.Column.ShouldBe(4),
            e => e.Field.ShouldBe("type_menage"),
            e => e.Code.ShouldBe("unknown-value"));
    }

    [Fact]
    public async Task Structure_errors_win_over_value_errors()
    {
        var (outcome, _) = await ImportAsync(Header + "F1;QN04401M;44901;inconnu;rsa;1\r\nF2;QN04401M;44901\r\n");

        outcome.Errors.Class.ShouldBe(CsvErrorClass.Structure);
        outcome.Errors.Errors.ShouldHaveSingleItem().Code.ShouldBe("field-count");
        outcome.Errors.Errors[0].Line.ShouldBe(3);
    }

    [Fact]
    public async Task Errors_are_counted_past_the_hundred_listed()
    {
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 250; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"F{i};QN04401M;44901;autre;rsa;-1\r\n");
        }

        var (outcome, _) = await ImportAsync(csv.ToString());

        outcome.Errors.Count.ShouldBe(250);
        outcome.Errors.Errors.Count.ShouldBe(100);
        outcome.Errors.Truncated.ShouldBeTrue();
        outcome.Errors.Errors[99].Line.ShouldBe(101);
    }

    [Fact]
    public async Task A_header_error_stops_checking_rows_and_drains_the_body()
    {
        var bytes = Encoding.UTF8.GetBytes("id_foyer;qpv\r\n" + string.Concat(Enumerable.Repeat("F1;X\r\n", 5000)));
        var stream = new ChunkedStream(bytes, 100);

        var (outcome, sink) = await ImportAsync(stream);

        outcome.Errors.Class.ShouldBe(CsvErrorClass.Header);
        outcome.Errors.Count.ShouldBe(4);
        sink.Completed.ShouldBeFalse();
        stream.Position.ShouldBe(bytes.Length);
    }

    [Fact]
    public async Task A_comma_separated_windows_1252_file_with_quotes_trailing_separators_and_blank_rows_is_imported()
    {
        var text = "\"id_foyer\",\"qpv\",\"commune\",\"type_menage\",\"prestation\",\"montant_mensuel\",\r\n"
                   + "\"Féé\",\"QN04401M\",\"44901\",\"autre\",\"rsa\",\"12.5\",\r\n"
                   + ",,,,,,\r\n"
                   + "\r\n"
                   + "\"G\"\"1\",QN04402M,44901,personne-seule,apl,3\n";
        var bytes = Encoding.Latin1.GetBytes(text);

        var (outcome, sink) = await ImportAsync(new MemoryStream(bytes), CsvCharset.Windows1252);

        outcome.Errors.HasErrors.ShouldBeFalse();
        outcome.Separator.ShouldBe((byte)',');
        sink.Rows.Count.ShouldBe(2);
        sink.Rows[0][0].ShouldBe(Convert.ToHexStringLower(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("Féé"))));
        sink.Rows[1][0].ShouldBe(Convert.ToHexStringLower(HMACSHA256.HashData(Key, "G\"1"u8)));
        sink.Rows[1][5].ShouldBe(3.0);
    }

    [Fact]
    public async Task An_undeclared_windows_1252_file_is_an_encoding_error()
    {
        var bytes = (byte[])[.. Encoding.UTF8.GetBytes(Header + "F1;QN04401M;44901;autre;rsa;1\r\nF"), 0xE9, .. Encoding.UTF8.GetBytes(";QN04401M;44901;autre;inconnu;1\r\n")];

        var (outcome, sink) = await ImportAsync(new MemoryStream(bytes));

        outcome.Errors.Class.ShouldBe(CsvErrorClass.Encoding);
        outcome.Errors.Errors.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            e => e.Line.ShouldBe(3),
            e => e.Column.ShouldBe(1),
            e => e.Field.ShouldBe("id_foyer"));
        sink.Completed.ShouldBeFalse();
    }

    [Fact]
    public async Task Empty_and_header_only_files_are_refused()
    {
        (await ImportAsync(string.Empty)).Outcome.Errors.Errors.ShouldHaveSingleItem().Code.ShouldBe("empty-file");
        (await ImportAsync(Header)).Outcome.Errors.Errors.ShouldHaveSingleItem().Code.ShouldBe("no-rows");
    }

    [Fact]
    public async Task A_failing_sink_surfaces_its_own_exception()
    {
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 20_000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"F{i};QN04401M;44901;autre;rsa;1\r\n");
        }

        var sink = new RecordingSink { FailOnWrite = true };
        var pipeline = new ImportPipeline(sink, Key, RowValidator.KindsOf(Schema), batchSize: 512);

        var thrown = await Should.ThrowAsync<InvalidOperationException>(() =>
            CsvImport.RunAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())), CsvCharset.Utf8, Schema, TestContracts.Demo, TestContracts.Caf, pipeline, null, CancellationToken.None));
        await pipeline.DisposeAsync();

        thrown.Message.ShouldBe("database down");
        sink.Disposed.ShouldBeTrue();
        sink.Completed.ShouldBeFalse();
    }

    [Fact]
    public async Task Validation_alone_needs_no_pipeline()
    {
        var stopped = false;

        var outcome = await CsvImport.RunAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(Header + "F1;QN04401M;44901;autre;rsa;abc\r\n")),
            CsvCharset.Utf8,
            Schema,
            TestContracts.Demo,
            TestContracts.Caf,
            null,
            () => stopped = true,
            CancellationToken.None);

        outcome.Errors.Errors.ShouldHaveSingleItem().Code.ShouldBe("invalid-number");
        stopped.ShouldBeTrue();
    }

    private static Task<(CsvImportOutcome Outcome, RecordingSink Sink)> ImportAsync(string csv) => ImportAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)));

    private static async Task<(CsvImportOutcome Outcome, RecordingSink Sink)> ImportAsync(Stream stream, CsvCharset charset = CsvCharset.Utf8)
    {
        var sink = new RecordingSink();
        CsvImportOutcome outcome;
        await using (var pipeline = new ImportPipeline(sink, Key, RowValidator.KindsOf(Schema), batchSize: 1000))
        {
            outcome = await CsvImport.RunAsync(stream, charset, Schema, TestContracts.Demo, TestContracts.Caf, pipeline, null, CancellationToken.None);
        }

        return (outcome, sink);
    }

    /// <summary>Keeps a copy of every row it receives.</summary>
    private sealed class RecordingSink : IRowSink
    {
        public List<object?[]> Rows { get; } = [];

        public bool Completed { get; private set; }

        public bool Disposed { get; private set; }

        public bool FailOnWrite { get; init; }

        public void Write(RowBatch batch)
        {
            if (FailOnWrite)
            {
                throw new InvalidOperationException("database down");
            }

            for (var row = 0; row < batch.Count; row++)
            {
                Rows.Add([.. batch.Kinds.Select((kind, c) => kind switch
                {
                    ColumnKind.Text => batch.Text[c][row],
                    ColumnKind.UnitId => (object?)Encoding.ASCII.GetString(batch.UnitIdHash(row)),
                    ColumnKind.Integer => batch.Nulls[c][row] ? null : batch.Integers[c][row],
                    _ => batch.Nulls[c][row] ? null : batch.Numbers[c][row],
                })]);
            }
        }

        public Task CompleteAsync()
        {
            Completed = true;
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
