using System.Globalization;
using System.Net;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary>
/// GET /api/v1/audit/report: the ethics-label report of a DPO's organisation from a scripted scenario — accesses,
/// decisions, denial reasons, cells suppressed, publication commitments, chain status — as JSON, CSV and printable
/// HTML; and the alerts a DPO should look at, from scripted bursts.
/// </summary>
public abstract class AuditReportTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Report_counts_the_scripted_queries_denials_dry_run_and_publications_of_caf_44()
    {
        await using var host = await StartAsync(Provider);
        var start = host.Clock.GetUtcNow();
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        long suppressed = 0;
        foreach (var query in new[] { CafByQpvAndType(), new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } } })
        {
            using var answered = await PostAsync(analyst, QueriesPath, query);
            answered.StatusCode.ShouldBe(HttpStatusCode.OK);
            suppressed += long.Parse(answered.Headers.GetValues("DataClauses-Cells-Suppressed").Single(), CultureInfo.InvariantCulture);
        }

        (await PostAsync(analyst, QueriesPath, new { dataset = Caf, purpose = "pilotage", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await PostAsync(analyst, DecisionsPath, new { dataset = Caf, purpose = "evaluation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await PostAsync(analyst, QueriesPath, new { dataset = FranceTravail, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "demandeurs" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var cafDpo = await host.ClientForAsync("caf-44", "dpo");
        var range = Range(start.AddHours(-1), host.Clock.GetUtcNow().AddMinutes(1));

        using var response = await cafDpo.GetAsync($"api/v1/audit/report?{range}");
        var report = await GatewayHost.JsonOf(response);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, report.ToString());
        var afterReport = await host.ReadAuditAsync();
        afterReport[^1].Event.Action.ShouldBe("audit.report");
        report.GetProperty("organisation").GetString().ShouldBe("caf-44");
        var accesses = report.GetProperty("accesses").EnumerateArray().Where(a => a.GetProperty("action").GetString() == "query.answered").ToList();
        var access = accesses.ShouldHaveSingleItem();
        access.GetProperty("dataset").GetString().ShouldBe(Caf);
        access.GetProperty("dataOwner").GetString().ShouldBe("caf-44");
        access.GetProperty("purpose").GetString().ShouldBe("observation");
        access.GetProperty("count").GetInt64().ShouldBe(2);
        access.GetProperty("actors").GetInt32().ShouldBe(1);
        var effects = report.GetProperty("decisions").EnumerateArray().ToDictionary(d => d.GetProperty("effect").GetString()!, d => d.GetProperty("count").GetInt64(), StringComparer.Ordinal);
        effects["deny"].ShouldBe(1);

        // 2 answers and 1 dry run permitted, plus the seeder's declaration and publications of the CAF dataset.
        var seeded = afterReport.Count(r => r.Event.DataOwner == "caf-44" && r.Event.Action.StartsWith("dataset.", StringComparison.Ordinal) && r.Event.Effect == "permit");
        var publications = afterReport.Count(r => r.Event.Dataset == Caf && r.Event.Action == "dataset.published");
        publications.ShouldBeGreaterThanOrEqualTo(1);
        effects["permit"].ShouldBe(3 + seeded);
        var reason = report.GetProperty("denialReasons").EnumerateArray().ShouldHaveSingleItem();
        reason.GetProperty("rule").GetString().ShouldBe("purpose-not-permitted");
        reason.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        reason.GetProperty("count").GetInt64().ShouldBe(1);
        report.GetProperty("cellsSuppressed").GetProperty("total").GetInt64().ShouldBe(suppressed);
        var commitment = report.GetProperty("publications").EnumerateArray().ShouldHaveSingleItem();
        commitment.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        commitment.GetProperty("frequency").GetString().ShouldBe("P1Y");
        commitment.GetProperty("status").GetString().ShouldBe("met");
        commitment.GetProperty("publishedInPeriod").GetInt32().ShouldBe(publications);
        var chain = report.GetProperty("chain");
        chain.GetProperty("intact").GetBoolean().ShouldBeTrue();
        chain.GetProperty("headSequence").GetInt64().ShouldBe(afterReport[^1].Row.Sequence - 1);
        report.GetProperty("alerts").GetArrayLength().ShouldBe(0);
        JsonSerializer.Serialize(report).ShouldNotContain(FranceTravail);

        using var ftDpo = await host.ClientForAsync("ft-pdl", "dpo");
        var ftReport = await GatewayHost.JsonOf(await ftDpo.GetAsync($"api/v1/audit/report?{range}"));
        ftReport.GetProperty("accesses").EnumerateArray().ShouldAllBe(a => a.GetProperty("dataset").GetString() != Caf);
        ftReport.GetProperty("accesses").EnumerateArray().ShouldContain(a => a.GetProperty("dataset").GetString() == FranceTravail && a.GetProperty("count").GetInt64() == 1);
        (await host.ReadAuditAsync()).Count(r => r.Event.Action == "audit.report").ShouldBe(2);
    }

    [Fact]
    public async Task Report_is_also_a_csv_table_and_a_printable_french_page_without_external_assets()
    {
        await using var host = await StartAsync(Provider);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        await QueryOkAsync(analyst, CafByQpvAndType());
        using var cafDpo = await host.ClientForAsync("caf-44", "dpo");

        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, "api/v1/audit/report");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        using var csv = await cafDpo.SendAsync(csvRequest);
        using var html = await cafDpo.GetAsync("api/v1/audit/report?format=html");
        using var xml = new HttpRequestMessage(HttpMethod.Get, "api/v1/audit/report");
        xml.Headers.Accept.ParseAdd("application/xml");
        using var notAcceptable = await cafDpo.SendAsync(xml);

        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("section,dataset,purpose,action,actor,item,count,detail");
        lines.ShouldContain($"accesses,{Caf},observation,query.answered,,caf-44,1,actors=1");
        lines.ShouldContain(l => l.StartsWith("chain,,,,,intact,", StringComparison.Ordinal));
        var publications = (await host.ReadAuditAsync()).Count(r => r.Event.Dataset == Caf && r.Event.Action == "dataset.published");
        lines.ShouldContain(l => l.StartsWith($"publications,{Caf},,,,caf-foyers-qpv,{publications},met;", StringComparison.Ordinal));
        html.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var page = await html.Content.ReadAsStringAsync();
        page.ShouldStartWith("<!DOCTYPE html>");
        page.ShouldContain("<html lang=\"fr\">");
        page.ShouldContain("Rapport d'audit pour le label éthique");
        page.ShouldContain("Chaîne intègre");
        page.ShouldContain("Engagements de publication");
        page.ShouldContain("@media print");
        page.ShouldNotContain("<link", Case.Insensitive);
        page.ShouldNotContain("<script", Case.Insensitive);
        page.ShouldNotContain("src=", Case.Insensitive);
        page.ShouldNotContain("url(", Case.Insensitive);
        notAcceptable.StatusCode.ShouldBe(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task Scripted_bursts_after_hours_downloads_unattested_extracts_and_a_late_publication_raise_alerts()
    {
        await using var host = await StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Audit:Alerts:DenialBurstCount"] = "4",
            ["DataClauses:Audit:Alerts:DenialBurstWindow"] = "00:05:00",
            ["DataClauses:Audit:Alerts:SliceBurstCount"] = "5",
            ["DataClauses:Audit:Alerts:SliceBurstWindow"] = "00:15:00",
        });
        var start = host.Clock.GetUtcNow();
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");

        // Four denials within 90 seconds, and a fifth an hour later: one burst of four.
        for (var i = 0; i < 4; i++)
        {
            (await PostAsync(analyst, QueriesPath, new { dataset = Caf, purpose = "pilotage", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            host.Clock.Advance(TimeSpan.FromSeconds(30));
        }

        // Five distinct slices of the CAF dataset within five minutes (the repeated one does not count twice).
        string[] qpvs = ["QN04401M", "QN04402M", "QN04403N", "QN04404M", "QN04404M", "QN04405N"];
        foreach (var qpv in qpvs)
        {
            await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "type_menage" }, measures = new[] { "foyers" }, filters = new Dictionary<string, string[]>(StringComparer.Ordinal) { ["qpv"] = [qpv] } });
            host.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        host.Clock.Advance(TimeSpan.FromHours(1));
        using var later = await host.ClientForAsync("epci-demo", "analyst");
        (await PostAsync(later, QueriesPath, new { dataset = Caf, purpose = "pilotage", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        // Extract events as the extracts feature writes them (through the gateway's AuditService): two downloads of
        // extract A, one at 22:30 in Paris; A's retention ends, unattested; B is attested.
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var evening = NextLocal(host.Clock.GetUtcNow(), paris, new TimeSpan(22, 30, 0));
        await RecordExtractAsync(host, "extract.produced", "ext-a", evening.AddHours(-1));
        host.Clock.MoveTo(evening);
        await RecordExtractAsync(host, "extract.downloaded", "ext-a", evening.AddHours(-1));
        await RecordExtractAsync(host, "extract.produced", "ext-b", evening.AddHours(-1));
        await RecordExtractAsync(host, "extract.downloaded", "ext-b", evening.AddHours(-1));
        var morning = NextLocal(host.Clock.GetUtcNow(), paris, new TimeSpan(10, 0, 0));
        host.Clock.MoveTo(morning);
        await RecordExtractAsync(host, "extract.downloaded", "ext-a", evening.AddHours(-1));
        await RecordExtractAsync(host, "extract.deletion-attested", "ext-b", evening.AddHours(-1));

        // Past 31 March 2026 without a version of the 2025 period: the CAF's yearly commitment is late.
        host.Clock.Advance(TimeSpan.FromDays(370));
        using var cafDpo = await host.ClientForAsync("caf-44", "dpo");
        var report = await GatewayHost.JsonOf(await cafDpo.GetAsync($"api/v1/audit/report?{Range(start.AddMinutes(-1), host.Clock.GetUtcNow().AddMinutes(1))}"));

        var alerts = report.GetProperty("alerts").EnumerateArray().ToList();
        var burst = alerts.Where(a => a.GetProperty("kind").GetString() == "denial-burst").ShouldHaveSingleItem();
        burst.GetProperty("actor").GetString().ShouldBe("epci-demo-analyst");
        burst.GetProperty("count").GetInt64().ShouldBe(4);
        burst.GetProperty("dataset").GetString().ShouldBe(Caf);
        var slices = alerts.Where(a => a.GetProperty("kind").GetString() == "many-slices").ShouldHaveSingleItem();
        slices.GetProperty("actor").GetString().ShouldBe("epci-demo-analyst");
        slices.GetProperty("dataset").GetString().ShouldBe(Caf);
        slices.GetProperty("count").GetInt64().ShouldBe(5);
        var afterHours = alerts.Where(a => a.GetProperty("kind").GetString() == "after-hours-download").ToList();
        afterHours.Count.ShouldBe(2);
        afterHours.ShouldAllBe(a => a.GetProperty("message").GetString()!.Contains("22:30"));
        var late = alerts.Where(a => a.GetProperty("kind").GetString() == "publication-overdue").ShouldHaveSingleItem();
        late.GetProperty("dataset").GetString().ShouldBe(Caf);
        var extracts = report.GetProperty("extracts");
        extracts.GetProperty("counts").GetProperty("extract.downloaded").GetInt64().ShouldBe(3);
        extracts.GetProperty("counts").GetProperty("extract.deletion-attested").GetInt64().ShouldBe(1);
        var unattested = extracts.GetProperty("expiredUnattested").EnumerateArray().ShouldHaveSingleItem();
        unattested.GetProperty("extract").GetString().ShouldBe("ext-a");
        unattested.GetProperty("downloads").GetInt32().ShouldBe(2);
        report.GetProperty("publications")[0].GetProperty("status").GetString().ShouldBe("late");
    }

    private static Task<GatewayHost> StartAsync(StorageProvider provider, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>(settings ?? [], StringComparer.Ordinal) { ["DataClauses:SeedDemoDatasets"] = "true" };

        // Commitments are kept by reference period: on 1 April 2025 the seeded CAF version 2024-12-31 covers the only
        // yearly period due (2024, due 31 March 2025); the next one (2025) is due on 31 March 2026.
        return GatewayHost.StartAsync(provider, values, clock: new TestClock(new DateTimeOffset(2025, 4, 1, 9, 0, 0, TimeSpan.Zero)));
    }

    private static string Range(DateTimeOffset from, DateTimeOffset to) =>
        $"from={Uri.EscapeDataString(AuditCanonicalForm.FormatInstant(from))}&to={Uri.EscapeDataString(AuditCanonicalForm.FormatInstant(to))}";

    /// <summary>The next instant after <paramref name="after"/> at this local time of day.</summary>
    private static DateTimeOffset NextLocal(DateTimeOffset after, TimeZoneInfo zone, TimeSpan timeOfDay)
    {
        var local = TimeZoneInfo.ConvertTime(after, zone);
        var day = local.Date.AddDays(local.TimeOfDay < timeOfDay ? 0 : 1);
        var target = day + timeOfDay;
        return new DateTimeOffset(target, zone.GetUtcOffset(target)).ToUniversalTime();
    }

    private static async Task RecordExtractAsync(GatewayHost host, string action, string extract, DateTimeOffset retentionDeadline)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var audit = scope.ServiceProvider.GetRequiredService<AuditService>();
        await audit.RecordAsync(audit.Create(action, "success") with
        {
            Actor = new AuditActor("epci-demo-analyst", "epci-demo", ["analyst"], "epci-demo-analyst", "127.0.0.1"),
            DataOwner = "caf-44",
            Dataset = Caf,
            Version = CafVersion,
            Purpose = "observation",
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["extract"] = extract,
                ["requester"] = "epci-demo-analyst",
                ["requesterOrganisation"] = "epci-demo",
                ["retentionDeadline"] = retentionDeadline.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
        }, CancellationToken.None);
    }
}

public sealed class AuditReportTests_on_Sqlite : AuditReportTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AuditReportTests_on_PostgreSql : AuditReportTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
