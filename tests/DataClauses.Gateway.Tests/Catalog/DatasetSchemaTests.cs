using System.Text.Json;
using System.Text.Json.Nodes;
using DataClauses.Gateway.Catalog;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Tests.Catalog;

public sealed class DatasetSchemaTests
{
    [Fact]
    public void The_demo_schema_matches_the_contract_and_is_normalised()
    {
        var schema = TestContracts.Schema(TestContracts.CafSchema, TestContracts.Demo, TestContracts.Caf);

        schema.Fields.Count.ShouldBe(6);
        schema.UnitId.Name.ShouldBe("id_foyer");
        schema.Find("qpv")!.Geo.ShouldBe(GeoLevel.Qpv);
        var json = JsonNode.Parse(schema.ToJson())!;
        json["fields"]![0]!["constraints"]!["required"]!.GetValue<bool>().ShouldBeTrue();
        json["fields"]![5]!["constraints"]!["minimum"]!.GetValue<double>().ShouldBe(0);
    }

    [Fact]
    public void A_normalised_schema_reads_back_the_same()
    {
        var schema = TestContracts.Schema(TestContracts.MixedSchema, TestContracts.Mixed, TestContracts.MixedDataset);

        var again = TestContracts.Schema(schema.ToJson(), TestContracts.Mixed, TestContracts.MixedDataset);

        again.ToJson().ShouldBe(schema.ToJson());
    }

    [Theory]
    [InlineData("[]", "$", "invalid-type")]
    [InlineData("{}", "$.fields", "required")]
    [InlineData("""{"fields": {}}""", "$.fields", "required")]
    [InlineData("""{"fields": []}""", "$.fields", "required")]
    [InlineData("""{"fields": [1]}""", "$.fields[0]", "invalid-type")]
    public void Malformed_documents_are_located(string json, string path, string code)
    {
        ErrorsOf(json).ShouldContain(e => e.Path == path && e.Code == code);
    }

    [Fact]
    public void Unknown_properties_are_refused_at_every_level()
    {
        var errors = ErrorsOf(Edit(schema =>
        {
            schema["extra"] = 1;
            schema["fields"]![1]!["format"] = "x";
            schema["fields"]![5]!["constraints"]!["pattern"] = "x";
        }));

        errors.ShouldContain(e => e.Path == "$.extra" && e.Code == "unknown-property");
        errors.ShouldContain(e => e.Path == "$.fields[1].format" && e.Code == "unknown-property");
        errors.ShouldContain(e => e.Path == "$.fields[5].constraints.pattern" && e.Code == "unknown-property");
    }

    [Theory]
    [InlineData("name", "$.fields[1].name", "required")]
    [InlineData("type", "$.fields[1].type", "required")]
    [InlineData("role", "$.fields[1].role", "required")]
    public void Missing_field_members_are_located(string member, string path, string code)
    {
        ErrorsOf(Edit(schema => schema["fields"]![1]!.AsObject().Remove(member))).ShouldContain(e => e.Path == path && e.Code == code);
    }

    [Theory]
    [InlineData("name", "Qpv-2024", "invalid-name")]
    [InlineData("type", "text", "invalid-type")]
    [InlineData("role", "key", "invalid-role")]
    [InlineData("geo", "region", "invalid-geo")]
    public void Invalid_field_members_are_located(string member, string value, string code)
    {
        ErrorsOf(Edit(schema => schema["fields"]![1]![member] = value)).ShouldContain(e => e.Path == $"$.fields[1].{member}" && e.Code == code);
    }

    [Fact]
    public void A_field_the_contract_does_not_declare_is_refused()
    {
        var errors = ErrorsOf(Edit(schema => schema["fields"]!.AsArray().Add(new JsonObject { ["name"] = "nom", ["type"] = "string", ["role"] = "dimension" })));

        errors.ShouldContain(e => e.Path == "$.fields[6].name" && e.Code == "not-in-contract");
    }

    [Fact]
    public void A_geographic_dimension_declared_as_categorical_is_refused()
    {
        var errors = ErrorsOf(Edit(schema =>
        {
            schema["fields"]![1]!["role"] = "dimension";
            schema["fields"]![1]!.AsObject().Remove("geo");
        }));

        errors.ShouldContain(e => e.Path == "$.fields[1].name" && e.Code == "not-in-contract" && e.Message.Contains("role 'geo'"));
    }

    [Fact]
    public void A_categorical_dimension_declared_as_geographic_is_refused()
    {
        var errors = ErrorsOf(Edit(schema =>
        {
            schema["fields"]![3]!["role"] = "geo";
            schema["fields"]![3]!["geo"] = "qpv";
        }));

        errors.ShouldContain(e => e.Path == "$.fields[3].name" && e.Code == "not-in-contract");
    }

    [Fact]
    public void A_geo_field_must_state_the_contract_s_level()
    {
        ErrorsOf(Edit(schema => schema["fields"]![1]!["geo"] = "commune")).ShouldContain(e => e.Path == "$.fields[1].geo" && e.Code == "geo-level-mismatch");
        ErrorsOf(Edit(schema => schema["fields"]![1]!.AsObject().Remove("geo"))).ShouldContain(e => e.Path == "$.fields[1].geo" && e.Code == "required");
    }

    [Fact]
    public void Geo_and_measure_types_are_checked()
    {
        ErrorsOf(Edit(schema => schema["fields"]![1]!["type"] = "integer")).ShouldContain(e => e.Path == "$.fields[1].type" && e.Code == "type-not-allowed");
        ErrorsOf(Edit(schema => schema["fields"]![5]!["type"] = "string")).ShouldContain(e => e.Path == "$.fields[5].type" && e.Code == "type-not-allowed");
        ErrorsOf(Edit(schema => schema["fields"]![0]!["type"] = "date")).ShouldContain(e => e.Path == "$.fields[0].type" && e.Code == "type-not-allowed");
        ErrorsOf(Edit(schema => schema["fields"]![3]!["type"] = "number")).ShouldContain(e => e.Path == "$.fields[3].type" && e.Code == "type-not-allowed");
    }

    [Fact]
    public void A_dimension_typed_so_that_the_contract_values_do_not_parse_is_refused()
    {
        ErrorsOf(Edit(schema => schema["fields"]![3]!["type"] = "integer")).ShouldContain(e => e.Path == "$.fields[3].type" && e.Code == "type-not-allowed");
    }

    [Fact]
    public void A_count_measure_has_no_column()
    {
        var errors = ErrorsOf(Edit(schema => schema["fields"]!.AsArray().Add(new JsonObject { ["name"] = "foyers", ["type"] = "integer", ["role"] = "measure" })));

        errors.ShouldContain(e => e.Path == "$.fields[6].role" && e.Code == "count-measure-field");
    }

    [Fact]
    public void Every_contract_dimension_and_summed_measure_needs_a_field()
    {
        var errors = ErrorsOf(Edit(schema =>
        {
            schema["fields"]!.AsArray().RemoveAt(5);
            schema["fields"]!.AsArray().RemoveAt(2);
        }));

        errors.ShouldContain(e => e.Path == "$.fields" && e.Code == "missing-dimension" && e.Message.Contains("'commune'"));
        errors.ShouldContain(e => e.Path == "$.fields" && e.Code == "missing-measure" && e.Message.Contains("'montant_mensuel'"));
    }

    [Fact]
    public void Exactly_one_required_unit_id()
    {
        ErrorsOf(Edit(schema => schema["fields"]!.AsArray().RemoveAt(0))).ShouldContain(e => e.Path == "$.fields" && e.Code == "missing-unit-id");
        ErrorsOf(Edit(schema => schema["fields"]!.AsArray().Add(new JsonObject { ["name"] = "autre_id", ["type"] = "string", ["role"] = "unit-id" })))
            .ShouldContain(e => e.Path == "$.fields[6].role" && e.Code == "duplicate-unit-id");
        ErrorsOf(Edit(schema => schema["fields"]![0]!["constraints"] = new JsonObject { ["required"] = false }))
            .ShouldContain(e => e.Path == "$.fields[0].constraints.required" && e.Code == "unit-id-optional");
        ErrorsOf(Edit(schema => schema["fields"]![0]!["name"] = "prestation"))
            .ShouldContain(e => e.Code == "duplicate-field" || e.Code == "unit-id-name");
    }

    [Fact]
    public void A_duplicate_field_is_located()
    {
        var errors = ErrorsOf(Edit(schema => schema["fields"]!.AsArray().Add(JsonNode.Parse("""{"name":"qpv","type":"string","role":"geo","geo":"qpv"}"""))));

        errors.ShouldContain(e => e.Path == "$.fields[6].name" && e.Code == "duplicate-field");
    }

    [Fact]
    public void A_dimension_enum_must_be_a_subset_of_the_contract_values()
    {
        var errors = ErrorsOf(Edit(schema => schema["fields"]![3]!["constraints"] = JsonNode.Parse("""{"enum":["autre","inconnu"]}""")));

        errors.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            e => e.Path.ShouldBe("$.fields[3].constraints.enum[1]"),
            e => e.Code.ShouldBe("enum-value-not-allowed"));
    }

    [Fact]
    public void A_geo_enum_must_be_within_the_territory()
    {
        var errors = ErrorsOf(Edit(schema => schema["fields"]![1]!["constraints"] = JsonNode.Parse("""{"enum":["QN04401M","QN07501M"]}""")));

        errors.ShouldContain(e => e.Path == "$.fields[1].constraints.enum[1]" && e.Code == "enum-outside-territory");
    }

    [Fact]
    public void Enum_is_only_for_geo_and_dimension_fields()
    {
        ErrorsOf(Edit(schema => schema["fields"]![5]!["constraints"] = JsonNode.Parse("""{"enum":["1"]}""")))
            .ShouldContain(e => e.Path == "$.fields[5].constraints.enum" && e.Code == "constraint-not-allowed");
    }

    [Fact]
    public void Constraints_are_checked_against_the_type()
    {
        ErrorsOf(Edit(schema => schema["fields"]![5]!["constraints"] = JsonNode.Parse("""{"maxLength":3}""")))
            .ShouldContain(e => e.Path == "$.fields[5].constraints.maxLength" && e.Code == "constraint-not-allowed");
        ErrorsOf(Edit(schema => schema["fields"]![3]!["constraints"] = JsonNode.Parse("""{"minimum":3}""")))
            .ShouldContain(e => e.Path == "$.fields[3].constraints.minimum" && e.Code == "constraint-not-allowed");
        ErrorsOf(Edit(schema => schema["fields"]![5]!["constraints"] = JsonNode.Parse("""{"minimum":"zero"}""")))
            .ShouldContain(e => e.Path == "$.fields[5].constraints.minimum" && e.Code == "invalid-constraint");
        ErrorsOf(Edit(schema => schema["fields"]![5]!["constraints"] = JsonNode.Parse("""{"minimum":10,"maximum":1}""")))
            .ShouldContain(e => e.Path == "$.fields[5].constraints.minimum" && e.Code == "minimum-above-maximum");
        ErrorsOf(Edit(schema => schema["fields"]![5]!["constraints"] = JsonNode.Parse("""{"required":"yes"}""")))
            .ShouldContain(e => e.Path == "$.fields[5].constraints.required" && e.Code == "invalid-type");
        ErrorsOf(Edit(schema => schema["fields"]![0]!["constraints"] = JsonNode.Parse("""{"maxLength":0}""")))
            .ShouldContain(e => e.Path == "$.fields[0].constraints.maxLength" && e.Code == "invalid-constraint");
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var errors = ErrorsOf(Edit(schema =>
        {
            schema["fields"]![1]!["geo"] = "iris";
            schema["fields"]![5]!["type"] = "string";
            schema["fields"]!.AsArray().RemoveAt(0);
        }));

        errors.Select(e => e.Code).ShouldBe(["geo-level-mismatch", "type-not-allowed", "constraint-not-allowed", "missing-unit-id"], ignoreOrder: true);
    }

    [Fact]
    public void A_2015_dataset_checks_geo_enums_against_the_2015_list()
    {
        var errors = new List<SchemaError>();
        using var document = JsonDocument.Parse("""{"fields":[{"name":"id","type":"string","role":"unit-id"},{"name":"qpv","type":"string","role":"geo","geo":"qpv","constraints":{"enum":["QP044001","QN04401M"]}}]}""");

        DatasetSchema.Parse(document.RootElement, TestContracts.Mixed, TestContracts.Zoning2015Dataset, errors).ShouldBeNull();

        errors.ShouldHaveSingleItem().Path.ShouldBe("$.fields[1].constraints.enum[1]");
    }

    private static List<SchemaError> ErrorsOf(string json)
    {
        var errors = new List<SchemaError>();
        using var document = JsonDocument.Parse(json);
        DatasetSchema.Parse(document.RootElement, TestContracts.Demo, TestContracts.Caf, errors).ShouldBeNull();
        errors.ShouldNotBeEmpty();
        return errors;
    }

    private static string Edit(Action<JsonNode> edit)
    {
        var schema = JsonNode.Parse(TestContracts.CafSchema)!;
        edit(schema);
        return schema.ToJsonString();
    }
}
