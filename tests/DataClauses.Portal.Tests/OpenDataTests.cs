using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The public open-data page, without signing in: it lists the open tier's clause and the DCAT export; its CSV is,
/// byte for byte, the protected answer a signatory gets from the API for the same query (thresholds and rounding
/// applied), and is audited for the anonymous actor; a clause of another tier is not offered and not served.
/// </summary>
public abstract class OpenDataTests(PortalFixture portal)
{
    private const string OpenClause = "ft-demandeurs-commune-open";

    [Fact]
    public async Task Anyone_downloads_the_open_tiers_protected_csv_and_nothing_else()
    {
        var shots = portal.Provider.ToString().ToLowerInvariant();
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();

        var response = await PageChecks.VisitAsync(page, portal, "/donnees-ouvertes", $"donnees-ouvertes-{shots}");
        response.Status.ShouldBe(200);
        (await page.Locator("#donnees-ouvertes tbody tr").CountAsync()).ShouldBe(1);
        (await page.Locator($"#donnees-ouvertes tr[data-clause='{OpenClause}']").CountAsync()).ShouldBe(1);
        (await page.Locator("#dcat").GetAttributeAsync("href")).ShouldBe("/api/v1/catalog.jsonld");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator($"tr[data-clause='{OpenClause}'] a").ClickAsync());
        var csv = await File.ReadAllBytesAsync((await download.PathAsync())!);

        // The same query through the API by a signatory that no other clause of the dataset serves (on the open tier any
        // role of any organisation may query; the EPCI's analyst would get the finer protected clause).
        using var analyst = await portal.ApiClientAsync("caf-44", "publisher");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/queries")
        {
            Content = JsonContent.Create(new { dataset = "ft-demandeurs-emploi", purpose = "observation", dimensions = new[] { "commune", "categorie" }, measures = new[] { "demandeurs" } }),
        };
        request.Headers.Accept.ParseAdd("text/csv");
        using var answer = await analyst.SendAsync(request);
        answer.StatusCode.ShouldBe(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        answer.Headers.GetValues("DataClauses-Clause").Single().ShouldBe(OpenClause);
        csv.ShouldBe(await answer.Content.ReadAsByteArrayAsync());
        var text = Encoding.UTF8.GetString(csv);
        text.ShouldContain("rounded");
        text.ShouldNotContain("id_demandeur");

        var audit = await portal.Database.ReadAuditAsync();
        audit.ShouldContain(r => r.Event.Action == "query.answered" && r.Event.Actor.Subject == "anonymous" && r.Event.Dataset == "ft-demandeurs-emploi"
            && r.Event.Details["format"] == "csv");

        // A clause of another tier: neither listed nor served.
        (await page.Locator("tr[data-clause='caf-foyers-qpv']").CountAsync()).ShouldBe(0);
        var refused = await context.APIRequest.GetAsync("/donnees-ouvertes?handler=csv&clause=caf-foyers-qpv");
        refused.Status.ShouldBe(404);
        (await portal.Database.ReadAuditAsync()).ShouldNotContain(r => r.Event.Actor.Subject == "anonymous" && r.Event.Dataset == "caf-foyers-allocataires" && r.Event.Action == "query.answered");
    }
}

[Collection(SqlitePortal.Collection)]
public sealed class OpenDataTests_on_Sqlite(SqlitePortal portal) : OpenDataTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class OpenDataTests_on_PostgreSql(PostgreSqlPortal portal) : OpenDataTests(portal);
