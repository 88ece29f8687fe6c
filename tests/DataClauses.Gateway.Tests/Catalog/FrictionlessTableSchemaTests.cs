using System.Text.Json;
using System.Text.Json.Nodes;
using DataClauses.Gateway.Catalog;

namespace DataClauses.Gateway.Tests.Catalog;

/// <summary>
/// A Frictionless Table Schema (schema.data.gouv.fr's format) is read into the gateway's declaration with the roles
/// the contract gives each column; what the gateway cannot enforce is refused at its JSON path, never ignored.
/// </summary>
public sealed class FrictionlessTableSchemaTests
{
    // The demo CAF dataset as a data.gouv.fr publisher would write it: no roles, a primary key.
    private const string CafTableSchema = """
        {
          "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
          "title": "Foyers allocataires",
          "primaryKey": "id_foyer",
          "missingValues": [""],
          "fields": [
            { "name": "id_foyer", "type": "string", "format": "default", "description": "Identifiant du foyer" },
            { "name": "qpv", "type": "string" },
            { "name": "commune", "type": "string" },
            { "name": "type_menage", "type": "string" },
            { "name": "prestation", "type": "string" },
            { "name": "montant_mensuel", "type": "number", "constraints": { "minimum": 0 } }
          ]
        }
        """;

    [Fact]
    public void A_table_schema_reads_as_the_same_declaration_as_the_gateways_own_format()
    {
        using var document = JsonDocument.Parse(CafTableSchema);
        FrictionlessTableSchema.Is(document.RootElement).ShouldBeTrue();
        var errors = new List<SchemaError>();

        var declaration = FrictionlessTableSchema.ToDeclaration(document.RootElement, TestContracts.Caf, errors);

        errors.ShouldBeEmpty();
        var schema = DatasetSchema.Parse(declaration!.Value, TestContracts.Demo, TestContracts.Caf, errors);
        errors.ShouldBeEmpty();
        var native = TestContracts.Schema(TestContracts.CafSchema, TestContracts.Demo, TestContracts.Caf);
        var read = JsonNode.Parse(schema!.ToJson())!;
        read["fields"]!.AsArray().Select(f => (string)f!["role"]!).ShouldBe(["unit-id", "geo", "geo", "dimension", "dimension", "measure"]);
        read["fields"]![1]!["geo"]!.GetValue<string>().ShouldBe("qpv");
        schema.UnitId.Name.ShouldBe(native.UnitId.Name);
        schema.Fields.Select(f => (f.Name, f.Type, f.Role, f.Geo)).ShouldBe(native.Fields.Select(f => (f.Name, f.Type, f.Role, f.Geo)));
    }

    [Fact]
    public void The_gateways_own_format_is_not_taken_for_a_table_schema()
    {
        using var document = JsonDocument.Parse(TestContracts.CafSchema);

        FrictionlessTableSchema.Is(document.RootElement).ShouldBeFalse();
    }

    [Theory]
    [InlineData("foreignKeys", """[{"fields": "qpv", "reference": {"resource": "qpv", "fields": "code"}}]""", "$.foreignKeys")]
    [InlineData("missingValues", """["", "NA"]""", "$.missingValues")]
    [InlineData("primaryKey", """["id_foyer", "qpv"]""", "$.primaryKey")]
    [InlineData("name", "\"foyers\"", "$.name")]
    public void Unsupported_root_members_are_refused_at_their_path(string member, string value, string path)
    {
        var errors = ErrorsAfter(root => root[member] = JsonNode.Parse(value));

        errors.ShouldContain(e => e.Path == path && e.Code == "unsupported-frictionless-key");
    }

    [Theory]
    [InlineData("format", "\"%d/%m/%Y\"", "$.fields[5].format", "unsupported-frictionless-key")]
    [InlineData("rdfType", "\"https://schema.org/MonetaryAmount\"", "$.fields[5].rdfType", "unsupported-frictionless-key")]
    [InlineData("example", "\"12.5\"", "$.fields[5].example", "unsupported-frictionless-key")]
    [InlineData("type", "\"datetime\"", "$.fields[5].type", "unsupported-frictionless-type")]
    [InlineData("type", "\"geopoint\"", "$.fields[5].type", "unsupported-frictionless-type")]
    public void Unsupported_field_members_and_types_are_refused_at_their_path(string member, string value, string path, string code)
    {
        var errors = ErrorsAfter(root => root["fields"]![5]![member] = JsonNode.Parse(value));

        errors.ShouldContain(e => e.Path == path && e.Code == code);
    }

    [Theory]
    [InlineData("pattern", "\"^[0-9]+$\"")]
    [InlineData("unique", "true")]
    [InlineData("minLength", "1")]
    public void Unsupported_constraints_are_refused_at_their_path(string constraint, string value)
    {
        var errors = ErrorsAfter(root => root["fields"]![5]!["constraints"]![constraint] = JsonNode.Parse(value));

        errors.ShouldContain(e => e.Path == $"$.fields[5].constraints.{constraint}" && e.Code == "unsupported-frictionless-key");
    }

    [Fact]
    public void A_table_schema_without_a_primary_key_or_with_an_unknown_one_is_refused()
    {
        ErrorsAfter(root => root.Remove("primaryKey")).ShouldContain(e => e.Path == "$.primaryKey" && e.Code == "required");
        ErrorsAfter(root => root["primaryKey"] = "id_menage").ShouldContain(e => e.Path == "$.primaryKey" && e.Code == "unknown-field");
    }

    [Fact]
    public void A_column_the_contract_does_not_declare_is_refused_by_name_as_in_the_gateways_format()
    {
        var errors = new List<SchemaError>();
        var root = JsonNode.Parse(CafTableSchema)!;
        root["fields"]!.AsArray().Add(new JsonObject { ["name"] = "revenu", ["type"] = "number" });
        using var document = JsonDocument.Parse(root.ToJsonString());

        var declaration = FrictionlessTableSchema.ToDeclaration(document.RootElement, TestContracts.Caf, errors);
        DatasetSchema.Parse(declaration!.Value, TestContracts.Demo, TestContracts.Caf, errors).ShouldBeNull();

        errors.ShouldContain(e => e.Path.StartsWith("$.fields[6]", StringComparison.Ordinal) && e.Code == "not-in-contract");
    }

    private static List<SchemaError> ErrorsAfter(Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(CafTableSchema)!.AsObject();
        edit(root);
        using var document = JsonDocument.Parse(root.ToJsonString());
        var errors = new List<SchemaError>();
        FrictionlessTableSchema.ToDeclaration(document.RootElement, TestContracts.Caf, errors).ShouldBeNull();
        return errors;
    }
}
