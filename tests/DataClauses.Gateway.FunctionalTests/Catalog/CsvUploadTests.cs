using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// Uploads of the CSV files under Catalog/Csv over HTTP (docs/publishing.md §3–4): each malformed file is refused
/// with its status, problem type and the exact line, column, field and code of its errors, and leaves nothing
/// behind; each file a spreadsheet may write in good faith is accepted with its exact row count.
/// </summary>
public abstract class CsvUploadTests(CsvUploadFixture fixture)
{
    private const string Windows1252 = "text/csv; charset=windows-1252";

    private GatewayHost Host => fixture.Host;

    /// <summary>Refused files: dataset, status, type, the errors listed first (line, column, field, code), and their count when more are listed.</summary>
    private static readonly Dictionary<string, Refusal> Refusals = new(StringComparer.Ordinal)
    {
        // Encoding (400 csv-encoding).
        ["invalid-utf8.csv"] = EncodingErrors(E(3, 4, "type_menage", "invalid-utf8")),
        ["utf16-le-bom.csv"] = EncodingErrors(E(1, null, null, "utf16")),
        ["utf16-be-bom.csv"] = EncodingErrors(E(1, null, null, "utf16")),
        ["utf16-le-no-bom.csv"] = EncodingErrors(E(1, null, null, "utf16")),
        ["encoding-wins-over-structure.csv"] = EncodingErrors(E(4, 6, "montant_mensuel", "invalid-utf8")),

        // Structure (400 csv-structure).
        ["empty.csv"] = StructureErrors(E(1, null, null, "empty-file")),
        ["blank-lines-only.csv"] = StructureErrors(E(1, null, null, "empty-file")),
        ["unterminated-quote.csv"] = StructureErrors(E(3, 2, "qpv", "unterminated-quote")),
        ["text-after-quote.csv"] = StructureErrors(E(2, 2, "qpv", "text-after-quote")),
        ["too-many-fields.csv"] = StructureErrors(E(3, null, null, "field-count")),
        ["too-few-fields.csv"] = StructureErrors(E(4, null, null, "field-count")),
        ["structure-wins-over-values.csv"] = StructureErrors(E(3, null, null, "field-count")),

        // Header (422 csv-header); rows are not checked after a header error.
        ["unknown-column.csv"] = HeaderErrors(E(1, 7, "nir", "unknown-column")),
        ["duplicate-column.csv"] = HeaderErrors(E(1, 4, "qpv", "duplicate-column")),
        ["missing-column.csv"] = HeaderErrors(E(1, null, "montant_mensuel", "missing-column")),
        ["empty-column-name.csv"] = HeaderErrors(E(1, 3, null, "empty-column-name")),
        ["header-wins-over-values.csv"] = HeaderErrors(E(1, 6, "montant", "unknown-column")),

        // Values (422 csv-values).
        ["header-only.csv"] = ValueErrors(E(2, null, null, "no-rows")),
        ["required-missing.csv"] = ValueErrors(E(3, 3, "commune", "required"), E(4, 4, "type_menage", "required")),
        ["thousands-separator.csv"] = ValueErrors(E(2, 6, "montant_mensuel", "invalid-number"), E(3, 6, "montant_mensuel", "invalid-number")),
        ["decimal-comma-in-comma-file.csv"] = ValueErrors(E(2, 6, "montant_mensuel", "invalid-number")),
        ["negative-amount.csv"] = ValueErrors(E(3, 6, "montant_mensuel", "below-minimum")),
        ["number-not-finite.csv"] = ValueErrors(E(2, 6, "montant_mensuel", "invalid-number"), E(3, 6, "montant_mensuel", "invalid-number"), E(4, 6, "montant_mensuel", "invalid-number")),
        ["outside-territory-qpv.csv"] = ValueErrors(E(2, 2, "qpv", "outside-territory")),
        ["qpv-2015-code.csv"] = ValueErrors(E(3, 2, "qpv", "invalid-code")),
        ["malformed-commune.csv"] = ValueErrors(E(2, 3, "commune", "invalid-code"), E(3, 3, "commune", "outside-territory"), E(4, 3, "commune", "outside-territory")),
        ["unknown-dimension-value.csv"] = ValueErrors(E(3, 5, "prestation", "unknown-value")),
        ["dimension-case-mismatch.csv"] = ValueErrors(E(2, 5, "prestation", "unknown-value"), E(3, 4, "type_menage", "unknown-value"), E(4, 2, "qpv", "invalid-code")),
        ["more-than-100-errors.csv"] = ValueErrors(E(2, 6, "montant_mensuel", "below-minimum"), E(3, 6, "montant_mensuel", "below-minimum")) with { ErrorCount = 150 },
        ["crlf-quoted-line-breaks.csv"] = ValueErrors(E(4, 2, "qpv", "outside-territory"), E(8, 6, "montant_mensuel", "below-minimum")),
        ["blank-lines-counted.csv"] = ValueErrors(E(6, 5, "prestation", "unknown-value")),
        ["excel-sep-line-bad-value.csv"] = ValueErrors(E(4, 5, "prestation", "unknown-value")),
        ["iris-outside-territory.csv"] = ValueErrors(E(3, 3, "iris", "outside-territory"), E(4, 3, "iris", "invalid-code"), E(5, 3, "iris", "invalid-code")) with { Dataset = Publishing.FranceTravail },
        ["bad-integer.csv"] = ValueErrors(E(2, 7, "loyer_mensuel", "invalid-integer"), E(3, 7, "loyer_mensuel", "invalid-integer"), E(5, 7, "loyer_mensuel", "below-minimum")) with { Dataset = Publishing.Bailleur },
        ["bad-date.csv"] = ValueErrors(E(2, 4, "date_ref", "invalid-date"), E(3, 4, "date_ref", "invalid-date"), E(4, 4, "date_ref", "unknown-value")) with { Dataset = Publishing.TypedDataset },
        ["bad-boolean.csv"] = ValueErrors(E(2, 5, "handicap", "invalid-boolean"), E(3, 5, "handicap", "invalid-boolean")) with { Dataset = Publishing.TypedDataset },
        ["bad-integer-dimension.csv"] = ValueErrors(E(2, 3, "annee", "invalid-integer"), E(3, 3, "annee", "unknown-value")) with { Dataset = Publishing.TypedDataset },
        ["qpv-2024-code-in-2015-dataset.csv"] = ValueErrors(E(3, 2, "qpv", "invalid-code"), E(4, 2, "qpv", "outside-territory")) with { Dataset = Publishing.Zoning2015Dataset },
    };

    /// <summary>Accepted files (a name, then optionally the declared content type after " as "): dataset, rows, charset read, separator detected.</summary>
    private static readonly Dictionary<string, Acceptance> Acceptances = new(StringComparer.Ordinal)
    {
        ["windows-1252.csv as text/csv; charset=windows-1252"] = new(Publishing.Caf, 3, "windows-1252", ";"),
        ["windows-1252.csv as text/csv; charset=ISO-8859-1"] = new(Publishing.Caf, 3, "windows-1252", ";"),
        ["utf8-bom-wins-over-declared-charset.csv as text/csv; charset=windows-1252"] = new(Publishing.Caf, 2, "utf-8", ";"),
        ["french-bom-semicolon.csv"] = new(Publishing.Caf, 4, "utf-8", ";"),
        ["international-comma.csv as application/csv"] = new(Publishing.Caf, 3, "utf-8", ","),
        ["trailing-separators.csv"] = new(Publishing.Caf, 3, "utf-8", ";"),
        ["blank-lines-and-emptied-rows.csv"] = new(Publishing.Caf, 3, "utf-8", ";"),
        ["excel-sep-line.csv"] = new(Publishing.Caf, 2, "utf-8", ","),
        ["header-any-order-and-case.csv as text/csv; charset=utf-8"] = new(Publishing.Caf, 2, "utf-8", ";"),
        ["lone-cr-line-ends.csv"] = new(Publishing.Caf, 3, "utf-8", ";"),
        ["quoted-everything.csv"] = new(Publishing.Caf, 3, "utf-8", ";"),
        ["typed-dimensions.csv"] = new(Publishing.TypedDataset, 4, "utf-8", ";"),
        ["qpv-2015-dataset.csv"] = new(Publishing.Zoning2015Dataset, 2, "utf-8", ";"),
    };

    public static TheoryData<string> RefusedFiles => new(Refusals.Keys.Order(StringComparer.Ordinal));

    public static TheoryData<string> AcceptedFiles => new(Acceptances.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_csv_file_of_the_test_folder_has_an_expected_outcome_and_at_least_35_are_malformed()
    {
        var files = Directory.GetFiles(CsvFolder, "*.csv").Select(Path.GetFileName).ToList();
        var expected = Refusals.Keys.Concat(Acceptances.Keys.Select(FileOf)).Distinct(StringComparer.Ordinal).ToList();

        files.ShouldBe(expected, ignoreOrder: true);
        Refusals.Count.ShouldBeGreaterThanOrEqualTo(35);
    }

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public async Task Malformed_file_is_refused_with_its_status_type_and_the_line_and_column_of_its_errors_and_leaves_nothing(string file)
    {
        var expected = Refusals[file];
        var version = NewVersion();
        using var publisher = await Host.ClientForAsync(Publishing.Providers[expected.Dataset], "publisher");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(CsvFolder, file));

        using var response = await Publishing.UploadAsync(publisher, expected.Dataset, version, bytes);

        var problem = await response.ShouldBeProblemAsync(expected.Status, expected.Type);
        var errors = problem.GetProperty("errors").EnumerateArray().ToList();
        var located = errors.Select(e => new Located(
            e.GetProperty("line").GetInt64(),
            e.GetProperty("column").ValueKind == JsonValueKind.Number ? e.GetProperty("column").GetInt32() : null,
            e.GetProperty("field").GetString(),
            e.GetProperty("code").GetString()!)).ToList();
        var count = expected.ErrorCount ?? expected.Errors.Length;
        located.Take(expected.Errors.Length).ShouldBe(expected.Errors, problem.ToString());
        located.Count.ShouldBe((int)Math.Min(count, 100), problem.ToString());
        problem.GetProperty("errorCount").GetInt64().ShouldBe(count);
        problem.GetProperty("truncated").GetBoolean().ShouldBe(count > 100);
        errors.ShouldAllBe(e => !string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
        problem.GetProperty("detail").GetString()!.ShouldContain("Nothing was stored");
        await Publishing.ShouldHaveLeftNothingAsync(Host, expected.Dataset, version);
        var audit = (await Publishing.AuditOfAsync(Host, response)).Single();
        audit.Event.Action.ShouldBe("dataset.publish-rejected");
        audit.Event.Outcome.ShouldBe("failure");
        audit.Event.Version.ShouldBe(version);
        audit.Event.Details["reason"].ShouldBe(expected.Type);
        audit.Event.Details["status"].ShouldBe(((int)expected.Status).ToString(CultureInfo.InvariantCulture));
        audit.Event.Details["errorCount"].ShouldBe(count.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task File_with_more_than_100_bad_values_lists_the_first_100_in_file_order_and_counts_them_all()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");

        using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, NewVersion(), await File.ReadAllBytesAsync(Path.Combine(CsvFolder, "more-than-100-errors.csv")));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "csv-values");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt64()).ShouldBe(Enumerable.Range(2, 100).Select(i => (long)i));
        problem.GetProperty("errorCount").GetInt64().ShouldBe(150);
        problem.GetProperty("truncated").GetBoolean().ShouldBeTrue();
        problem.GetProperty("detail").GetString()!.ShouldContain("150 error(s), the first 100 listed");
    }

    [Theory]
    [MemberData(nameof(AcceptedFiles))]
    public async Task File_a_spreadsheet_writes_in_good_faith_is_published_with_its_exact_rows(string name)
    {
        var expected = Acceptances[name];
        var file = FileOf(name);
        var contentType = name.Contains(" as ", StringComparison.Ordinal) ? name[(name.IndexOf(" as ", StringComparison.Ordinal) + 4)..] : "text/csv";
        var version = NewVersion();
        using var publisher = await Host.ClientForAsync(Publishing.Providers[expected.Dataset], "publisher");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(CsvFolder, file));

        using var response = await Publishing.UploadAsync(publisher, expected.Dataset, version, bytes, contentType);

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        response.Headers.Location!.ToString().ShouldBe($"/api/v1/datasets/{expected.Dataset}/versions/{version}");
        var published = JsonDocument.Parse(body).RootElement;
        published.GetProperty("datasetId").GetString().ShouldBe(expected.Dataset);
        published.GetProperty("version").GetString().ShouldBe(version);
        published.GetProperty("rowCount").GetInt64().ShouldBe(expected.Rows);
        published.GetProperty("contentSha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        published.GetProperty("publishedBy").GetString().ShouldBe(Publishing.ClientOf(Publishing.Providers[expected.Dataset], "publisher"));
        published.GetProperty("current").GetBoolean().ShouldBeTrue();
        var import = published.GetProperty("import");
        import.GetProperty("charset").GetString().ShouldBe(expected.Charset);
        import.GetProperty("separator").GetString().ShouldBe(expected.Separator);
        import.GetProperty("bytes").GetInt64().ShouldBe(bytes.Length);
        (await Publishing.CountRowsAsync(Host.Database, expected.Dataset, version)).ShouldBe(expected.Rows);
        var audit = (await Publishing.AuditOfAsync(Host, response)).Single();
        audit.Event.Action.ShouldBe("dataset.published");
        audit.Event.Details["rows"].ShouldBe(expected.Rows.ToString(CultureInfo.InvariantCulture));
        audit.Event.Details["charset"].ShouldBe(expected.Charset);
        audit.Event.Details["separator"].ShouldBe(expected.Separator);
    }

    [Fact]
    public async Task Windows_1252_file_is_transcoded_before_its_identifiers_are_hashed_and_a_utf8_bom_wins_over_the_declared_charset()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var declared = NewVersion();
        var withBom = NewVersion();

        using (var response = await Publishing.UploadAsync(publisher, Publishing.Caf, declared, await File.ReadAllBytesAsync(Path.Combine(CsvFolder, "windows-1252.csv")), Windows1252))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        using (var response = await Publishing.UploadAsync(publisher, Publishing.Caf, withBom, await File.ReadAllBytesAsync(Path.Combine(CsvFolder, "utf8-bom-wins-over-declared-charset.csv")), Windows1252))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        var key = Convert.FromHexString((string)(await Host.Database.ScalarAsync($"SELECT unit_id_key FROM datasets WHERE dataset_id = '{Publishing.Caf}'"))!);
        (await Publishing.ColumnAsync(Host.Database, Publishing.Caf, declared, "id_foyer"))
            .ShouldBe([Hmac(key, "Frédéric-001"), Hmac(key, "Françoise-€02"), Hmac(key, "F003")], ignoreOrder: true);
        (await Publishing.ColumnAsync(Host.Database, Publishing.Caf, withBom, "id_foyer"))
            .ShouldBe([Hmac(key, "Frédéric-001"), Hmac(key, "F002")], ignoreOrder: true);
    }

    [Fact]
    public async Task Typed_dimension_values_are_stored_in_their_canonical_form()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = NewVersion();

        using var response = await Publishing.UploadAsync(publisher, Publishing.TypedDataset, version, await File.ReadAllBytesAsync(Path.Combine(CsvFolder, "typed-dimensions.csv")));

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        (await Publishing.ColumnAsync(Host.Database, Publishing.TypedDataset, version, "annee")).ShouldBe(["2023", "2023", "2024", "2024"], ignoreOrder: true);
        (await Publishing.ColumnAsync(Host.Database, Publishing.TypedDataset, version, "date_ref")).ShouldBe(["2024-06-30", "2024-06-30", "2024-12-31", "2024-12-31"], ignoreOrder: true);
        (await Publishing.ColumnAsync(Host.Database, Publishing.TypedDataset, version, "handicap")).ShouldBe(["false", "false", "true", "true"], ignoreOrder: true);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task Body_that_is_not_declared_as_csv_is_refused_with_415(string? contentType)
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = NewVersion();

        using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, version, Encoding.UTF8.GetBytes(Publishing.ValidCsv(Publishing.Caf, 2)), contentType);

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
        (await Publishing.AuditOfAsync(Host, response)).Single().Event.Details["reason"].ShouldBe("unsupported-media-type");
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("shift_jis")]
    [InlineData("utf-32")]
    public async Task Csv_in_an_unsupported_charset_is_refused_with_415(string charset)
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = NewVersion();

        using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, version, Encoding.UTF8.GetBytes(Publishing.ValidCsv(Publishing.Caf, 2)), $"text/csv; charset={charset}");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-charset");
        problem.GetProperty("detail").GetString()!.ShouldContain(charset);
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
    }

    [Theory]
    [InlineData("bad%20version")]
    [InlineData("-starts-with-a-dash")]
    [InlineData(".hidden")]
    [InlineData("semi%3Bcolon")]
    [InlineData("v12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task Bad_version_id_is_refused_with_a_400_naming_the_version_field(string version)
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");

        using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, version, Encoding.UTF8.GetBytes(Publishing.ValidCsv(Publishing.Caf, 2)));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(["version"]);
        (await Publishing.VersionTablesAsync(Host.Database)).ShouldBe(await Publishing.VersionRowTablesAsync(Host.Database));
    }

    [Fact]
    public async Task Content_length_over_the_configured_limit_is_refused_with_413_before_the_body_is_sent()
    {
        var token = await Host.GetDemoTokenAsync("caf-44", "publisher");
        var version = NewVersion();
        await using var connection = await RawHttpConnection.ConnectAsync(Host.BaseAddress);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Only the head and the header line are ever sent: the answer cannot wait for the rest of the body.
        await connection.SendHeadAsync(
            "PUT",
            $"/api/v1/datasets/{Publishing.Caf}/versions/{version}",
            Host.BaseAddress,
            $"Authorization: Bearer {token}",
            "Content-Type: text/csv",
            $"Content-Length: {CsvUploadFixture.MaxUploadBytes + 1}");
        await connection.SendAsync(Encoding.ASCII.GetBytes(Publishing.CafHeader + "\n"), deadline.Token);
        var response = await connection.ReadResponseAsync(deadline.Token);

        response.Status.ShouldBe(413, response.Body);
        var problem = response.Json();
        problem.GetProperty("type").GetString().ShouldBe(ProblemAssertions.TypeBase + "payload-too-large");
        problem.GetProperty("limit").GetInt64().ShouldBe(CsvUploadFixture.MaxUploadBytes);
        response.Headers["Connection"].ToLowerInvariant().ShouldBe("close");
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
        var audit = (await Host.ReadAuditAsync()).Single(r => r.Event.Version == version);
        audit.Event.Action.ShouldBe("dataset.publish-rejected");
        audit.Event.Details["reason"].ShouldBe("payload-too-large");
    }

    [Fact]
    public async Task Chunked_body_growing_past_the_configured_limit_is_refused_with_413_before_it_ends()
    {
        var token = await Host.GetDemoTokenAsync("caf-44", "publisher");
        var version = NewVersion();
        await using var connection = await RawHttpConnection.ConnectAsync(Host.BaseAddress);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await connection.SendHeadAsync(
            "PUT",
            $"/api/v1/datasets/{Publishing.Caf}/versions/{version}",
            Host.BaseAddress,
            $"Authorization: Bearer {token}",
            "Content-Type: text/csv",
            "Transfer-Encoding: chunked");
        await connection.SendChunkAsync(Encoding.ASCII.GetBytes(Publishing.CafHeader + "\n"), deadline.Token);
        var answer = connection.ReadResponseAsync(deadline.Token);
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => Publishing.ValidRow(Publishing.Caf, i) + "\n")));

        // Valid rows keep coming and the body never ends: only a server that counts as it reads can answer.
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        long sent = 0;
        var sending = Task.Run(async () =>
        {
            try
            {
                while (!answer.IsCompleted)
                {
                    await connection.SendChunkAsync(chunk, stopSending.Token);
                    Interlocked.Add(ref sent, chunk.Length);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // The server closed the connection after answering, or the answer came while a send was blocked.
            }
        });

        var response = await answer;
        await stopSending.CancelAsync();
        await sending;

        response.Status.ShouldBe(413, response.Body);
        response.Json().GetProperty("type").GetString().ShouldBe(ProblemAssertions.TypeBase + "payload-too-large");
        Interlocked.Read(ref sent).ShouldBeGreaterThan(CsvUploadFixture.MaxUploadBytes);
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
        (await Host.ReadAuditAsync()).Single(r => r.Event.Version == version).Event.Details["reason"].ShouldBe("payload-too-large");
    }

    private static string CsvFolder => Path.Combine(AppContext.BaseDirectory, "Catalog", "Csv");

    private static string FileOf(string name) => name.Split(" as ")[0];

    private static string NewVersion() => "t" + Guid.NewGuid().ToString("N")[..12];

    private static string Hmac(byte[] key, string identifier) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(identifier)));

    private static Located E(long line, int? column, string? field, string code) => new(line, column, field, code);

    private static Refusal EncodingErrors(params Located[] errors) => new(Publishing.Caf, HttpStatusCode.BadRequest, "csv-encoding", errors);

    private static Refusal StructureErrors(params Located[] errors) => new(Publishing.Caf, HttpStatusCode.BadRequest, "csv-structure", errors);

    private static Refusal HeaderErrors(params Located[] errors) => new(Publishing.Caf, HttpStatusCode.UnprocessableEntity, "csv-header", errors);

    private static Refusal ValueErrors(params Located[] errors) => new(Publishing.Caf, HttpStatusCode.UnprocessableEntity, "csv-values", errors);

    /// <summary>An error as the problem locates it.</summary>
    private sealed record Located(long Line, int? Column, string? Field, string Code);

    /// <summary>How a file is refused; <see cref="ErrorCount"/> when more errors are counted than listed here.</summary>
    private sealed record Refusal(string Dataset, HttpStatusCode Status, string Type, Located[] Errors)
    {
        public long? ErrorCount { get; init; }
    }

    /// <summary>How a file is accepted.</summary>
    private sealed record Acceptance(string Dataset, long Rows, string Charset, string Separator);
}

/// <summary>
/// The CSV tests' host: the demo contract and the tests' own (typed dimensions, 2015 zoning), a small upload limit,
/// and every dataset's test schema declared.
/// </summary>
public abstract class CsvUploadFixture : PublishingFixture
{
    public const long MaxUploadBytes = 64 * 1024;

    private readonly string _policies = Publishing.PoliciesWithTestContract();

    protected CsvUploadFixture() => Settings = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["DataClauses:PoliciesPath"] = _policies,
        ["DataClauses:Limits:MaxUploadBytes"] = MaxUploadBytes.ToString(CultureInfo.InvariantCulture),
    };

    protected override IReadOnlyDictionary<string, string?> Settings { get; }

    protected override IReadOnlyList<string> DeclaredDatasets { get; } =
        [Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur, Publishing.TypedDataset, Publishing.Zoning2015Dataset];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
    }
}

public sealed class CsvUploadSqliteFixture : CsvUploadFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class CsvUploadPostgreSqlFixture : CsvUploadFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

public sealed class CsvUploadTests_on_Sqlite(CsvUploadSqliteFixture fixture) : CsvUploadTests(fixture), IClassFixture<CsvUploadSqliteFixture>;

public sealed class CsvUploadTests_on_PostgreSql(CsvUploadPostgreSqlFixture fixture) : CsvUploadTests(fixture), IClassFixture<CsvUploadPostgreSqlFixture>;
