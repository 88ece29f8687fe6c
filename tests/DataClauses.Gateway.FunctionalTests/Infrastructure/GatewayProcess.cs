using System.Diagnostics;
using System.Net;
using System.Reflection;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// The gateway as a separate process (<c>dotnet DataClauses.Gateway.dll</c>, built next to the tests), configured
/// through environment variables on a test database, so that a test can kill it with SIGKILL and start it again.
/// Shared with the portal's browser tests (linked there with DotnetProcess, TestDatabase, TestPostgres and
/// StorageProvider): it depends on nothing else of this project.
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

    /// <summary>The contracts the gateway loads: copied next to the tests, or the repository's own.</summary>
    public static string PoliciesPath { get; } = Directory.Exists(Path.Combine(AppContext.BaseDirectory, "policies"))
        ? Path.Combine(AppContext.BaseDirectory, "policies")
        : Path.Combine(typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, "policies");

    /// <summary>
    /// Starts the gateway on a database and waits until it listens and /readyz answers 200. <paramref name="settings"/>
    /// are environment variables that override the defaults (<c>DataClauses__SeedDemoDatasets</c>…).
    /// </summary>
    /// <param name="database">The database it runs on.</param>
    /// <param name="settings">Environment variables added to the defaults.</param>
    /// <param name="url">Where it listens: a free loopback port by default; a fixed one when other processes must know it first (federation).</param>
    public static async Task<GatewayProcess> StartAsync(TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, string url = "http://127.0.0.1:0")
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DataClauses__Storage__Provider"] = database.Provider == StorageProvider.PostgreSql ? "PostgreSQL" : "Sqlite",
            ["DataClauses__Storage__ConnectionString"] = database.ConnectionString,
            ["DataClauses__Storage__DataDirectory"] = database.Directory,
            ["DataClauses__PoliciesPath"] = PoliciesPath,
            ["DataClauses__SeedDemo"] = "true",
            ["DataClauses__SeedDemoDatasets"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        var process = await DotnetProcess.StartAsync("DataClauses.Gateway.dll", ["--urls", url], environment, database.Directory);
        var gateway = new GatewayProcess(process);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                using (var ready = await gateway.Http.GetAsync("readyz"))
                {
                    if (ready.StatusCode == HttpStatusCode.OK)
                    {
                        return gateway;
                    }
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException("Gave up after 60 s waiting for the gateway process to be ready.");
                }

                await Task.Delay(50);
            }
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

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}
