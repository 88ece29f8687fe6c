using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// A provider declares its schema as a Frictionless Table Schema (schema.data.gouv.fr's format) through
/// <c>PUT /api/v1/datasets/{id}</c>: one with a constraint the gateway cannot enforce is refused with the member's JSON
/// path and changes nothing; the same schema without it is declared, with the contract's roles, and a version publishes.
/// </summary>
public abstract class FrictionlessDeclarationTests
{
    private const string Caf = Publishing.Caf;

    private const string TableSchema = """
        {
          "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
          "primaryKey": ["id_foyer"],
          "fields": [
            { "name": "id_foyer", "type": "string" },
            { "name": "qpv", "type": "string" },
            { "name": "commune", "type": "string" },
            { "name": "type_menage", "type": "string" },
            { "name": "prestation", "type": "string" },
            { "name": "montant_mensuel", "type": "number", "constraints": { "minimum": 0 } }
          ]
        }
        """;

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task A_table_schema_with_an_unsupported_constraint_is_refused_at_its_path_then_declared_without_it()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        using var publisher = await host.ClientForAsync("caf-44", "publisher");
        var unsupported = JsonNode.Parse(TableSchema)!;
        unsupported["fields"]![0]!["constraints"] = new JsonObject { ["pattern"] = "^F[0-9]{7}$" };

        using var refused = await publisher.PutAsync($"api/v1/datasets/{Caf}", new StringContent(unsupported.ToJsonString(), Encoding.UTF8, "application/json"));
        var problem = await GatewayHost.JsonOf(refused);
        var before = await GatewayHost.JsonOf(await publisher.GetAsync($"api/v1/datasets/{Caf}"));

        refused.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity, problem.ToString());
        problem.GetProperty("type").GetString()!.ShouldEndWith("/schema-invalid");
        var error = problem.GetProperty("errors").EnumerateArray().ShouldHaveSingleItem();
        error.GetProperty("path").GetString().ShouldBe("$.fields[0].constraints.pattern");
        error.GetProperty("code").GetString().ShouldBe("unsupported-frictionless-key");
        before.GetProperty("declared").GetBoolean().ShouldBeFalse("a refused declaration changes nothing");

        using var declared = await publisher.PutAsync($"api/v1/datasets/{Caf}", new StringContent(TableSchema, Encoding.UTF8, "application/json"));
        declared.StatusCode.ShouldBe(HttpStatusCode.Created, await declared.Content.ReadAsStringAsync());
        var dataset = await GatewayHost.JsonOf(await publisher.GetAsync($"api/v1/datasets/{Caf}"));
        var fields = dataset.GetProperty("schema").GetProperty("fields").EnumerateArray().ToList();
        fields.Select(f => f.GetProperty("role").GetString()).ShouldBe(["unit-id", "geo", "geo", "dimension", "dimension", "measure"]);
        fields[1].GetProperty("geo").GetString().ShouldBe("qpv");
        using var published = await Publishing.UploadAsync(publisher, Caf, "2024-12-31", Publishing.ValidCsv(Caf, 30));
        published.StatusCode.ShouldBe(HttpStatusCode.Created, await published.Content.ReadAsStringAsync());
    }
}

public sealed class FrictionlessDeclarationTests_on_Sqlite : FrictionlessDeclarationTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class FrictionlessDeclarationTests_on_PostgreSql : FrictionlessDeclarationTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
