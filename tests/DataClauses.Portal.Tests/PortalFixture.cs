using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// One gateway process (demo accounts and datasets, on a fresh database) and one headless Debian Chromium, shared by
/// every test class of a collection. Each test class runs twice, through a <c>_on_Sqlite</c> and a <c>_on_PostgreSql</c>
/// subclass; no test may leave state another relies on (each person's extracts, for one, are made by one test only).
/// </summary>
public abstract class PortalFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium: Playwright's own browser download fails on these machines (./test.sh installs it).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    // Without the background-networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private TestDatabase? _database;
    private GatewayProcess? _gateway;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public abstract StorageProvider Provider { get; }

    // The demo's synthetic datasets are published too: the journeys query them and the extract journey requests one.
    private static readonly Dictionary<string, string> Settings = new() { ["DataClauses__SeedDemoDatasets"] = "true" };

    /// <summary>The gateway's address (http://127.0.0.1:port/).</summary>
    public Uri BaseAddress => Gateway.BaseAddress;

    internal GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not started.");

    /// <summary>The gateway's database, for the journeys that let time pass (a retention deadline moved into the past).</summary>
    internal TestDatabase Database => _database ?? throw new InvalidOperationException("The database has not been created.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>Where the screenshots go: under the test output, one folder per storage.</summary>
    public string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots", Provider.ToString());

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run ./test.sh (it installs Debian's chromium) or apt-get install -y chromium.");
        }

        _database = await TestDatabase.CreateAsync(Provider);
        _gateway = await GatewayProcess.StartAsync(_database, Settings);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Args = ChromiumArgs,
            Headless = true,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>
    /// A new browser context on the gateway. <paramref name="bypassCsp"/> lets axe-core be injected as an inline script,
    /// which the pages' Content-Security-Policy forbids on purpose.
    /// </summary>
    public Task<IBrowserContext> NewContextAsync(bool bypassCsp = true) => Browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = BaseAddress.ToString(),
        BypassCSP = bypassCsp,
        Locale = "fr-FR",
        ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
    });

    /// <summary>Signs a demo person in as people do: the sign-in page, the form, then the home page with the session cookie.</summary>
    public static async Task SignInAsync(IPage page, string organisation, string role)
    {
        await page.GotoAsync("/connexion");
        await page.Locator("#identifiant").FillAsync(global::DataClauses.Gateway.Demo.DemoAccounts.UserName(organisation, role));
        await page.Locator("#motDePasse").FillAsync(global::DataClauses.Gateway.Demo.DemoAccounts.Password(organisation, role));
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
    }

    /// <summary>An HTTP client of the gateway's API with a demo client's bearer token (client credentials).</summary>
    public async Task<HttpClient> ApiClientAsync(string organisation, string role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        var credentials = $"{Uri.EscapeDataString(global::DataClauses.Gateway.Demo.DemoAccounts.ClientId(organisation, role))}:{Uri.EscapeDataString(global::DataClauses.Gateway.Demo.DemoAccounts.Secret(organisation, role))}";
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        using var response = await Gateway.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, body);
        using var token = System.Text.Json.JsonDocument.Parse(body);
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.RootElement.GetProperty("access_token").GetString());
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>The portal on SQLite, shared by every test class of the <c>_on_Sqlite</c> collection.</summary>
public sealed class SqlitePortal : PortalFixture
{
    public const string Collection = "portal on SQLite";

    public override StorageProvider Provider => StorageProvider.Sqlite;
}

/// <summary>The portal on PostgreSQL (fails every test of the collection with instructions when it is unreachable).</summary>
public sealed class PostgreSqlPortal : PortalFixture
{
    public const string Collection = "portal on PostgreSQL";

    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>One gateway and one browser for every SQLite test class: starting them is most of a class's time.</summary>
[CollectionDefinition(SqlitePortal.Collection)]
public sealed class SqlitePortalCollection : ICollectionFixture<SqlitePortal>;

/// <summary>One gateway and one browser for every PostgreSQL test class.</summary>
[CollectionDefinition(PostgreSqlPortal.Collection)]
public sealed class PostgreSqlPortalCollection : ICollectionFixture<PostgreSqlPortal>;
