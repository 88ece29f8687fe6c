using System.Net;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The extract journey in a real browser: an analyst requests an extract on the four-eyes clause of the demo
/// (bailleur-logements-qpv: two stewards of bailleur-atlantique), each steward approves from their queue, the analyst
/// downloads the file; refusals for an analyst on the queue and for another organisation's steward; the audit log
/// holds the same events the API writes.
/// </summary>
public abstract class ExtractJourneyTests(PortalFixture portal)
{
    private const string Dataset = "bailleur-logements";
    private const string Provider = "bailleur-atlantique";

    [Fact]
    public async Task Analyst_requests_a_four_eyes_extract_two_stewards_approve_and_the_analyst_downloads_it()
    {
        var shots = portal.Provider.ToString().ToLowerInvariant();
        await using var analystContext = await portal.NewContextAsync();
        var analyst = await analystContext.NewPageAsync();
        await PortalFixture.SignInAsync(analyst, "epci-demo", "analyst");

        // The form shows each clause's maximum retention; bad input comes back with French errors and creates nothing.
        await PageChecks.VisitAsync(analyst, portal, "/extractions/nouvelle", $"extraction-formulaire-{shots}");
        (await analyst.Locator("#clauses").InnerTextAsync()).ShouldContain("24 mois");
        await analyst.Locator("#JeuDeDonnees").SelectOptionAsync(Dataset);
        await analyst.Locator("#Dimensions").FillAsync("qpv, typologie");
        await analyst.Locator("#Mesures").FillAsync("logements");
        await analyst.Locator("#Finalite").SelectOptionAsync("observation");
        await analyst.Locator("#Justification").FillAsync("court");
        await analyst.Locator("#DureeMois").FillAsync("30");
        await analyst.Locator("#formulaire-extraction button[type=submit]").ClickAsync();
        await PageChecks.CheckAsync(analyst, "/extractions/nouvelle (erreurs)");
        await analyst.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"extraction-formulaire-erreurs-{shots}.png"), FullPage = true });
        (await analyst.Locator("#erreur-Justification").InnerTextAsync()).ShouldContain("10 à 2000 caractères");
        (await analyst.Locator("#erreur-DureeMois").InnerTextAsync()).ShouldContain("24 mois au plus");
        (await analyst.Locator("#Justification").GetAttributeAsync("aria-describedby"))!.ShouldContain("erreur-Justification");
        await analyst.Locator("#Justification").FillAsync("Diagnostic du parc social des quartiers prioritaires");
        await analyst.Locator("#formulaire-extraction button[type=submit]").ClickAsync();
        (await analyst.Locator("#erreur-DureeMois").InnerTextAsync()).ShouldContain("24 mois au plus");
        (await analyst.Locator("#erreur-Justification").CountAsync()).ShouldBe(0);
        await PageChecks.VisitAsync(analyst, portal, "/extractions", $"mes-extractions-vide-{shots}");
        (await analyst.Locator("#aucune-extraction").CountAsync()).ShouldBe(1, "nothing is created on error");

        // The valid request, with the keyboard alone.
        await analyst.GotoAsync("/extractions/nouvelle");
        await analyst.Locator("#JeuDeDonnees").FocusAsync();
        await ChooseWithKeyboardAsync(analyst, "#JeuDeDonnees", Dataset);
        await analyst.Keyboard.PressAsync("Tab");
        await analyst.Keyboard.TypeAsync("qpv, typologie");
        await analyst.Keyboard.PressAsync("Tab");
        await analyst.Keyboard.TypeAsync("logements");
        await analyst.Keyboard.PressAsync("Tab");
        await ChooseWithKeyboardAsync(analyst, "#Finalite", "observation");
        await analyst.Keyboard.PressAsync("Tab");
        await analyst.Keyboard.TypeAsync("Diagnostic du parc social des quartiers prioritaires");
        await analyst.Keyboard.PressAsync("Tab");
        await analyst.Keyboard.TypeAsync("12");
        await analyst.Keyboard.PressAsync("Tab");
        (await analyst.EvaluateAsync<string>("() => document.activeElement.textContent")).ShouldBe("Envoyer la demande");
        await analyst.Keyboard.PressAsync("Enter");
        await analyst.WaitForURLAsync(url => new Uri(url).Query.Contains("demande=", StringComparison.Ordinal));
        var id = new Uri(analyst.Url).AbsolutePath["/extractions/".Length..];
        await PageChecks.CheckAsync(analyst, "/extractions/{id}");
        await analyst.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"extraction-envoyee-{shots}.png"), FullPage = true });
        (await analyst.Locator("#statut").TextContentAsync()).ShouldBe("En attente de validation");
        (await analyst.Locator("#validations").InnerTextAsync()).ShouldContain("0 validation sur 2");
        (await analyst.Locator(".explication").InnerTextAsync()).ShouldContain("bailleur-logements-qpv");

        // An analyst opening the steward queue gets the refusal page.
        var refusal = await PageChecks.VisitAsync(analyst, portal, "/validation", $"validation-refusee-{shots}");
        refusal.Status.ShouldBe(403);
        (await analyst.Locator("h1").InnerTextAsync()).ShouldBe("Accès refusé");
        (await analyst.Locator("nav#navigation-principale a[href='/validation']").CountAsync()).ShouldBe(0);

        // A steward of another organisation never sees it, neither in the queue nor by its address.
        await using (var otherContext = await portal.NewContextAsync())
        {
            var other = await otherContext.NewPageAsync();
            await PortalFixture.SignInAsync(other, "caf-44", "steward");
            await PageChecks.VisitAsync(other, portal, "/validation", $"validation-autre-organisation-{shots}");
            (await other.Locator($"#demande-{id}").CountAsync()).ShouldBe(0);
            (await other.GotoAsync($"/extractions/{id}"))!.Status.ShouldBe(404);
        }

        // Steward 1 approves: still pending, one approval shown, and no second vote for them.
        await using (var stewardContext = await portal.NewContextAsync())
        {
            var steward = await stewardContext.NewPageAsync();
            await PortalFixture.SignInAsync(steward, Provider, "steward");
            await PageChecks.VisitAsync(steward, portal, "/validation", $"validation-file-{shots}");
            var request = steward.Locator($"#demande-{id}");
            (await request.InnerTextAsync()).ShouldContain("Diagnostic du parc social");
            await request.Locator("button.approuver").ClickAsync();
            await steward.WaitForURLAsync(url => new Uri(url).Query.Contains("fait=approuvee", StringComparison.Ordinal));
            await PageChecks.CheckAsync(steward, "/validation (approuvée)");
            await steward.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"validation-apres-vote-{shots}.png"), FullPage = true });
            (await request.Locator(".validations").InnerTextAsync()).ShouldContain($"1 approbation sur 2 (steward@{Provider}");
            (await request.Locator("button.approuver").CountAsync()).ShouldBe(0);
        }

        await analyst.GotoAsync($"/extractions/{id}");
        (await analyst.Locator("#statut").TextContentAsync()).ShouldBe("En attente de validation");
        (await analyst.Locator("#validations").InnerTextAsync()).ShouldContain("1 validation sur 2");

        // Steward 2 rejects without a reason: refused next to the field; then approves.
        await using (var stewardContext = await portal.NewContextAsync())
        {
            var steward2 = await stewardContext.NewPageAsync();
            await PortalFixture.SignInAsync(steward2, Provider, "steward2");
            await steward2.GotoAsync("/validation");
            var request = steward2.Locator($"#demande-{id}");
            await request.Locator("button.refuser").ClickAsync();
            await PageChecks.CheckAsync(steward2, "/validation (refus sans motif)");
            await steward2.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"validation-refus-sans-motif-{shots}.png"), FullPage = true });
            (await steward2.Locator($"#erreur-{id}").InnerTextAsync()).ShouldContain("indiquez le motif");
            await steward2.Locator($"#demande-{id} button.approuver").ClickAsync();
            await steward2.WaitForURLAsync(url => new Uri(url).Query.Contains("fait=approuvee", StringComparison.Ordinal));
            (await steward2.Locator($"#demande-{id}").CountAsync()).ShouldBe(0, "the request left the queue once fully approved");
        }

        // The analyst sees it ready (production is asynchronous), with its countdown, and downloads it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await PageChecks.VisitAsync(analyst, portal, "/extractions", $"mes-extractions-{shots}");
            if ((await analyst.Locator($"#extraction-{id} .fr-badge").TextContentAsync()) == "Prête")
            {
                break;
            }

            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
        var row = analyst.Locator($"#extraction-{id}");
        (await row.Locator(".fr-badge").TextContentAsync()).ShouldBe("Prête");
        (await row.Locator(".validations").InnerTextAsync()).ShouldContain("2 sur 2");
        (await row.Locator(".echeance").InnerTextAsync()).ShouldMatch(@"Expire dans 3\d\d jours");
        (await row.Locator("form").CountAsync()).ShouldBe(0, "the deletion is attested only once the extract has expired");
        var download = await analyst.RunAndWaitForDownloadAsync(() => row.Locator("a.telecharger").ClickAsync());
        var path = await download.PathAsync();
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(path!)))
        {
            json.RootElement.ValueKind.ShouldBe(JsonValueKind.Object);
        }

        await PageChecks.VisitAsync(analyst, portal, $"/extractions/{id}", $"extraction-prete-{shots}");
        (await analyst.Locator("#fichiers a").CountAsync()).ShouldBe(2);
        (await analyst.Locator("#attestation-a-venir").CountAsync()).ShouldBe(1);

        // A year later (the deadline moved into the past in the database, as the clock would move it): no more
        // download, and the analyst attests the deletion of every copy from "mes extractions".
        var past = portal.Provider == StorageProvider.PostgreSql
            ? "now() - interval '1 minute'" // timestamptz there; UTC ticks on SQLite, which cannot compare DateTimeOffset
            : DateTimeOffset.UtcNow.AddMinutes(-1).UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await portal.Database.ExecuteAsync($"UPDATE extracts SET retention_deadline = {past} WHERE id = '{id}'");
        await PageChecks.VisitAsync(analyst, portal, "/extractions", $"mes-extractions-echue-{shots}");
        row = analyst.Locator($"#extraction-{id}");
        (await row.Locator(".echeance").InnerTextAsync()).ShouldContain("Échue");
        (await row.Locator(".fr-badge").TextContentAsync()).ShouldBeOneOf("Expirée", "Purgée"); // purged if the retention pass ran
        (await row.Locator("a.telecharger").CountAsync()).ShouldBe(0, "an expired extract is not offered for download");
        await row.Locator("form button[type=submit]").ClickAsync();
        await analyst.WaitForURLAsync(url => new Uri(url).Query.Contains("attestee=", StringComparison.Ordinal));
        await PageChecks.CheckAsync(analyst, "/extractions (attestation enregistrée)");
        await analyst.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"mes-extractions-attestee-{shots}.png"), FullPage = true });
        (await analyst.Locator("#attestation-enregistree").CountAsync()).ShouldBe(1);
        (await row.InnerTextAsync()).ShouldContain("Suppression attestée le");
        (await row.Locator("form").CountAsync()).ShouldBe(0, "a deletion is attested once");

        // The page actions wrote the API's events, read back by the provider's DPO through the API.
        using var dpo = await portal.ApiClientAsync(Provider, "dpo");
        using var response = await dpo.GetAsync($"api/v1/audit/events?dataset={Dataset}&action=extract.*&limit=500");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        using var events = JsonDocument.Parse(body);
        var mine = events.RootElement.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("details").TryGetProperty("extract", out var x) && x.GetString() == id)
            .Reverse().ToList();
        // The gateway's retention pass may expire and purge the extract at any moment once its deadline has passed.
        mine = [.. mine.Where(e => e.GetProperty("action").GetString() is not ("extract.expired" or "extract.purged"))];
        mine.Select(e => e.GetProperty("action").GetString()).ShouldBe(["extract.requested", "extract.approved", "extract.approved", "extract.produced", "extract.downloaded", "extract.deletion-attested"], body);
        mine[5].GetProperty("actor").ToString().ShouldContain("analyst@epci-demo");
        mine[0].GetProperty("effect").GetString().ShouldBe("approval-required");
        mine[0].GetProperty("actor").ToString().ShouldContain("analyst@epci-demo");
        mine[1].GetProperty("details").GetProperty("approvals").GetString().ShouldBe("1/2");
        mine[2].GetProperty("details").GetProperty("approvals").GetString().ShouldBe("2/2");
        mine[2].GetProperty("details").GetProperty("complete").GetString().ShouldBe("true");
        mine[4].GetProperty("details").GetProperty("format").GetString().ShouldBe("json");
    }

    private static async Task ChooseWithKeyboardAsync(IPage page, string selector, string value)
    {
        for (var i = 0; i < 20 && await page.Locator(selector).InputValueAsync() != value; i++)
        {
            await page.Keyboard.PressAsync("ArrowDown");
        }

        (await page.Locator(selector).InputValueAsync()).ShouldBe(value);
    }
}

[Collection(SqlitePortal.Collection)]
public sealed class ExtractJourneyTests_on_Sqlite(SqlitePortal portal) : ExtractJourneyTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class ExtractJourneyTests_on_PostgreSql(PostgreSqlPortal portal) : ExtractJourneyTests(portal);
