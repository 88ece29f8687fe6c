using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// A contract amended so that a declared schema no longer matches it: uploads answer 409 schema-outdated (with the
/// schema errors) and store nothing until the provider declares the schema again; published versions keep theirs.
/// </summary>
public abstract class ContractAmendmentTests
{
    private const string Original = "    dimensions:\n      - { name: qpv, geo: qpv }\n    measures:\n      - { name: foyers, kind: count }\n\nclauses:";

    private const string WithAgeBand = "    dimensions:\n      - { name: qpv, geo: qpv }\n      - { name: tranche_age, values: [moins-25, 25-plus] }\n    measures:\n      - { name: foyers, kind: count }\n\nclauses:";

    private const string AmendedSchema = """
        { "fields": [
          { "name": "id_foyer", "type": "string", "role": "unit-id" },
          { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
          { "name": "tranche_age", "type": "string", "role": "dimension" } ] }
        """;

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Upload_after_an_amendment_the_declared_schema_no_longer_matches_is_refused_until_the_schema_is_declared_again()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        var signed = Publishing.PoliciesWithTestContract();
        var amended = Publishing.PoliciesWithTestContract(text => text.Replace(Original, WithAgeBand, StringComparison.Ordinal));
        try
        {
            await using (var before = await GatewayHost.StartAsync(Provider, Policies(signed), database))
            {
                await Publishing.DeclareAsync(before, Publishing.Zoning2015Dataset);
                using var publisher = await before.ClientForAsync("caf-44", "publisher");
                using var first = await Publishing.UploadAsync(publisher, Publishing.Zoning2015Dataset, "2015-a", "id_foyer;qpv\nF1;QP044021\nF2;QP044021\n");
                first.StatusCode.ShouldBe(HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
            }

            await using var after = await GatewayHost.StartAsync(Provider, Policies(amended), database);
            using var caf = await after.ClientForAsync("caf-44", "publisher");

            using (var outdated = await Publishing.UploadAsync(caf, Publishing.Zoning2015Dataset, "2015-b", "id_foyer;qpv;tranche_age\nF1;QP044021;moins-25\n"))
            {
                var problem = await outdated.ShouldBeProblemAsync(HttpStatusCode.Conflict, "schema-outdated");
                problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetString()).ShouldContain("missing-dimension");
                await Publishing.ShouldHaveLeftNothingAsync(after, Publishing.Zoning2015Dataset, "2015-b");
            }

            using (var declared = await caf.PutAsync($"api/v1/datasets/{Publishing.Zoning2015Dataset}", new StringContent(AmendedSchema, Encoding.UTF8, "application/json")))
            {
                declared.StatusCode.ShouldBe(HttpStatusCode.OK, await declared.Content.ReadAsStringAsync());
                (await Publishing.AuditOfAsync(after, declared)).Single().Event.Action.ShouldBe("dataset.schema-updated");
            }

            using (var published = await Publishing.UploadAsync(caf, Publishing.Zoning2015Dataset, "2015-b", "id_foyer;qpv;tranche_age\nF1;QP044021;moins-25\n"))
            {
                published.StatusCode.ShouldBe(HttpStatusCode.Created, await published.Content.ReadAsStringAsync());
            }

            var versions = await caf.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{Publishing.Zoning2015Dataset}/versions");
            versions.GetProperty("versions").EnumerateArray().Select(v => (v.GetProperty("version").GetString(), v.GetProperty("rowCount").GetInt64()))
                .ShouldBe([("2015-a", 2L), ("2015-b", 1L)], ignoreOrder: true);
            var schemas = await StoredSchemasAsync(database);
            schemas["2015-a"].ShouldNotContain("tranche_age");
            schemas["2015-b"].ShouldContain("tranche_age");
        }
        finally
        {
            Directory.Delete(signed, recursive: true);
            Directory.Delete(amended, recursive: true);
        }
    }

    private static Dictionary<string, string?> Policies(string folder) =>
        new(StringComparer.Ordinal) { ["DataClauses:PoliciesPath"] = folder };

    private static async Task<Dictionary<string, string>> StoredSchemasAsync(TestDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT version, schema_json FROM dataset_versions WHERE dataset_id = '{Publishing.Zoning2015Dataset}'";
        await using var reader = await command.ExecuteReaderAsync();
        var schemas = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            schemas[reader.GetString(0)] = reader.GetString(1);
        }

        return schemas;
    }
}

public sealed class ContractAmendmentTests_on_Sqlite : ContractAmendmentTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ContractAmendmentTests_on_PostgreSql : ContractAmendmentTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
