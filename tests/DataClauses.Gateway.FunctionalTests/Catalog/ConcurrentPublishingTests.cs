using System.Globalization;
using System.Net;
using DataClauses.Audit;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// Publishers of three organisations uploading several versions at once, among catalogue reads and token requests:
/// every publication is committed with exactly one audit event in its own transaction, every refusal with one
/// rejection event, and the hash chain stays linear and intact.
/// </summary>
public abstract class ConcurrentPublishingTests(DeclaredGatewayFixture fixture)
{
    private const int VersionsPerPublisher = 4;

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Parallel_publishers_readers_and_token_requests_keep_one_intact_chain_with_one_event_per_action()
    {
        var datasets = new[] { Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur };
        var publishers = new Dictionary<string, HttpClient>(StringComparer.Ordinal);
        foreach (var dataset in datasets)
        {
            publishers[dataset] = await Host.ClientForAsync(Publishing.Providers[dataset], "publisher");
        }

        var before = (await Host.ReadAuditAsync()).Count;
        var run = Guid.NewGuid().ToString("N")[..6];

        // Each publisher: several good versions and one file whose last row is bad, all at once.
        var uploads = datasets.SelectMany(dataset => Enumerable.Range(0, VersionsPerPublisher + 1).Select(async i =>
        {
            var version = $"{run}-{i}";
            var rows = 1_500 + (i * 100);
            var csv = Publishing.ValidCsv(dataset, rows, seed: i * 10_000);
            var bad = i == VersionsPerPublisher;
            if (bad)
            {
                csv += Publishing.ValidRow(dataset, 0).Replace("QN04401M", "QN09999M", StringComparison.Ordinal) + "\n";
            }

            using var response = await Publishing.UploadAsync(publishers[dataset], dataset, version, csv);
            return (Dataset: dataset, Version: version, Rows: rows, Bad: bad, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })).ToList();
        var reads = DemoAccounts.All.Take(10).Select(async account =>
        {
            // A token request and a catalogue read per account, in the middle of the uploads.
            using var reader = await Host.ClientForAsync(account.Organisation, account.Role);
            using var response = await reader.GetAsync("api/v1/catalog");
            return response.StatusCode;
        }).ToList();

        var published = await Task.WhenAll(uploads);
        var catalogue = await Task.WhenAll(reads);

        foreach (var upload in published)
        {
            upload.StatusCode.ShouldBe(upload.Bad ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.Created, upload.Body);
        }

        catalogue.ShouldAllBe(s => s == HttpStatusCode.OK);
        var rows = await Host.ReadAuditAsync();
        var events = rows.Skip(before).ToList();
        var good = published.Where(p => !p.Bad).ToList();
        events.Where(e => e.Event.Action == "dataset.published").Select(e => (e.Event.Dataset, e.Event.Version, e.Event.Details["rows"]))
            .ShouldBe(good.Select(g => ((string?)g.Dataset, (string?)g.Version, g.Rows.ToString(CultureInfo.InvariantCulture))), ignoreOrder: true);
        events.Where(e => e.Event.Action == "dataset.publish-rejected").Select(e => (e.Event.Dataset, e.Event.Details["reason"]))
            .ShouldBe(datasets.Select(d => ((string?)d, "csv-values")), ignoreOrder: true);
        events.Count(e => e.Event.Action == "catalog.read").ShouldBe(reads.Count);
        events.Count(e => e.Event.Action == "token.issued").ShouldBe(reads.Count);
        events.Count.ShouldBe(good.Count + datasets.Length + (2 * reads.Count));
        rows.Select(r => r.Row.Sequence).ShouldBe(Enumerable.Range(1, rows.Count).Select(i => (long)i));
        var verification = AuditVerifier.Verify(rows.Select(r => r.Row));
        verification.Intact.ShouldBeTrue(verification.Detail);
        verification.EventsChecked.ShouldBe(rows.Count);

        foreach (var upload in good)
        {
            (await Publishing.CountRowsAsync(Host.Database, upload.Dataset, upload.Version)).ShouldBe(upload.Rows);
        }

        (await Publishing.VersionTablesAsync(Host.Database)).ShouldBe(await Publishing.VersionRowTablesAsync(Host.Database));
        (await Publishing.VersionTablesAsync(Host.Database)).Count.ShouldBe(good.Count);
        foreach (var client in publishers.Values)
        {
            client.Dispose();
        }
    }
}

public sealed class ConcurrentPublishingTests_on_Sqlite(DeclaredSqliteGateway fixture) : ConcurrentPublishingTests(fixture), IClassFixture<DeclaredSqliteGateway>;

public sealed class ConcurrentPublishingTests_on_PostgreSql(DeclaredPostgreSqlGateway fixture) : ConcurrentPublishingTests(fixture), IClassFixture<DeclaredPostgreSqlGateway>;
