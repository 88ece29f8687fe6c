using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// The synthetic demo datasets (DataClauses:SeedDemoDatasets): generated from fixed seeds, so that every fresh node
/// holds byte-identical versions; published once through the partners' path; and saying in the data that they are
/// synthetic.
/// </summary>
public abstract class DemoDataSeedingTests(SeededGatewayFixture fixture)
{
    /// <summary>The versions a fresh demo node publishes: dataset, version, rows (the generator's, on every run).</summary>
    private static readonly (string Dataset, string Version, long Rows)[] Seeded =
    [
        (Publishing.Bailleur, "2024-12-31", 10114),
        (Publishing.Caf, "2023-12-31", 10224),
        (Publishing.Caf, "2024-12-31", 11216),
        (Publishing.FranceTravail, "2024-12-31", 4313),
    ];

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Fresh_demo_node_publishes_the_four_synthetic_versions_with_the_exact_rows_and_bytes_of_the_generator()
    {
        var contract = Host.Services.GetRequiredService<ContractCatalog>().Contracts.Contracts.Single(c => c.Id == "cdv-demo-2024-2030");
        var generated = SyntheticData.Generate(contract)
            .SelectMany(d => d.Versions.Select(v => (d.DatasetId, v.Version, Csv: v.Csv)))
            .ToDictionary(v => (v.DatasetId, v.Version), v => v.Csv);

        var stored = await StoredAsync(Host.Database);

        stored.Select(v => (v.Dataset, v.Version, v.Rows)).ToArray().ShouldBe(Seeded);
        foreach (var (dataset, version, rows, sha256) in stored)
        {
            var csv = generated[(dataset, version)];
            csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe((int)rows + 1);
            sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(csv))));
            (await Publishing.CountRowsAsync(Host.Database, dataset, version)).ShouldBe(rows);
        }

        var published = (await Host.ReadAuditAsync()).Where(r => r.Event.Action == "dataset.published").ToList();
        published.Select(r => (r.Event.Dataset, r.Event.Version)).ShouldBe(Seeded.Select(s => ((string?)s.Dataset, (string?)s.Version)), ignoreOrder: true);
        published.ShouldAllBe(r => r.Event.Actor.Subject == Publishing.ClientOf(r.Event.DataOwner!, "publisher"));
    }

    [Fact]
    public async Task Second_fresh_node_seeds_identical_versions_and_a_restart_on_its_database_publishes_nothing_new()
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal) { ["DataClauses:SeedDemoDatasets"] = "true" };
        await using var database = await TestDatabase.CreateAsync(fixture.Provider);
        IReadOnlyList<AuditRecord> firstStart;
        await using (var other = await GatewayHost.StartAsync(fixture.Provider, settings, database))
        {
            (await StoredAsync(database)).ShouldBe(await StoredAsync(Host.Database));
            firstStart = await database.ReadAuditAsync();
        }

        await using var restarted = await GatewayHost.StartAsync(fixture.Provider, settings, database);

        var afterRestart = await database.ReadAuditAsync();
        afterRestart.Count(r => r.Event.Action.StartsWith("dataset.", StringComparison.Ordinal))
            .ShouldBe(firstStart.Count(r => r.Event.Action.StartsWith("dataset.", StringComparison.Ordinal)));
        afterRestart.Count(r => r.Event.Action == "dataset.published").ShouldBe(Seeded.Length);
        (await StoredAsync(database)).ShouldBe(await StoredAsync(Host.Database));
        (await Publishing.VersionTablesAsync(database)).Count.ShouldBe(Seeded.Length);
        var verification = Verify(afterRestart);
        verification.Intact.ShouldBeTrue(verification.Detail);
    }

    [Theory]
    [InlineData(Publishing.Caf)]
    [InlineData(Publishing.FranceTravail)]
    [InlineData(Publishing.Bailleur)]
    public async Task Synthetic_dataset_says_in_its_schema_and_title_that_it_is_synthetic(string dataset)
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        var view = await analyst.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{dataset}");

        var description = view.GetProperty("schema").GetProperty("description").GetString()!;
        description.ShouldStartWith("DONNÉES SYNTHÉTIQUES");
        description.ShouldContain("SYNTHETIC DATA");
        view.GetProperty("title").GetString()!.ShouldContain("(données synthétiques)");
        view.GetProperty("declaredBy").GetString().ShouldBe(Publishing.ClientOf(Publishing.Providers[dataset], "publisher"));
    }

    private static DataClauses.Audit.AuditVerification Verify(IReadOnlyList<AuditRecord> rows) =>
        DataClauses.Audit.AuditVerifier.Verify(rows.Select(r => r.Row));

    private static async Task<List<(string Dataset, string Version, long Rows, string Sha256)>> StoredAsync(TestDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT dataset_id, version, row_count, content_sha256 FROM dataset_versions ORDER BY dataset_id, version";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, long, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture), reader.GetString(3)));
        }

        return rows;
    }
}

[Collection(SeededSqliteCollection.Name)]
public sealed class DemoDataSeedingTests_on_Sqlite(SeededSqliteGateway fixture) : DemoDataSeedingTests(fixture);

[Collection(SeededPostgreSqlCollection.Name)]
public sealed class DemoDataSeedingTests_on_PostgreSql(SeededPostgreSqlGateway fixture) : DemoDataSeedingTests(fixture);
