using System.Net.Http.Headers;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// The real gateway (<see cref="GatewayApp.Build"/> and <see cref="GatewayApp.InitialiseAsync"/>) on Kestrel, on a free
/// loopback port, over a fresh database, with demo clients and a <see cref="TestClock"/>. Tests talk to it over HTTP.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDatabase;
    private readonly HttpMessageHandler _handler;

    private GatewayHost(WebApplication app, TestDatabase database, bool ownsDatabase, TestClock clock, Uri baseAddress)
    {
        _app = app;
        Database = database;
        _ownsDatabase = ownsDatabase;
        Clock = clock;
        BaseAddress = baseAddress;
        _handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1), AllowAutoRedirect = true };
        Http = CreateClient();
    }

    /// <summary>The issuer configured for test hosts (as OpenIddict normalises it: an origin ends with a slash).</summary>
    public const string Issuer = "https://gateway.test/";

    /// <summary>The audience configured for test hosts.</summary>
    public const string Audience = "dataclauses-api";

    public TestDatabase Database { get; }

    public TestClock Clock { get; }

    /// <summary>Where Kestrel listens (http://127.0.0.1:port/).</summary>
    public Uri BaseAddress { get; }

    /// <summary>An anonymous client of this host.</summary>
    public HttpClient Http { get; }

    /// <summary>The application's services (to reach its signing keys in token tests).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a host. <paramref name="settings"/> override the test defaults (configuration keys such as
    /// <c>DataClauses:Limits:TokenRequestsPerMinute</c>); <paramref name="database"/> shares a database with another host.
    /// </summary>
    public static async Task<GatewayHost> StartAsync(
        StorageProvider provider,
        IReadOnlyDictionary<string, string?>? settings = null,
        TestDatabase? database = null,
        TestClock? clock = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var ownsDatabase = database is null;
        database ??= await TestDatabase.CreateAsync(provider);
        clock ??= TestClock.StartingNow();
        WebApplication? app = null;
        try
        {
            app = Build(database, clock, settings, configure);
            await GatewayApp.InitialiseAsync(app);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .Single(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
            return new GatewayHost(app, database, ownsDatabase, clock, new Uri(address + "/"));
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (ownsDatabase)
            {
                await database.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Builds (without starting) an application with the test defaults and these settings.</summary>
    public static WebApplication Build(TestDatabase? database, TestClock clock, IReadOnlyDictionary<string, string?>? settings, Action<WebApplicationBuilder>? configure = null)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["DataClauses:NodeId"] = "epci-demo",
            ["DataClauses:PoliciesPath"] = PoliciesPath,
            ["DataClauses:SeedDemo"] = "true",

            // Demo accounts always; the synthetic datasets only for the tests that ask for them (they cost a second per host).
            ["DataClauses:SeedDemoDatasets"] = "false",
            ["DataClauses:Identity:Issuer"] = Issuer,
            ["DataClauses:Identity:Audience"] = Audience,

            // Generous limits by default: the rate-limit tests configure hosts of their own.
            ["DataClauses:Limits:TokenRequestsPerMinute"] = "100000",
            ["DataClauses:Limits:ApiRequestsPerSecond"] = "100000",
        };
        if (database is not null)
        {
            values["DataClauses:Storage:Provider"] = database.Provider == StorageProvider.Sqlite ? StorageProviders.Sqlite : StorageProviders.PostgreSql;
            values["DataClauses:Storage:ConnectionString"] = database.ConnectionString;
            values["DataClauses:Storage:DataDirectory"] = database.Directory;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return GatewayApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(values);
            builder.Services.AddSingleton<TimeProvider>(clock);
            if (Environment.GetEnvironmentVariable("DATACLAUSES_TEST_LOGS") != "1")
            {
                builder.Logging.ClearProviders();
            }

            configure?.Invoke(builder);
        });
    }

    /// <summary>The demo contracts: the copy next to the test binaries, else the repository's.</summary>
    public static string PoliciesPath => GatewayProcess.PoliciesPath;

    /// <summary>A new anonymous client of this host (sharing one connection pool).</summary>
    public HttpClient CreateClient() => new(_handler, disposeHandler: false) { BaseAddress = BaseAddress };

    /// <summary>POST /connect/token with client_secret_basic (or client_secret_post) and the client credentials grant.</summary>
    public async Task<HttpResponseMessage> RequestTokenAsync(string clientId, string secret, bool post = false, string grantType = "client_credentials")
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", grantType) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token");
        if (post)
        {
            form.Add(new("client_id", clientId));
            form.Add(new("client_secret", secret));
        }
        else
        {
            request.Headers.Authorization = BasicCredentials(clientId, secret);
        }

        request.Content = new FormUrlEncodedContent(form);
        return await Http.SendAsync(request);
    }

    /// <summary>An access token for a client; fails the test when the gateway refuses it.</summary>
    public async Task<string> GetTokenAsync(string clientId, string secret)
    {
        using var response = await RequestTokenAsync(clientId, secret);
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"token request for {clientId} failed: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>POST /connect/introspect as this client (client_secret_basic); fails the test unless it answers 200.</summary>
    public async Task<JsonElement> IntrospectAsync(string token, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = BasicCredentials(clientId, secret);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"introspection failed: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    /// <summary>POST /connect/revoke as this client (client_secret_basic).</summary>
    public async Task<HttpResponseMessage> RevokeAsync(string token, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/revoke") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = BasicCredentials(clientId, secret);
        return await Http.SendAsync(request);
    }

    /// <summary>An access token of the demo client of an organisation and role (e.g. caf-44, admin).</summary>
    public Task<string> GetDemoTokenAsync(string organisation, string role) =>
        GetTokenAsync(DemoAccounts.ClientId(organisation, role), DemoAccounts.Secret(organisation, role));

    /// <summary>An HTTP client carrying the bearer token of the demo client of an organisation and role.</summary>
    public async Task<HttpClient> ClientForAsync(string organisation, string role) => WithToken(await GetDemoTokenAsync(organisation, role));

    /// <summary>An HTTP client carrying this bearer token.</summary>
    public HttpClient WithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Every audit row, read directly from the database.</summary>
    public Task<IReadOnlyList<AuditRecord>> ReadAuditAsync() => Database.ReadAuditAsync();

    /// <summary>Verifies the whole stored chain with <see cref="AuditVerifier"/>.</summary>
    public async Task<AuditVerification> VerifyAuditChainAsync()
    {
        var rows = await ReadAuditAsync();
        return AuditVerifier.Verify(rows.Select(r => r.Row));
    }

    /// <summary>The node's current signing key (to craft tokens the real key signed).</summary>
    internal Task<(Microsoft.IdentityModel.Tokens.ECDsaSecurityKey Key, string KeyId)> GetSigningKeyAsync() =>
        Services.GetRequiredService<SigningKeys>().GetSigningKeyAsync(CancellationToken.None);

    /// <summary>An access token signed with the node's own key for any organisation and role (one no demo client has).</summary>
    internal async Task<string> CraftTokenAsync(string organisation, string role)
    {
        var (key, _) = await GetSigningKeyAsync();
        var now = Clock.GetUtcNow().UtcDateTime;
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(10),
            TokenType = "at+jwt",
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(key, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = $"{organisation}-{role}",
                ["client_id"] = $"{organisation}-{role}",
                ["org"] = organisation,
                ["roles"] = new[] { role },
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        });
    }

    public static AuthenticationHeaderValue BasicCredentials(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));

    /// <summary>Reads a JSON body (problem or resource).</summary>
    public static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return document.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        _handler.Dispose();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            if (_ownsDatabase)
            {
                await Database.DisposeAsync();
            }
        }
    }
}
