using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using DemoAccounts = global::DataClauses.Gateway.Demo.DemoAccounts;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The analyst's journeys in a real browser: find a dataset, read its clauses, run a permitted query (secret cells,
/// legend, chart, the API's CSV bytes), run a refused one and read why; the keyboard alone; and what a person of
/// another organisation, or nobody, gets.
/// </summary>
public abstract class AnalystJourneyTests(PortalFixture portal)
{
    private const string Caf = "caf-foyers-allocataires";

    // Observation is granted by caf-foyers-qpv to epci-demo; a breakdown by QPV and household type has small cells.
    private const string PermittedQuery = "/requetes?jeu=" + Caf + "&finalite=observation&dimensions=qpv&dimensions=type_menage&mesures=foyers&executer=1";

    [Fact]
    public async Task Analyst_finds_a_dataset_by_search_and_reads_its_schema_clauses_and_versions()
    {
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalFixture.SignInAsync(page, "epci-demo", "analyst");

        await PageChecks.VisitAsync(page, portal, "/catalogue", "catalogue");
        var all = await page.Locator("#catalogue tbody tr").CountAsync();
        await page.Locator("#q").FillAsync("allocataires");
        await page.Locator("#recherche-catalogue button").ClickAsync();
        await page.WaitForURLAsync(u => u.Contains("q=allocataires", StringComparison.Ordinal));
        await PageChecks.CheckAsync(page, "/catalogue?q=allocataires");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, "catalogue-recherche.png"), FullPage = true });

        (await page.Locator("#catalogue tbody tr").CountAsync()).ShouldBe(1);
        all.ShouldBeGreaterThan(1);
        (await page.Locator("#catalogue tbody tr").InnerTextAsync()).ShouldContain("CAF de Loire-Démo");

        await page.Locator("#catalogue a").ClickAsync();
        await page.WaitForURLAsync(u => u.EndsWith("/catalogue/" + Caf, StringComparison.Ordinal));
        await PageChecks.CheckAsync(page, "/catalogue/" + Caf);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, "jeu-de-donnees.png"), FullPage = true });
        var main = await page.Locator("main").InnerTextAsync();
        main.ShouldContain("caf-foyers-qpv");
        main.ShouldContain("au moins 11 foyers par case");
        main.ShouldContain("secret secondaire appliqué");
        main.ShouldContain("Observation des quartiers prioritaires");
        (await page.Locator("#schema tbody tr").CountAsync()).ShouldBeGreaterThan(0);
        (await page.Locator("#versions tbody tr").CountAsync()).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Permitted_query_explains_the_decision_then_shows_secret_cells_legend_chart_and_the_API_CSV()
    {
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalFixture.SignInAsync(page, "epci-demo", "analyst");

        var response = await PageChecks.VisitAsync(page, portal, PermittedQuery, "requete-autorisee");

        response.Status.ShouldBe(200);
        var explanation = await page.Locator("#explication").InnerTextAsync();
        explanation.ShouldContain("Autorisé pour la finalité Observation des quartiers prioritaires par la clause caf-foyers-qpv ; seuil de 11 foyers");
        explanation.ShouldContain("secret secondaire appliqué");
        (await page.Locator("#tableau-protege td.secret").CountAsync()).ShouldBeGreaterThan(0);
        (await page.Locator("#tableau-protege td.secret").AllInnerTextsAsync()).ShouldAllBe(t => t == "s");
        (await page.Locator("#legende").InnerTextAsync()).ShouldContain("secret statistique");
        var chart = page.Locator("svg[role=img]").First;
        (await chart.Locator("title").CountAsync()).ShouldBe(1);
        (await chart.Locator("desc").CountAsync()).ShouldBe(1);
        (await chart.Locator("rect").CountAsync()).ShouldBeGreaterThan(0);

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#telecharger-csv").ClickAsync());
        var downloaded = await File.ReadAllBytesAsync((await download.PathAsync())!);

        using var api = await ClientAsync("epci-demo", "analyst");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/queries")
        {
            Content = new StringContent(
                JsonSerializer.Serialize(new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv", "type_menage" }, measures = new[] { "foyers" } }),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("text/csv");
        using var answer = await api.SendAsync(request);
        answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        var expected = await answer.Content.ReadAsByteArrayAsync();
        downloaded.ShouldBe(expected);
        Encoding.UTF8.GetString(downloaded).ShouldContain(";s;secret");
    }

    [Fact]
    public async Task Refused_query_says_which_rule_refused_and_what_the_clauses_would_allow()
    {
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalFixture.SignInAsync(page, "epci-demo", "analyst");

        // Pilotage is a purpose of the contract that no clause on the CAF's dataset grants.
        await PageChecks.VisitAsync(page, portal, "/requetes?jeu=" + Caf + "&finalite=pilotage&dimensions=qpv&mesures=foyers&executer=1", "requete-refusee");

        (await page.Locator("#tableau-protege").CountAsync()).ShouldBe(0);
        var why = await page.Locator("#refus").InnerTextAsync();
        why.ShouldContain("purpose-not-permitted");
        var instead = await page.Locator("#alternatives").InnerTextAsync();
        instead.ShouldContain("caf-foyers-qpv");
        instead.ShouldContain("Observation des quartiers prioritaires");
        (await page.Locator("#telecharger-csv").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Query_form_is_filled_and_submitted_with_the_keyboard_alone()
    {
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalFixture.SignInAsync(page, "epci-demo", "analyst");
        await page.GotoAsync("/requetes?jeu=" + Caf);

        await TabToAsync(page, "finalite");
        await page.Keyboard.PressAsync("Home");
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, "dimension-type_menage");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "executer");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(u => u.Contains("executer=1", StringComparison.Ordinal));

        page.Url.ShouldContain("finalite=observation");
        page.Url.ShouldContain("dimensions=type_menage");
        (await page.Locator("#tableau-protege").CountAsync()).ShouldBe(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, "requete-clavier.png"), FullPage = true });
    }

    [Fact]
    public async Task A_person_of_another_organisation_sees_on_the_pages_exactly_the_datasets_the_API_shows_it()
    {
        // ft-pdl receives nothing from the CAF: its catalogue holds its own dataset only; every demo account is checked.
        // One browser, people taking turns: the cookies are cleared between them (the DSFR files stay cached).
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        foreach (var (organisation, account) in DemoAccounts.All)
        {
            await context.ClearCookiesAsync();
            await PortalFixture.SignInAsync(page, organisation, account);
            await page.GotoAsync("/catalogue");
            var onPage = (await page.Locator("#catalogue tbody a").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href').split('/').pop())")).Order().ToList();

            using var api = await ClientAsync(organisation, account);
            using var catalog = JsonDocument.Parse(await api.GetStringAsync("api/v1/catalog"));
            var fromApi = catalog.RootElement.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order().ToList();
            onPage.ShouldBe(fromApi, $"{account}@{organisation}");

            var hidden = await context.APIRequest.GetAsync("/catalogue/" + Caf);
            hidden.Status.ShouldBe(fromApi.Contains(Caf) ? 200 : 404, $"{account}@{organisation}");
            if (!fromApi.Contains(Caf))
            {
                await page.GotoAsync("/requetes?jeu=" + Caf + "&finalite=observation&dimensions=qpv&mesures=foyers&executer=1");
                (await page.Locator("#tableau-protege").CountAsync()).ShouldBe(0);
            }
        }
    }

    [Theory]
    [InlineData("/catalogue")]
    [InlineData("/catalogue/" + Caf)]
    [InlineData(PermittedQuery)]
    public async Task Anonymous_visitor_is_sent_to_the_sign_in_page(string path)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldContain("/connexion");
    }

    private static async Task TabToAsync(IPage page, string id)
    {
        for (var i = 0; i < 80; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<string>("() => document.activeElement.id") == id)
            {
                return;
            }
        }

        throw new InvalidOperationException($"Tab never reached #{id}.");
    }

    private async Task<HttpClient> ClientAsync(string organisation, string account)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Uri.EscapeDataString(DemoAccounts.ClientId(organisation, account)) + ":" + Uri.EscapeDataString(DemoAccounts.Secret(organisation, account))));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        using var response = await portal.Gateway.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        using var token = JsonDocument.Parse(body);
        var client = new HttpClient { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.RootElement.GetProperty("access_token").GetString());
        return client;
    }
}

[Collection(SqlitePortal.Collection)]
public sealed class AnalystJourneyTests_on_Sqlite(SqlitePortal portal) : AnalystJourneyTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class AnalystJourneyTests_on_PostgreSql(PostgreSqlPortal portal) : AnalystJourneyTests(portal);
