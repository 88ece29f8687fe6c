using System.Net;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The contract page and its publication commitments in a real browser, on a gateway whose clock the test moves (an
/// in-process gateway on real Kestrel with the demo's accounts and datasets; the collection's Chromium): the clauses in
/// force before and after amendment 1, what it changed and from when, and the CAF's yearly commitment turning
/// "en retard" the day after its due date, with one <c>commitment.late</c> alert in the audit log and the DPO report.
/// </summary>
public abstract class ContractJourneyTests(PortalFixture portal)
{
    private const string Contract = "cdv-demo-2024-2030";
    private const string CafClause = "caf-foyers-qpv";

    // The day after the 2024 period's due date (31 March 2025): the seeded version 2024-12-31 covers it; 2025 is due on 31 March 2026.
    private static readonly DateTimeOffset Start = new(2025, 4, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_contract_page_shows_the_amendment_from_its_date_and_a_commitment_turns_late_when_the_clock_passes_its_due_date()
    {
        var shots = portal.Provider.ToString().ToLowerInvariant();
        await using var host = await GatewayHost.StartAsync(portal.Provider, new Dictionary<string, string?> { ["DataClauses:SeedDemoDatasets"] = "true" }, clock: new TestClock(Start));
        await using var context = await portal.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.BaseAddress.ToString(),
            BypassCSP = true,
            Locale = "fr-FR",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();

        // Not signed in: the sign-in page; an unknown contract is "introuvable".
        await page.GotoAsync($"/contrats/{Contract}");
        new Uri(page.Url).AbsolutePath.ShouldBe("/connexion");
        await PortalFixture.SignInAsync(page, "caf-44", "publisher");
        (await page.GotoAsync("/contrats/cdv-inconnu"))!.Status.ShouldBe((int)HttpStatusCode.NotFound);

        await PageChecks.VisitAsync(page, portal, "/contrats", $"contrats-{shots}");
        await page.Locator($"#contrats a[href='/contrats/{Contract}']").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == $"/contrats/{Contract}");

        // Before and after amendment 1 (effective 1 July 2025): the CAF clause loses the "diagnostic" purpose.
        // Each page is checked (axe-core, screenshot) once, in its fullest state, below; here it is only read.
        await page.GotoAsync($"/contrats/{Contract}?date=2025-06-30");
        (await ClausePurposesAsync(page)).ShouldContain("(diagnostic)");
        (await page.Locator($"section.clause[data-clause='{CafClause}'] .conservation-clause").InnerTextAsync()).ShouldContain("1 an");
        (await page.Locator("section.clause[data-clause='bailleur-occupation-caf']").CountAsync()).ShouldBe(0, "the clause amendment 1 adds is not in force yet");
        await page.GotoAsync($"/contrats/{Contract}?date=2025-07-01");
        (await ClausePurposesAsync(page)).ShouldNotContain("(diagnostic)");
        (await page.Locator($"section.clause[data-clause='{CafClause}'] .conservation-clause").InnerTextAsync()).ShouldContain("9 mois");
        (await page.Locator("section.clause[data-clause='bailleur-occupation-caf']").CountAsync()).ShouldBe(1);
        var amendment = await page.Locator("section.avenant").InnerTextAsync();
        amendment.ShouldContain("en vigueur à compter du 1er juillet 2025");
        (await page.Locator($"section.avenant li[data-clause='{CafClause}']").InnerTextAsync()).ShouldContain("Conservation des extractions : au plus 9 mois, puis suppression attestée (auparavant : au plus 1 an");

        // A date that is not one: a French field error, the clauses of today.
        await page.GotoAsync($"/contrats/{Contract}?date=1er-juillet");
        (await page.Locator("#date-erreur").InnerTextAsync()).ShouldContain("AAAA-MM-JJ");
        (await page.Locator("#clauses").InnerTextAsync()).ShouldContain("1er avril 2025 (aujourd’hui)");

        // 1 April 2025: the CAF commitment is kept; no alert about it.
        await page.GotoAsync($"/contrats/{Contract}");
        (await StateAsync(page)).ShouldBe("à jour");
        (await page.Locator($"#engagements-table tr[data-clause='{CafClause}']").InnerTextAsync()).ShouldContain("31 mars 2026");
        (await LateAlertsAsync(host)).ShouldBeEmpty();

        // The clock passes the due date of the 2025 period (31 March 2026) without a version: late by one day, one alert.
        host.Clock.MoveTo(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));
        await PortalFixture.SignInAsync(page, "caf-44", "publisher");
        await PageChecks.VisitAsync(page, portal, $"/contrats/{Contract}", $"contrat-engagement-en-retard-{shots}");
        (await StateAsync(page)).ShouldBe("en retard de 1 jour");
        await page.ReloadAsync();
        var alert = (await LateAlertsAsync(host)).ShouldHaveSingleItem("one alert per clause and period, however often the page is read");
        alert.Event.DataOwner.ShouldBe("caf-44");
        alert.Event.Details["periodEnd"].ShouldBe("2025-12-31");
        alert.Event.Details["due"].ShouldBe("2026-03-31");
        alert.Event.Details["daysLate"].ShouldBe("1");

        // The CAF's DPO sees it in the report; the API serves the same table.
        using var dpo = await host.ClientForAsync("caf-44", "dpo");
        var report = await GatewayHost.JsonOf(await dpo.GetAsync($"api/v1/audit/report?from=2026-01-01T00:00:00Z&to=2026-04-02T00:00:00Z"));
        report.GetProperty("alerts").EnumerateArray().ShouldContain(a => a.GetProperty("kind").GetString() == "publication-overdue" && a.GetProperty("dataset").GetString() == "caf-foyers-allocataires");
        var commitments = await GatewayHost.JsonOf(await dpo.GetAsync($"api/v1/contracts/{Contract}/commitments"));
        var caf = commitments.GetProperty("commitments").EnumerateArray().Single(c => c.GetProperty("clause").GetString() == CafClause);
        caf.GetProperty("state").GetString().ShouldBe("late");
        caf.GetProperty("daysLate").GetInt32().ShouldBe(1);
        caf.GetProperty("oldestMissingPeriodEnd").GetString().ShouldBe("2025-12-31");
    }

    private static Task<string> ClausePurposesAsync(IPage page) => page.Locator($"section.clause[data-clause='{CafClause}'] .finalites-clause").InnerTextAsync();

    private static async Task<string> StateAsync(IPage page) =>
        (await page.Locator($"#engagements-table tr[data-clause='{CafClause}'] .etat-engagement").TextContentAsync())!.Trim();

    private static async Task<List<AuditRecord>> LateAlertsAsync(GatewayHost host) =>
        [.. (await host.ReadAuditAsync()).Where(r => r.Event.Action == "commitment.late" && r.Event.Details.GetValueOrDefault("clause") == CafClause)];
}

[Collection(SqlitePortal.Collection)]
public sealed class ContractJourneyTests_on_Sqlite(SqlitePortal portal) : ContractJourneyTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class ContractJourneyTests_on_PostgreSql(PostgreSqlPortal portal) : ContractJourneyTests(portal);
