using System.Diagnostics;
using System.Text;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// An ASP.NET Core application built next to the tests, run as its own process (<c>dotnet X.dll --urls ...</c>), its
/// output collected, its listening address read from the "Listening on:" line; killed with SIGKILL when disposed.
/// </summary>
internal sealed class DotnetProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private DotnetProcess(Process process, StringBuilder output, Uri baseAddress)
    {
        _process = process;
        _output = output;
        BaseAddress = baseAddress;
    }

    /// <summary>Where it listens (http://127.0.0.1:port/).</summary>
    public Uri BaseAddress { get; }

    public bool HasExited => _process.HasExited;

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

    /// <summary>
    /// Starts <paramref name="assembly"/> (a dll next to the tests) with these arguments and environment, and waits until
    /// it prints its listening address ("Now listening on:" of Microsoft.Hosting.Lifetime, or the gateway's banner).
    /// </summary>
    public static async Task<DotnetProcess> StartAsync(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(DotnetPath(), [Path.Combine(AppContext.BaseDirectory, assembly), .. arguments])
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
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
            var at = e.Data.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                listening.TrySetResult(new Uri(e.Data[(at + marker.Length)..].Split(' ', ',')[0].TrimEnd('/') + "/"));
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"{assembly} exited before listening."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(180));
            return new DotnetProcess(process, output, address);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            string printed;
            lock (output)
            {
                printed = output.ToString();
            }

            throw new InvalidOperationException($"{assembly} did not start:{Environment.NewLine}{printed}", e);
        }
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no finally block).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>The dotnet host running the tests (the application needs the same runtime).</summary>
    private static string DotnetPath() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? path
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
}
