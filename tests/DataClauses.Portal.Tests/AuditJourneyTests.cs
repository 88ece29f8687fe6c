using System.Globalization;
using System.Net;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The DPO's journey in a real browser: the CAF's DPO filters the audit log, opens an event (its hash is the stored
/// one), verifies the chain, sees a chain tampered in the database reported at the exact event, and reads the
/// ethics-label report with its charts and its CSV; an analyst is refused the pages and another organisation's DPO never
/// sees the CAF's events.
/// </summary>
public abstract class AuditJourneyTests(PortalFixture portal)
{
    private const string CafDataset = "caf-foyers-allocataires";

    [Fact]
    public async Task A_dpo_filters_opens_an_event_verifies_sees_tampering_at_the_exact_event_and_reads_the_report()
    {
        var shots = portal.Provider.ToString().ToLowerInvariant();
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalFixture.SignInAsync(page, "caf-44", "dpo");

        // Reading the contract evaluates its commitments: the CAF's late yearly commitment is in the log (the real clock is past 31 March 2026).
        await page.GotoAsync("/contrats/cdv-demo-2024-2030");
        await PageChecks.VisitAsync(page, portal, "/audit", $"audit-{shots}");
        await page.Locator("#type").FillAsync("commitment.late");
        await page.Locator("#jeu").SelectOptionAsync(CafDataset);
        await page.Locator("#filtrer").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("type=commitment.late", StringComparison.Ordinal));
        var rows = page.Locator("#evenements tbody tr");
        (await rows.CountAsync()).ShouldBeGreaterThan(0);
        foreach (var row in await rows.AllAsync())
        {
            var text = await row.InnerTextAsync();
            text.ShouldContain("commitment.late");
            text.ShouldContain(CafDataset);
        }

        var sequence = long.Parse((await rows.First.GetAttributeAsync("data-sequence"))!, CultureInfo.InvariantCulture);
        await rows.First.Locator("a").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == $"/audit/evenements/{sequence}");
        await PageChecks.CheckAsync(page, "/audit/evenements/N");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"audit-evenement-{shots}.png"), FullPage = true });
        var stored = (string)(await portal.Database.ScalarAsync($"SELECT hash FROM audit_events WHERE sequence = {sequence}"))!;
        (await page.Locator("#empreinte").InnerTextAsync()).ShouldBe(stored);
        (await page.Locator("#details").InnerTextAsync()).ShouldContain("periodEnd");

        // Verify now: intact. Then one byte of that event changed in the database: broken exactly there.
        await page.GotoAsync("/audit");
        await page.Locator("#verifier").ClickAsync();
        (await page.Locator("#resultat-verification").InnerTextAsync()).ShouldContain("Chaîne intègre");
        var canonical = (string)(await portal.Database.ScalarAsync($"SELECT canonical FROM audit_events WHERE sequence = {sequence}"))!;

        // As someone with the database owner's rights would: the append-only trigger off first (and back on after).
        var sqlite = portal.Provider == global::DataClauses.Gateway.FunctionalTests.Infrastructure.StorageProvider.Sqlite;
        await portal.Database.ExecuteAsync(sqlite ? "DROP TRIGGER audit_events_no_update" : "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete");
        await portal.Database.ExecuteAsync($"UPDATE audit_events SET canonical = '{canonical.Replace("commitment.late", "commitment.lata", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal)}' WHERE sequence = {sequence}");
        try
        {
            await page.GotoAsync("/audit");
            await page.Locator("#verifier").ClickAsync();
            var broken = await page.Locator("#resultat-verification").InnerTextAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"audit-chaine-rompue-{shots}.png"), FullPage = true });
            broken.ShouldContain($"Chaîne rompue à l’événement n°{sequence}");
            (await page.Locator("#evenement-rompu").GetAttributeAsync("href")).ShouldBe($"/audit/evenements/{sequence}");
            await PageChecks.CheckAsync(page, "/audit (chaîne rompue)");
        }
        finally
        {
            await portal.Database.ExecuteAsync($"UPDATE audit_events SET canonical = '{canonical.Replace("'", "''", StringComparison.Ordinal)}' WHERE sequence = {sequence}");
            await portal.Database.ExecuteAsync(sqlite
                ? "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;"
                : "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete");
        }

        // The report: the late commitment among the alerts, server-drawn charts, and the CSV.
        await PageChecks.VisitAsync(page, portal, "/audit/rapport", $"audit-rapport-{shots}");
        (await page.Locator("#alertes li[data-kind='publication-overdue']").CountAsync()).ShouldBeGreaterThan(0);
        (await page.Locator("#graphique-acces-mois svg rect").CountAsync()).ShouldBeGreaterThan(0);

        // This month's bar says what the log holds: the accesses to the CAF's data or by its people since the 1st (UTC).
        var now = DateTimeOffset.UtcNow;
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        string[] accessActions = ["query.answered", "indicator.answered", "dataset.read", "extract.downloaded"];
        var accesses = (await portal.Database.ReadAuditAsync()).Count(r => accessActions.Contains(r.Event.Action) && r.Event.Timestamp >= monthStart
            && (r.Event.DataOwner == "caf-44" || r.Event.Actor.Organisation == "caf-44"));
        var month = now.ToString("MMMM yyyy", CultureInfo.GetCultureInfo("fr-FR"));
        (await page.Locator("#graphique-acces-mois desc").TextContentAsync())!.ShouldContain($"{month} : {accesses.ToString("N0", CultureInfo.GetCultureInfo("fr-FR"))}");
        (await page.Locator("#graphique-decisions svg").CountAsync()).ShouldBe(1);
        (await page.Locator("#engagements").InnerTextAsync()).ShouldContain("en retard de");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#telecharger-csv").ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        csv.ShouldStartWith("section,dataset,purpose,action,actor,item,count,detail");
        csv.ShouldContain($"publications,{CafDataset}");

        // A bad period: a French error, no report.
        var bad = await page.GotoAsync("/audit/rapport?du=2026-13-01");
        bad!.Status.ShouldBe((int)HttpStatusCode.BadRequest);
        (await page.Locator("#erreur-du").InnerTextAsync()).ShouldContain("AAAA-MM-JJ");

        // An analyst is refused; another organisation's DPO does not see the CAF's events.
        await context.ClearCookiesAsync();
        await PortalFixture.SignInAsync(page, "epci-demo", "analyst");
        (await page.GotoAsync("/audit"))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        (await page.GotoAsync("/audit/rapport"))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        await context.ClearCookiesAsync();
        await PortalFixture.SignInAsync(page, "ft-pdl", "dpo");
        (await page.GotoAsync($"/audit/evenements/{sequence}"))!.Status.ShouldBe((int)HttpStatusCode.NotFound);
        await page.GotoAsync($"/audit?jeu={CafDataset}");
        (await page.Locator("#evenements tbody tr").CountAsync()).ShouldBe(0);
    }
}

[Collection(SqlitePortal.Collection)]
public sealed class AuditJourneyTests_on_Sqlite(SqlitePortal portal) : AuditJourneyTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class AuditJourneyTests_on_PostgreSql(PostgreSqlPortal portal) : AuditJourneyTests(portal);
