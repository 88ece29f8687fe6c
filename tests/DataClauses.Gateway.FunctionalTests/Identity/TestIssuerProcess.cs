using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>
/// The test issuer (tests/DataClauses.TestIssuer: OpenIddict server, discovery, JWKS, client credentials, authorization
/// code + PKCE) as its own process on a loopback port. Each start has new keys: restarting on the same port rotates them.
/// </summary>
internal sealed class TestIssuerProcess : IAsyncDisposable
{
    public const string ClientId = "test-client";
    public const string ClientSecret = "test-secret";

    private readonly DotnetProcess _process;

    private TestIssuerProcess(DotnetProcess process)
    {
        _process = process;
        // Generous: a cold issuer answers its first token request slowly when the whole suite loads both cores.
        Http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(90) };
    }

    public Uri BaseAddress => _process.BaseAddress;

    /// <summary>The issuer as OpenIddict writes it in <c>iss</c> (the origin with a trailing slash).</summary>
    public string Issuer => BaseAddress.AbsoluteUri;

    public HttpClient Http { get; }

    public string Output => _process.Output;

    /// <summary>Starts the issuer, its client-credentials tokens carrying this organisation (none when null), roles and audience.</summary>
    public static async Task<TestIssuerProcess> StartAsync(string? organisation, string roles, string audience, int? port = null)
    {
        List<string> arguments = ["--urls", $"http://127.0.0.1:{port ?? 0}", "--roles", roles, "--audience", audience, "--client-id", ClientId, "--client-secret", ClientSecret];
        if (organisation is not null)
        {
            arguments.AddRange(["--organisation", organisation]);
        }

        var process = await DotnetProcess.StartAsync("DataClauses.TestIssuer.dll", arguments, new Dictionary<string, string>(StringComparer.Ordinal) { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        return new TestIssuerProcess(process);
    }

    /// <summary>A free loopback port (so that a restarted issuer keeps its address).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A client-credentials access token.</summary>
    public async Task<string> GetTokenAsync()
    {
        using var response = await Http.PostAsync("connect/token", new FormUrlEncodedContent(
        [
            new("grant_type", "client_credentials"),
            new("client_id", ClientId),
            new("client_secret", ClientSecret),
        ]));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>How many times the issuer was asked for a path (its request counter).</summary>
    public async Task<int> RequestsToAsync(string path)
    {
        var counts = await Http.GetFromJsonAsync<Dictionary<string, int>>("test/requests");
        return counts!.GetValueOrDefault(path);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}
