using System.Text.Json;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>Requests are read strictly: every problem is reported with its JSON path, and nothing unknown is ignored.</summary>
public sealed class RequestJsonTests
{
    private const string Valid = """
        {
          "requester": { "id": "ana-epci", "organisation": "epci-demo", "roles": ["analyst", "steward"] },
          "action": "extract",
          "dataset": "caf-foyers-allocataires",
          "dimensions": ["qpv", "type_menage"],
          "measures": ["foyers"],
          "filters": { "qpv": ["QN04401M", "QN04402M"], "type_menage": ["autre"] },
          "purpose": "observation",
          "retention": "P6M",
          "node": "epci-demo",
          "contract": "cdv-demo-2024-2030",
          "zoning": "qpv2024"
        }
        """;

    [Fact]
    public void A_complete_request_is_read_field_by_field()
    {
        var (request, errors) = Parse(Valid);

        errors.ShouldBeEmpty();
        request.ShouldNotBeNull();
        request.Requester.Id.ShouldBe("ana-epci");
        request.Requester.Organisation.ShouldBe("epci-demo");
        request.Requester.Roles.ShouldBe(["analyst", "steward"]);
        request.Action.ShouldBe(PolicyAction.Extract);
        request.Dataset.ShouldBe("caf-foyers-allocataires");
        request.Dimensions.ShouldBe(["qpv", "type_menage"]);
        request.Measures.ShouldBe(["foyers"]);
        request.Filters.Count.ShouldBe(2);
        request.Filters[0].ShouldBe(new Filter("qpv", request.Filters[0].Values));
        request.Filters[0].Values.ShouldBe(["QN04401M", "QN04402M"]);
        request.Filters[1].Dimension.ShouldBe("type_menage");
        request.Purpose.ShouldBe("observation");
        request.Retention.ShouldBe(new IsoDuration(0, 6, 0, 0, 0, 0, 0));
        request.Node.ShouldBe("epci-demo");
        request.Contract.ShouldBe("cdv-demo-2024-2030");
        request.Zoning.ShouldBe(Zoning.Qpv2024);
    }

    [Fact]
    public void A_minimal_request_needs_only_requester_action_and_dataset()
    {
        var (request, errors) = Parse("""{ "requester": { "id": "p", "organisation": "caf-44" }, "action": "publish", "dataset": "d" }""");

        errors.ShouldBeEmpty();
        request!.Requester.Roles.ShouldBeEmpty();
        request.Dimensions.ShouldBeEmpty();
        request.Filters.ShouldBeEmpty();
        request.Purpose.ShouldBeNull();
        request.Retention.ShouldBeNull();
    }

    [Theory]
    [InlineData("\"purpose\": \"observation\"", "\"purpos\": \"observation\"", "$.purpos: unknown field; expected one of: requester, action, dataset, dimensions, measures, filters, purpose, retention, node, contract, zoning")]
    [InlineData("\"organisation\": \"epci-demo\"", "\"organisation\": \"epci-demo\", \"org\": \"x\"", "$.requester.org: unknown field; expected one of: id, organisation, roles")]
    [InlineData("\"action\": \"extract\"", "\"action\": \"download\"", "$.action: 'download' is not one of: approve, audit-read, extract, publish, query")]
    [InlineData("\"action\": \"extract\"", "\"action\": \"Extract\"", "$.action: 'Extract' is not one of: approve, audit-read, extract, publish, query")]
    [InlineData("\"action\": \"extract\"", "\"action\": 3", "$.action: must be a non-empty string")]
    [InlineData("\"dataset\": \"caf-foyers-allocataires\"", "\"dataset\": \"  \"", "$.dataset: must be a non-empty string")]
    [InlineData("\"dimensions\": [\"qpv\", \"type_menage\"]", "\"dimensions\": \"qpv\"", "$.dimensions: must be a list of strings")]
    [InlineData("\"dimensions\": [\"qpv\", \"type_menage\"]", "\"dimensions\": [\"qpv\", 7]", "$.dimensions[1]: must be a non-empty string")]
    [InlineData("\"measures\": [\"foyers\"]", "\"measures\": [\"foyers\", \"foyers\"]", "$.measures[1]: 'foyers' is repeated")]
    [InlineData("\"roles\": [\"analyst\", \"steward\"]", "\"roles\": [\"analyst\", null]", "$.requester.roles[1]: must be a non-empty string")]
    [InlineData("\"roles\": [\"analyst\", \"steward\"]", "\"roles\": \"analyst\"", "$.requester.roles: must be a list of strings")]
    [InlineData("\"retention\": \"P6M\"", "\"retention\": \"6 months\"", "$.retention: '6 months' is not a non-zero ISO-8601 duration (e.g. P6M)")]
    [InlineData("\"retention\": \"P6M\"", "\"retention\": \"P0D\"", "$.retention: 'P0D' is not a non-zero ISO-8601 duration (e.g. P6M)")]
    [InlineData("\"retention\": \"P6M\"", "\"retention\": \"-P6M\"", "$.retention: '-P6M' is not a non-zero ISO-8601 duration (e.g. P6M)")]
    [InlineData("\"retention\": \"P6M\"", "\"retention\": \"P1.5Y\"", "$.retention: 'P1.5Y' is not a non-zero ISO-8601 duration (e.g. P6M)")]
    [InlineData("\"retention\": \"P6M\"", "\"retention\": 180", "$.retention: must be a non-empty string")]
    [InlineData("\"zoning\": \"qpv2024\"", "\"zoning\": \"qpv2020\"", "$.zoning: 'qpv2020' is not one of: qpv2015, qpv2024")]
    [InlineData("\"zoning\": \"qpv2024\"", "\"zoning\": true", "$.zoning: must be a non-empty string")]
    [InlineData("\"node\": \"epci-demo\"", "\"node\": \"\"", "$.node: must be a non-empty string")]
    [InlineData("\"contract\": \"cdv-demo-2024-2030\"", "\"contract\": [\"cdv-demo-2024-2030\"]", "$.contract: must be a non-empty string")]
    [InlineData("\"type_menage\": [\"autre\"]", "\"type_menage\": []", "$.filters.type_menage: a filter needs at least one value")]
    [InlineData("\"type_menage\": [\"autre\"]", "\"type_menage\": \"autre\"", "$.filters.type_menage: must be a list of strings")]
    [InlineData("\"type_menage\": [\"autre\"]", "\"type menage\": [\"autre\", 1]", "$.filters['type menage'][1]: must be a non-empty string")]
    [InlineData("\"type_menage\": [\"autre\"]", "\"it's\": []", "$.filters['it\\'s']: a filter needs at least one value")]
    [InlineData("\"filters\": {", "\"filters\": [], \"x\": {", "$.filters: must be an object mapping a dimension to a list of values")]
    [InlineData("\"purpose\": \"observation\"", "\"purpose\": \"observation\", \"purpose\": \"profiling\"", "$.purpose: repeated field")]
    [InlineData("\"type_menage\": [\"autre\"]", "\"type_menage\": [\"autre\"], \"type_menage\": [\"seul\"]", "$.filters.type_menage: repeated field")]
    [InlineData("\"id\": \"ana-epci\",", "\"id\": \"ana-epci\", \"id\": \"other\",", "$.requester.id: repeated field")]
    public void A_faulty_field_is_reported_with_its_json_path(string valid, string faulty, string error)
    {
        Valid.ShouldContain(valid);

        var (request, errors) = Parse(Valid.Replace(valid, faulty, StringComparison.Ordinal));

        request.ShouldBeNull();
        errors.ShouldContain(error);
    }

    [Theory]
    [InlineData("\"requester\"", "$.requester: required object with id, organisation and roles")]
    [InlineData("\"action\"", "$.action: required")]
    [InlineData("\"dataset\"", "$.dataset: required")]
    public void A_missing_required_field_is_reported(string field, string error)
    {
        using var document = JsonDocument.Parse(Valid);
        var without = document.RootElement.EnumerateObject().Where(p => p.NameEquals(field.Trim('"')) is false)
            .ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);

        var (request, errors) = Parse(JsonSerializer.Serialize(without));

        request.ShouldBeNull();
        errors.ShouldBe([error]);
    }

    [Fact]
    public void A_requester_that_is_not_an_object_is_reported()
    {
        var (_, errors) = Parse("""{ "requester": "ana-epci", "action": "query", "dataset": "d" }""");

        errors.ShouldBe(["$.requester: must be an object with id, organisation and roles"]);
    }

    [Fact]
    public void A_requester_without_id_and_organisation_is_reported_for_each()
    {
        var (_, errors) = Parse("""{ "requester": { "roles": ["analyst"] }, "action": "query", "dataset": "d" }""");

        errors.ShouldBe(["$.requester.id: required", "$.requester.organisation: required"]);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"query\"")]
    [InlineData("null")]
    [InlineData("42")]
    public void A_request_that_is_not_an_object_is_reported_at_the_root(string json)
    {
        var (request, errors) = Parse(json);

        request.ShouldBeNull();
        errors.ShouldBe(["$: a request must be a JSON object"]);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var (request, errors) = Parse("""
            { "requester": { "id": 1, "organisation": "o" }, "action": "delete", "dataset": "d",
              "retention": "forever", "zoning": "x", "extra": 1 }
            """);

        request.ShouldBeNull();
        errors.Count.ShouldBe(5);
        errors.ShouldContain(e => e.StartsWith("$.extra:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("$.requester.id:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("$.action:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("$.retention:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("$.zoning:", StringComparison.Ordinal));
    }

    [Fact]
    public void Null_optional_fields_are_absent_fields()
    {
        var (request, errors) = Parse("""
            { "requester": { "id": "a", "organisation": "o", "roles": null }, "action": "query", "dataset": "d",
              "dimensions": null, "measures": null, "filters": null, "purpose": null, "retention": null,
              "node": null, "contract": null, "zoning": null }
            """);

        errors.ShouldBeEmpty();
        request!.Purpose.ShouldBeNull();
        request.Zoning.ShouldBeNull();
    }

    private static (DecisionRequest? Request, IReadOnlyList<string> Errors) Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return RequestJson.Parse(document.RootElement);
    }
}
