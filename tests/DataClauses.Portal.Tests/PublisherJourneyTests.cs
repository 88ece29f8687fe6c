using System.Net;
using System.Text;
using DataClauses.Gateway.Demo;
using DataClauses.Policy.Loading;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The publisher's journey in a real browser, on France Travail's dataset (no other portal test reads it): "Nos jeux
/// de données" lists it with its versions and calendar; a file with wrong values is refused with each error on its
/// line and column (a file that cannot be split into records reports that alone: CsvUploadTests), a downloadable
/// report, and nothing published; the valid file is published with the progress bar
/// and appears as a new version; another organisation's publisher cannot reach the page, an analyst is refused.
/// </summary>
public abstract class PublisherJourneyTests(PortalFixture portal)
{
    private const string Dataset = "ft-demandeurs-emploi";

    [Fact]
    public async Task A_publisher_sees_each_error_of_a_malformed_file_then_publishes_the_valid_one()
    {
        var shots = portal.Provider.ToString().ToLowerInvariant();
        var folder = Directory.CreateTempSubdirectory("dataclauses-portal-publish-").FullName;
        try
        {
            // The demo's own synthetic France Travail file (valid), and a copy with three rows spoiled.
            var contract = ContractLoader.Load([Path.Combine(global::DataClauses.Gateway.FunctionalTests.Infrastructure.GatewayProcess.PoliciesPath, "cdv-demo-2024-2030.yaml")]).Contracts.Single();
            var csv = SyntheticData.Generate(contract).Single(d => d.DatasetId == Dataset).Versions[0].Csv;
            var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Length.ShouldBeGreaterThan(1300);
            var spoiled = (string[])lines.Clone();
            spoiled[1203] = Replace(spoiled[1203], 1, "QN99999X");         // line 1 204: a QPV outside the territory
            spoiled[799] = Replace(spoiled[799], 4, "Z");                  // line 800: a category the contract does not list
            var valid = Path.Combine(folder, "demandeurs-2025.csv");
            var malformed = Path.Combine(folder, "demandeurs-errone.csv");
            await File.WriteAllTextAsync(valid, string.Join('\n', lines) + "\n", new UTF8Encoding(false));
            await File.WriteAllTextAsync(malformed, string.Join('\n', spoiled) + "\n", new UTF8Encoding(false));

            await using var context = await portal.NewContextAsync();
            var page = await context.NewPageAsync();
            await PortalFixture.SignInAsync(page, "ft-pdl", "publisher");
            await PageChecks.VisitAsync(page, portal, "/publication", $"publication-{shots}");
            var section = page.Locator($"section.jeu[data-dataset='{Dataset}']");
            var before = await section.Locator("table.versions tbody tr").CountAsync();
            before.ShouldBeGreaterThan(0);
            (await section.Locator(".calendrier").InnerTextAsync()).ShouldContain("ft-demandeurs-qpv");

            // The malformed file: every error on its line, a report, nothing published.
            await section.Locator($"a[href='/publication/{Dataset}']").ClickAsync();
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == $"/publication/{Dataset}");
            await PageChecks.CheckAsync(page, "/publication/{dataset}");

            // Nothing chosen: each field says what is missing, nothing is sent.
            await page.Locator("#publier").ClickAsync();
            (await page.Locator("#erreur-version").InnerTextAsync()).ShouldContain("Indiquez l’identifiant");
            (await page.Locator("#erreur-fichier").InnerTextAsync()).ShouldContain("Choisissez le fichier");
            (await page.Locator("#version").GetAttributeAsync("aria-describedby")).ShouldBe("erreur-version");
            (await page.Locator("#progression").IsHiddenAsync()).ShouldBeTrue();
            await PageChecks.CheckAsync(page, "/publication/{dataset} (champs manquants)");
            await page.Locator("#version").FillAsync("2025-12-31");
            await page.Locator("#fichier").SetInputFilesAsync(malformed);
            await page.Locator("#publier").ClickAsync();
            var errors = page.Locator("#erreurs-publication li");
            await errors.First.WaitForAsync();
            // French digit grouping is a narrow no-break space: compared as a plain one.
            var texts = (await errors.AllInnerTextsAsync()).Select(Plain).ToList();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"publication-erreurs-{shots}.png"), FullPage = true });
            texts.ShouldContain("ligne 1 204, colonne « qpv » : code QPV inconnu pour ce contrat");
            texts.ShouldContain(t => t.StartsWith("ligne 800, colonne « categorie » : ", StringComparison.Ordinal));
            texts.Count.ShouldBe(2, string.Join(Environment.NewLine, texts));
            (await page.Locator("#refus-titre").InnerTextAsync()).ShouldNotBeNullOrWhiteSpace();
            await PageChecks.CheckAsync(page, "/publication/{dataset} (erreurs)");
            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#rapport-erreurs").ClickAsync());
            var report = await File.ReadAllTextAsync((await download.PathAsync())!);
            Plain(report).ShouldContain("ligne 1 204, colonne « qpv » : code QPV inconnu pour ce contrat");
            (await portal.Database.ScalarAsync($"SELECT COUNT(*) FROM dataset_versions WHERE dataset_id = '{Dataset}' AND version = '2025-12-31'")).ShouldBe(0L);
            await page.GotoAsync("/publication");
            (await section.Locator("table.versions tbody tr").CountAsync()).ShouldBe(before, "the catalogue is unchanged");

            // The valid file: the progress bar, then the new version at once.
            await page.GotoAsync($"/publication/{Dataset}");
            await page.Locator("#version").FillAsync("2025-12-31");
            await page.Locator("#fichier").SetInputFilesAsync(valid);
            await page.Locator("#publier").ClickAsync();
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/publication");
            (await page.Locator("#version-publiee").InnerTextAsync()).ShouldContain("2025-12-31");
            var added = section.Locator("table.versions tbody tr[data-version='2025-12-31']");
            Plain(await added.InnerTextAsync()).ShouldContain(Plain((lines.Length - 1).ToString("N0", System.Globalization.CultureInfo.GetCultureInfo("fr-FR"))));
            (await section.Locator("table.versions tbody tr").CountAsync()).ShouldBe(before + 1);

            // Another organisation's publisher cannot reach the page; an analyst is refused.
            await context.ClearCookiesAsync();
            await PortalFixture.SignInAsync(page, "caf-44", "publisher");
            (await page.GotoAsync($"/publication/{Dataset}"))!.Status.ShouldBe((int)HttpStatusCode.NotFound);
            await page.GotoAsync("/publication");
            (await page.Locator("section.jeu").CountAsync()).ShouldBeGreaterThan(0);
            (await page.Locator($"section.jeu[data-dataset='{Dataset}']").CountAsync()).ShouldBe(0);
            await context.ClearCookiesAsync();
            await PortalFixture.SignInAsync(page, "epci-demo", "analyst");
            (await page.GotoAsync("/publication"))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Plain(string text) => text.Replace('\u202F', ' ').Replace('\u00A0', ' ');

    private static string Replace(string line, int column, string value)
    {
        var cells = line.Split(',');
        cells[column] = value;
        return string.Join(',', cells);
    }
}

[Collection(SqlitePortal.Collection)]
public sealed class PublisherJourneyTests_on_Sqlite(SqlitePortal portal) : PublisherJourneyTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class PublisherJourneyTests_on_PostgreSql(PostgreSqlPortal portal) : PublisherJourneyTests(portal);
