using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// A version becomes visible atomically, only after the whole file was validated and stored (docs/publishing.md §5):
/// a file whose last row is bad, or an upload cut off half-way, leaves no version, no table and no spooled file;
/// versions are immutable (409), and of two uploads of one version racing, exactly one wins.
/// </summary>
public abstract class UploadAtomicityTests(AtomicityFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Valid_file_with_one_bad_row_at_the_very_end_stores_nothing()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = "end-" + Guid.NewGuid().ToString("N")[..8];
        var tablesBefore = await Publishing.VersionTablesAsync(Host.Database);

        // Several import batches go to the database before the last row is read.
        var csv = Publishing.ValidCsv(Publishing.Caf, 10_000) + "F9999999;QN09999M;44901;autre;apl;10\n";
        using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, version, csv);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "csv-values");
        var error = problem.GetProperty("errors").EnumerateArray().Single();
        error.GetProperty("line").GetInt64().ShouldBe(10_002);
        error.GetProperty("column").GetInt32().ShouldBe(2);
        error.GetProperty("code").GetString().ShouldBe("outside-territory");
        (await Publishing.VersionTablesAsync(Host.Database)).ShouldBe(tablesBefore);
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
        using var versions = await publisher.GetAsync($"api/v1/datasets/{Publishing.Caf}/versions/{version}");
        await versions.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Upload_whose_client_gives_up_half_way_leaves_no_version_no_table_and_records_an_incomplete_upload()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = "cut-" + Guid.NewGuid().ToString("N")[..8];
        var started = DateTimeOffset.UtcNow.AddSeconds(-1); // the database server's clock is this machine's
        using var content = new StalledCsvContent(Publishing.Caf, 12_000);
        using var cancel = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/datasets/{Publishing.Caf}/versions/{version}") { Content = content };

        var sending = publisher.SendAsync(request, cancel.Token);
        await content.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(() => Poll.ImportInProgressAsync(Host.Database, started), "the gateway to be importing the upload");
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => sending);

        // The client closed its connection before the Content-Length it announced: the body ended early.
        var rejection = await ShouldBeRejectedLeavingNothingAsync(version, "upload-incomplete", "400");
        long.Parse(rejection.Event.Details["bytes"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThanOrEqualTo(content.SentBytes);
    }

    [Fact]
    public async Task Upload_cut_by_a_connection_reset_half_way_leaves_no_version_no_table_and_records_an_incomplete_upload()
    {
        var version = "reset-" + Guid.NewGuid().ToString("N")[..8];
        var rows = Encoding.UTF8.GetBytes(Publishing.ValidCsv(Publishing.Caf, 12_000));
        var started = DateTimeOffset.UtcNow.AddSeconds(-1); // the database server's clock is this machine's
        await using var connection = await StartRawUploadAsync(version, $"Content-Length: {rows.Length * 10L}");
        await connection.SendAsync(rows);
        await Poll.UntilAsync(() => Poll.ImportInProgressAsync(Host.Database, started), "the gateway to be importing the upload");

        connection.Reset();

        await ShouldBeRejectedLeavingNothingAsync(version, "upload-incomplete", "400");
    }

    [Fact]
    public async Task Chunked_upload_cut_by_a_connection_reset_half_way_leaves_no_version_no_table_and_records_a_client_closed_request()
    {
        var version = "chunked-" + Guid.NewGuid().ToString("N")[..8];
        var started = DateTimeOffset.UtcNow.AddSeconds(-1); // the database server's clock is this machine's
        await using var connection = await StartRawUploadAsync(version, "Transfer-Encoding: chunked");
        await connection.SendChunkAsync(Encoding.UTF8.GetBytes(Publishing.ValidCsv(Publishing.Caf, 12_000)));
        await Poll.UntilAsync(() => Poll.ImportInProgressAsync(Host.Database, started), "the gateway to be importing the upload");

        connection.Reset();

        // Without a Content-Length, nothing says how much was still to come: the client went away.
        await ShouldBeRejectedLeavingNothingAsync(version, "client-closed-request", "499");
    }

    [Fact]
    public async Task Republishing_a_published_version_is_refused_with_409_and_keeps_the_first_rows()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = "again-" + Guid.NewGuid().ToString("N")[..8];
        var first = Publishing.ValidCsv(Publishing.Caf, 20);
        using (var published = await Publishing.UploadAsync(publisher, Publishing.Caf, version, first))
        {
            published.StatusCode.ShouldBe(HttpStatusCode.Created, await published.Content.ReadAsStringAsync());
        }

        using var again = await Publishing.UploadAsync(publisher, Publishing.Caf, version, Publishing.ValidCsv(Publishing.Caf, 30, seed: 100));

        await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "version-exists");
        (await Publishing.CountRowsAsync(Host.Database, Publishing.Caf, version)).ShouldBe(20);
        var stored = await publisher.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{Publishing.Caf}/versions/{version}");
        stored.GetProperty("contentSha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(first))));
        (await Publishing.VersionTablesAsync(Host.Database)).ShouldBe(await Publishing.VersionRowTablesAsync(Host.Database));
        (await Publishing.AuditOfAsync(Host, again)).Single().Event.Details["reason"].ShouldBe("version-exists");
    }

    [Fact]
    public async Task Concurrent_uploads_of_one_version_give_exactly_one_201_and_409_version_exists_to_the_others()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = "race-" + Guid.NewGuid().ToString("N")[..8];
        var files = Enumerable.Range(0, 4).Select(i => Publishing.ValidCsv(Publishing.Caf, 3_000 + i, seed: i * 10_000)).ToList();

        var responses = await Task.WhenAll(files.Select(async csv =>
        {
            using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, version, csv);
            return (Csv: csv, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1, string.Join(Environment.NewLine, responses.Select(r => r.Body)));
        responses.Where(r => r.StatusCode != HttpStatusCode.Created).ShouldAllBe(r => r.StatusCode == HttpStatusCode.Conflict && r.Body.Contains("/version-exists", StringComparison.Ordinal));
        var winner = responses.Single(r => r.StatusCode == HttpStatusCode.Created).Csv;
        (await Publishing.CountRowsAsync(Host.Database, Publishing.Caf, version)).ShouldBe(files.IndexOf(winner) + 3_000);
        (await Publishing.VersionTablesAsync(Host.Database)).ShouldBe(await Publishing.VersionRowTablesAsync(Host.Database));
        var audit = (await Host.ReadAuditAsync()).Where(r => r.Event.Version == version).ToList();
        audit.Count(r => r.Event.Action == "dataset.published").ShouldBe(1);
        audit.Where(r => r.Event.Action == "dataset.publish-rejected").Select(r => r.Event.Details["reason"]).ShouldBe(["version-exists", "version-exists", "version-exists"]);
    }

    [Fact]
    public async Task Version_published_last_is_the_current_one_for_new_queries_whatever_its_id()
    {
        using var publisher = await Host.ClientForAsync("ft-pdl", "publisher");
        string[] published = ["2024-12-31", "2025-03-31", "2023-06-30"];

        foreach (var version in published)
        {
            // Publications a second apart (the host's clock only moves when a test moves it).
            Host.Clock.Advance(TimeSpan.FromSeconds(1));
            using var response = await Publishing.UploadAsync(publisher, Publishing.FranceTravail, version, Publishing.ValidCsv(Publishing.FranceTravail, 5));
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            var list = await publisher.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{Publishing.FranceTravail}/versions");
            list.GetProperty("currentVersion").GetString().ShouldBe(version);
        }

        var versions = (await publisher.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{Publishing.FranceTravail}/versions")).GetProperty("versions").EnumerateArray().ToList();
        versions.Select(v => v.GetProperty("version").GetString()).ShouldBe(published);
        versions.Select(v => v.GetProperty("current").GetBoolean()).ShouldBe([false, false, true]);
        (await publisher.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{Publishing.FranceTravail}/versions/2025-03-31")).GetProperty("current").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Chunked_upload_without_a_content_length_is_published_once_its_body_ends()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = "stream-" + Guid.NewGuid().ToString("N")[..8];
        var csv = Encoding.UTF8.GetBytes(Publishing.ValidCsv(Publishing.Caf, 5_000));
        using var content = new StreamContent(new NonSeekableStream(csv));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");

        using var response = await publisher.PutAsync($"api/v1/datasets/{Publishing.Caf}/versions/{version}", content);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var published = await GatewayHost.JsonOf(response);
        published.GetProperty("rowCount").GetInt64().ShouldBe(5_000);
        published.GetProperty("import").GetProperty("bytes").GetInt64().ShouldBe(csv.Length);
        (await Publishing.CountRowsAsync(Host.Database, Publishing.Caf, version)).ShouldBe(5_000);
    }

    [Fact]
    public async Task Content_length_over_the_default_limit_of_2_gb_is_refused_with_413_at_once()
    {
        var version = "huge-" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await StartRawUploadAsync(version, $"Content-Length: {(2L * 1024 * 1024 * 1024) + 1}");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var response = await connection.ReadResponseAsync(deadline.Token);

        response.Status.ShouldBe(413, response.Body);
        var problem = response.Json();
        problem.GetProperty("type").GetString().ShouldBe(ProblemAssertions.TypeBase + "payload-too-large");
        problem.GetProperty("limit").GetInt64().ShouldBe(2L * 1024 * 1024 * 1024);
        problem.GetProperty("detail").GetString()!.ShouldContain("DataClauses:Limits:MaxUploadBytes");
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
    }

    [Fact]
    public async Task Version_of_a_dataset_whose_schema_is_not_declared_is_refused_with_409()
    {
        using var publisher = await Host.ClientForAsync("bailleur-atlantique", "publisher");

        using var response = await Publishing.UploadAsync(publisher, Publishing.Bailleur, "2024-12-31", Publishing.ValidCsv(Publishing.Bailleur, 5));

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, "dataset-not-declared");
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Bailleur, "2024-12-31");
        var dataset = await publisher.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{Publishing.Bailleur}");
        dataset.GetProperty("declared").GetBoolean().ShouldBeFalse();
        dataset.GetProperty("schema").ValueKind.ShouldBe(JsonValueKind.Null);
        dataset.GetProperty("versions").GetArrayLength().ShouldBe(0);
    }

    /// <summary>Opens a bare connection and sends the head of a CAF upload with this body header.</summary>
    private async Task<RawHttpConnection> StartRawUploadAsync(string version, string bodyHeader)
    {
        var token = await Host.GetDemoTokenAsync("caf-44", "publisher");
        var connection = await RawHttpConnection.ConnectAsync(Host.BaseAddress);
        await connection.SendHeadAsync(
            "PUT",
            $"/api/v1/datasets/{Publishing.Caf}/versions/{version}",
            Host.BaseAddress,
            $"Authorization: Bearer {token}",
            "Content-Type: text/csv",
            bodyHeader);
        return connection;
    }

    /// <summary>Waits for the gateway to record the interrupted upload, then checks that it left nothing and the chain holds.</summary>
    private async Task<AuditRecord> ShouldBeRejectedLeavingNothingAsync(string version, string reason, string status)
    {
        await Poll.UntilAsync(async () => (await Host.ReadAuditAsync()).Any(r => r.Event.Version == version), "the gateway to record the interrupted upload");
        var rejection = (await Host.ReadAuditAsync()).Single(r => r.Event.Version == version);
        rejection.Event.Action.ShouldBe("dataset.publish-rejected");
        rejection.Event.Outcome.ShouldBe("failure");
        rejection.Event.Details["reason"].ShouldBe(reason);
        rejection.Event.Details["status"].ShouldBe(status);
        if (rejection.Event.Details.TryGetValue("bytes", out var bytes))
        {
            // Absent when nothing was read: a reset discards what the kernel received and the server had not read yet.
            long.Parse(bytes, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        }

        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
        var verification = await Host.VerifyAuditChainAsync();
        verification.Intact.ShouldBeTrue(verification.Detail);
        return rejection;
    }
}

/// <summary>A read-only stream that cannot tell its length, so that HttpClient sends it chunked.</summary>
internal sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
{
    public override bool CanSeek => false;
}

/// <summary>The atomicity tests' host: the CAF's and France Travail's schemas declared, the bailleur's not.</summary>
public abstract class AtomicityFixture : PublishingFixture
{
    protected override IReadOnlyList<string> DeclaredDatasets { get; } = [Publishing.Caf, Publishing.FranceTravail];
}

public sealed class AtomicitySqliteFixture : AtomicityFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AtomicityPostgreSqlFixture : AtomicityFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

public sealed class UploadAtomicityTests_on_Sqlite(AtomicitySqliteFixture fixture) : UploadAtomicityTests(fixture), IClassFixture<AtomicitySqliteFixture>;

public sealed class UploadAtomicityTests_on_PostgreSql(AtomicityPostgreSqlFixture fixture) : UploadAtomicityTests(fixture), IClassFixture<AtomicityPostgreSqlFixture>;
