using System.Net;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// The gateway as a separate process (<c>dotnet DataClauses.Gateway.dll</c>, built next to the tests), configured
/// through environment variables on a test database, so that a test can kill it with SIGKILL and start it again.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly DotnetProcess _process;

    private GatewayProcess(DotnetProcess process)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress => _process.BaseAddress;

    public HttpClient Http { get; }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output => _process.Output;

    /// <summary>Starts the gateway on a database and waits until it listens and /readyz answers 200.</summary>
    public static async Task<GatewayProcess> StartAsync(TestDatabase database)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DataClauses__Storage__Provider"] = database.Provider == StorageProvider.PostgreSql ? "PostgreSQL" : "Sqlite",
            ["DataClauses__Storage__ConnectionString"] = database.ConnectionString,
            ["DataClauses__Storage__DataDirectory"] = database.Directory,
            ["DataClauses__PoliciesPath"] = GatewayHost.PoliciesPath,
            ["DataClauses__SeedDemo"] = "true",
            ["DataClauses__SeedDemoDatasets"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        var process = await DotnetProcess.StartAsync("DataClauses.Gateway.dll", ["--urls", "http://127.0.0.1:0"], environment, database.Directory);
        var gateway = new GatewayProcess(process);
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    using var ready = await gateway.Http.GetAsync("readyz");
                    return ready.StatusCode == HttpStatusCode.OK;
                },
                "the gateway process to be ready");
            return gateway;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException)
        {
            var output = gateway.Output;
            await gateway.DisposeAsync();
            throw new InvalidOperationException($"The gateway process did not start:{Environment.NewLine}{output}", e);
        }
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no finally block, no rollback by the gateway itself).</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>An HTTP client of this process carrying a demo client's access token.</summary>
    public async Task<HttpClient> ClientForAsync(string organisation, string role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(Demo.DemoAccounts.ClientId(organisation, role), Demo.DemoAccounts.Secret(organisation, role));
        using var response = await Http.SendAsync(request);
        var body = await GatewayHost.JsonOf(response);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}
