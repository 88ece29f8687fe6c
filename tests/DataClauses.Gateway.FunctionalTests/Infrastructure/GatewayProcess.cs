using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// The gateway as a separate process (<c>dotnet DataClauses.Gateway.dll</c>, built next to the tests), configured
/// through environment variables on a test database, so that a test can kill it with SIGKILL and start it again.
/// Shared with the portal's browser tests (linked there with TestDatabase, TestPostgres and StorageProvider): it
/// depends on nothing else of this project.
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

    /// <summary>The contracts the gateway loads: copied next to the tests, or the repository's own.</summary>
    public static string PoliciesPath { get; } = Directory.Exists(Path.Combine(AppContext.BaseDirectory, "policies"))
        ? Path.Combine(AppContext.BaseDirectory, "policies")
        : Path.Combine(typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, "policies");

    /// <summary>
    /// Starts the gateway on a database and waits until it listens and /readyz answers 200. <paramref name="settings"/>
    /// are environment variables that override the defaults (<c>DataClauses__SeedDemoDatasets</c>…).
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(TestDatabase database, IReadOnlyDictionary<string, string>? settings = null)
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
        start.Environment["DataClauses__PoliciesPath"] = PoliciesPath;
        start.Environment["DataClauses__SeedDemo"] = "true";
        start.Environment["DataClauses__SeedDemoDatasets"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

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
