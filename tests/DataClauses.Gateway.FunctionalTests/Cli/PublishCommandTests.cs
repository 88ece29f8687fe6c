using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DataClauses.Cli;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Cli;

/// <summary>
/// <c>dataclauses publish</c> (in process, <see cref="CliApp.Run"/>) against a real gateway over HTTP: it declares
/// the schema, uploads the file and prints the server's errors as <c>file:line:col: error code: message</c>.
/// </summary>
public abstract class PublishCommandTests(GatewayFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dataclauses-cli-").FullName;

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Publish_declares_the_schema_uploads_the_file_and_prints_what_was_published()
    {
        var csv = Write("foyers.csv", Publishing.ValidCsv(Publishing.Caf, 3));
        var version = NewVersion();

        var (exit, output, error) = await RunAsync(Args("caf-44-publisher", "demo-secret-caf-44-publisher", version, csv, withSchema: true));

        exit.ShouldBe(CliApp.Success, error);
        error.ShouldBeEmpty();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.ShouldContain(l => l == "Schema declared." || l == "Schema up to date.");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(csv)));
        lines.ShouldContain($"Published {Publishing.Caf} version {version}: 3 rows, sha256 {sha256}.");
        (await Publishing.CountRowsAsync(Host.Database, Publishing.Caf, version)).ShouldBe(3);
    }

    [Fact]
    public async Task Publish_of_a_bad_file_exits_1_and_prints_each_error_of_the_server_at_its_line_and_column()
    {
        var csv = Write(
            "mauvais.csv",
            $"{Publishing.CafHeader}\n{Publishing.ValidRow(Publishing.Caf, 1)}\nF0000002;QN09999M;44901;autre;apl;12\nF0000003;QN04401M;44901;autre;apl;-5\n");
        var version = NewVersion();

        var (exit, _, error) = await RunAsync(Args("caf-44-publisher", "demo-secret-caf-44-publisher", version, csv, withSchema: true));

        exit.ShouldBe(CliApp.Failure);
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ShouldBe(
        [
            $"{csv}:3:2: error outside-territory: 'QN09999M' in column 'qpv' is not a QPV (2024 list) of the territory of contract 'cdv-demo-2024-2030'.",
            $"{csv}:4:6: error below-minimum: -5 in column 'montant_mensuel' is below the minimum 0.",
            "error gateway: refused (422): Valeurs invalides / Invalid values — Some values do not fit the dataset's schema or the contract. Nothing was stored. 2 error(s). — (https://dataclauses.example/problems/csv-values)",
        ]);
        (await Publishing.StoredVersionsAsync(Host.Database, Publishing.Caf)).ShouldNotContain(version);
    }

    [Fact]
    public async Task Publish_with_a_wrong_secret_exits_1_with_the_gateway_refusal()
    {
        var csv = Write("foyers.csv", Publishing.ValidCsv(Publishing.Caf, 3));

        var (exit, _, error) = await RunAsync(Args("caf-44-publisher", "not-the-secret", NewVersion(), csv, withSchema: false));

        exit.ShouldBe(CliApp.Failure);
        var line = error.Trim();
        line.ShouldStartWith("error gateway: the gateway refused the client credentials (401): ");
        line.ShouldContain("oauth/invalid_client");
        line.ShouldNotContain("not-the-secret");
    }

    [Fact]
    public async Task Publish_by_a_publisher_of_another_organisation_exits_1_naming_the_provider_only_rule()
    {
        var csv = Write("foyers.csv", Publishing.ValidCsv(Publishing.Caf, 3));
        var version = NewVersion();

        var (exit, _, error) = await RunAsync(Args("ft-pdl-publisher", "demo-secret-ft-pdl-publisher", version, csv, withSchema: false));

        exit.ShouldBe(CliApp.Failure);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines[0].ShouldBe("error provider-only: Only the provider named by clause caf-foyers-qpv may do this (ft-pdl).");
        lines[^1].ShouldStartWith("error gateway: refused (403): Accès refusé / Forbidden");
        (await Publishing.StoredVersionsAsync(Host.Database, Publishing.Caf)).ShouldNotContain(version);
    }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    private string[] Args(string clientId, string secret, string version, string csv, bool withSchema)
    {
        var args = new List<string>
        {
            "publish",
            "--server", Host.BaseAddress.ToString(),
            "--client-id", clientId,
            "--client-secret", secret,
            "--dataset", Publishing.Caf,
            "--version", version,
            "--file", csv,
        };
        if (withSchema)
        {
            args.AddRange(["--schema", Write("schema.json", Publishing.Schemas[Publishing.Caf])]);
        }

        return [.. args];
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    private static string NewVersion() => "cli-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Runs the command line on the thread pool (it blocks on its own async work) and captures its two streams.</summary>
    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await Task.Run(() => CliApp.Run(args, output, error));
        return (exit, output.ToString(), error.ToString());
    }
}

public sealed class PublishCommandTests_on_Sqlite(SqliteGateway fixture) : PublishCommandTests(fixture), IClassFixture<SqliteGateway>;

public sealed class PublishCommandTests_on_PostgreSql(PostgreSqlGateway fixture) : PublishCommandTests(fixture), IClassFixture<PostgreSqlGateway>;
