using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using DataClauses.Cli;
using DataClauses.Cli.Commands;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Extracts;

/// <summary>
/// <c>dataclauses extract request|status|download|attest</c> (in process, <see cref="CliApp.Run"/>) against a real
/// gateway over HTTP, its clock moved by the test and its jobs run one pass at a time.
/// </summary>
public abstract partial class ExtractCommandsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dataclauses-cli-extracts-").FullName;

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Analyst_requests_follows_downloads_and_attests_an_extract_from_the_command_line()
    {
        var clock = TestClock.StartingNow();
        await using var host = await StartAsync(Provider, clock: clock);
        var jobs = host.Jobs();

        var (exit, output, error) = await RunAsync(host, "epci-demo-analyst",
            "extract", "request", "--dataset", FranceTravail, "--dimensions", "qpv,categorie", "--measures", "demandeurs",
            "--filter", "commune=44901,44902", "--purpose", "observation", "--justification", Justification, "--retention", "P1M");

        exit.ShouldBe(CliApp.Success, error);
        var id = IdPattern().Match(output).Groups["id"].Value;
        id.ShouldMatch("^[0-9a-f]{32}$", output);
        output.ShouldContain($"Extract {id}: approved, retention until {Instant(clock.GetUtcNow().AddMonths(1))}");
        (await jobs.RunOnceAsync()).Produced.ShouldBe(1);

        (exit, output, error) = await RunAsync(host, "epci-demo-analyst", "extract", "status", id);
        exit.ShouldBe(CliApp.Success, error);
        output.ShouldStartWith($"Extract {id}: ready, retention until ");
        output.ShouldContain($"table {FranceTravail}@2024-12-31 under ft-demandeurs-qpv: qpv,categorie × demandeurs");

        var file = Path.Combine(_folder, "demandeurs.csv");
        (exit, output, error) = await RunAsync(host, "epci-demo-analyst", "extract", "download", id, "--format", "csv", "--output", file);
        exit.ShouldBe(CliApp.Success, error);
        var bytes = await File.ReadAllBytesAsync(file);
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            bytes.ShouldBe(await DownloadOkAsync(analyst, id, "csv"));
        }

        CsvText(bytes).ShouldStartWith("qpv;categorie;demandeurs;statut\r\n");
        output.ShouldContain($"sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))}");

        // Someone else is told the extract does not exist.
        (exit, _, error) = await RunAsync(host, "ft-pdl-steward", "extract", "download", id, "--format", "json", "--output", Path.Combine(_folder, "x.json"));
        exit.ShouldBe(CliApp.Failure);
        error.ShouldContain("refused (404)");
        File.Exists(Path.Combine(_folder, "x.json")).ShouldBeFalse();

        (exit, _, error) = await RunAsync(host, "epci-demo-analyst", "extract", "attest", id);
        exit.ShouldBe(CliApp.Failure);
        error.ShouldContain("refused (409)");
        error.ShouldContain("extract-not-expired");

        clock.Advance(TimeSpan.FromDays(32));
        (await jobs.RunOnceAsync()).Purged.ShouldBe(1);

        (exit, _, error) = await RunAsync(host, "epci-demo-analyst", "extract", "download", id, "--format", "csv", "--output", Path.Combine(_folder, "late.csv"));
        exit.ShouldBe(CliApp.Failure);
        error.ShouldContain("refused (410)");
        error.ShouldContain("extract-purged");

        (exit, output, error) = await RunAsync(host, "epci-demo-analyst", "extract", "attest", id);
        exit.ShouldBe(CliApp.Success, error);
        output.Trim().ShouldBe($"Deletion of extract {id} attested by epci-demo-analyst at {Instant(clock.GetUtcNow())}.");
    }

    [Fact]
    public async Task Request_waits_until_ready_and_a_denied_request_prints_the_reasons()
    {
        await using var host = await StartAsync(Provider);
        var jobs = host.Jobs();
        ExtractCommands.PollInterval = TimeSpan.FromMilliseconds(50);

        var cli = RunAsync(host, "epci-demo-analyst",
            "extract", "request", "--dataset", FranceTravail, "--dimensions", "commune", "--measures", "demandeurs",
            "--purpose", "pilotage", "--justification", Justification, "--retention", "P3M", "--wait");

        // The command polls while the test runs the producer (real work in the background: polled with a deadline).
        var deadline = Environment.TickCount64 + 60_000;
        while (!cli.IsCompleted && Environment.TickCount64 < deadline)
        {
            await jobs.RunOnceAsync();
            await Task.WhenAny(cli, Task.Delay(50));
        }

        var (exit, output, error) = await cli;
        exit.ShouldBe(CliApp.Success, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(2);
        lines[0].ShouldContain(": approved, retention until ");
        lines[1].ShouldContain(": ready, retention until ");

        (exit, _, error) = await RunAsync(host, "epci-demo-analyst",
            "extract", "request", "--dataset", Caf, "--dimensions", "qpv", "--measures", "foyers",
            "--purpose", "pilotage", "--justification", Justification, "--retention", "P3M");

        exit.ShouldBe(CliApp.Failure);
        var errors = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        errors.ShouldContain(l => l.StartsWith("error purpose-not-permitted: ", StringComparison.Ordinal) && l.Contains("caf-foyers-qpv", StringComparison.Ordinal));
        errors[^1].ShouldStartWith("error gateway: refused (403): ");

        (exit, _, error) = await RunAsync(host, "epci-demo-analyst",
            "extract", "request", "--dataset", FranceTravail, "--measures", "demandeurs", "--filter", "qpv",
            "--purpose", "observation", "--justification", Justification, "--retention", "P3M");
        exit.ShouldBe(CliApp.Failure);
        error.Trim().ShouldBe("error option: --filter must be dimension=value1,value2, not 'qpv'");
    }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(GatewayHost host, string clientId, params string[] args)
    {
        string[] all = [.. args, "--server", host.BaseAddress.ToString(), "--client-id", clientId, "--client-secret", $"demo-secret-{clientId}"];
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await Task.Run(() => CliApp.Run(all, output, error));
        return (exit, output.ToString(), error.ToString());
    }

    [GeneratedRegex("Extract (?<id>[0-9a-f]{32}):", RegexOptions.ExplicitCapture)]
    private static partial Regex IdPattern();
}

public sealed class ExtractCommandsTests_on_Sqlite : ExtractCommandsTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ExtractCommandsTests_on_PostgreSql : ExtractCommandsTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
