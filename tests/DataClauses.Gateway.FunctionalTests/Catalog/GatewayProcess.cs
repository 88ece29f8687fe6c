using System.Diagnostics;
using System.Net;
using System.Text;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// The gateway as a separate process (<c>dotnet DataClauses.Gateway.dll</c>, built next to the tests), configured
/// through environment variables on a test database, so that a test can kill it with SIGKILL and start it again.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private GatewayProcess(Process process, StringBuilder output, Uri baseAddress)
    {
        _process = process;
        _output = output;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the gateway on a database and waits until it listens and /readyz answers 200.</summary>
    public static async Task<GatewayProcess> StartAsync(TestDatabase database)
    {
        var start = new ProcessStartInfo(DotnetPath(), [Path.Combine(AppContext.BaseDirectory, "DataClauses.Gateway.dll"), "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = database.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DataClauses__Storage__Provider"] = database.Provider == StorageProvider.PostgreSql ? "PostgreSQL" : "Sqlite";
        start.Environment["DataClauses__Storage__ConnectionString"] = database.ConnectionString;
        start.Environment["DataClauses__Storage__DataDirectory"] = database.Directory;
        start.Environment["DataClauses__PoliciesPath"] = GatewayHost.PoliciesPath;
        start.Environment["DataClauses__SeedDemo"] = "true";
        start.Environment["DataClauses__SeedDemoDatasets"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            const string marker = "Listening on: ";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(new Uri(e.Data[(at + marker.Length)..].Split(' ', ',')[0].TrimEnd('/') + "/"));
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The gateway process exited before listening."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
            var gateway = new GatewayProcess(process, output, address);
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
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw new InvalidOperationException($"The gateway process did not start:{Environment.NewLine}{output}", e);
        }
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no finally block, no rollback by the gateway itself).</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

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
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    /// <summary>The dotnet host running the tests (the gateway needs the same runtime).</summary>
    private static string DotnetPath() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? path
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
}
