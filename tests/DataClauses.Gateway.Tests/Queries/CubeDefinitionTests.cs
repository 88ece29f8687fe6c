using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Tests.Catalog;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using static DataClauses.Gateway.Tests.Queries.SmallCube;

namespace DataClauses.Gateway.Tests.Queries;

public sealed class CubeDefinitionTests
{
    private static Decision DemoPermit(string dataset, string purpose, string organisation = "epci-demo") => DecisionEngine.Decide(
        ContractSet.Create([TestContracts.Demo]),
        new DecisionRequest
        {
            Requester = new Requester("analyst", organisation, ["analyst"]),
            Action = PolicyAction.Query,
            Dataset = dataset,
            Purpose = purpose,
        },
        new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Demo_caf_clause_gives_one_geography_of_communes_over_qpvs_and_two_categories()
    {
        var decision = DemoPermit("caf-foyers-allocataires", "observation");
        decision.Effect.ShouldBe(Effect.Permit);

        var definition = CubeDefinition.For(decision, TestContracts.Caf);

        definition.ClauseId.ShouldBe("caf-foyers-qpv");
        definition.Amendment.ShouldBe(1);
        definition.Geo.LeafLevel.ShouldBe(GeoLevel.Qpv);
        definition.Geo.LeafColumn.ShouldBe("qpv");
        definition.Geo.Columns.ShouldBe(new Dictionary<string, GeoLevel> { ["qpv"] = GeoLevel.Qpv, ["commune"] = GeoLevel.Commune });
        definition.Geo.EpciCode.ShouldBe("200099999");
        definition.Geo.Codes.Count(c => c.Level == GeoLevel.Qpv).ShouldBe(12);
        definition.Geo.Codes.Where(c => c.Level == GeoLevel.Qpv).ShouldAllBe(c => c.Parent != null);
        definition.Categories.Select(c => c.Name).ShouldBe(["type_menage", "prestation"]);
        definition.Measures.ShouldBe([new CubeMeasure("foyers", MeasureKind.Count), new CubeMeasure("montant_mensuel", MeasureKind.Sum)]);
        definition.Rules.MinCount.ShouldBe(11);
        definition.Rules.Dominance.ShouldBe((1, 85.0));
        definition.Rules.TopContributionsNeeded.ShouldBe(1);
        definition.Fingerprint.ShouldMatch("^[0-9a-f]{64}$");
        definition.Json.ShouldContain("\"minCount\":11");
    }

    [Fact]
    public void Open_commune_clause_has_communes_as_leaves_and_no_qpv()
    {
        var decision = DemoPermit("ft-demandeurs-emploi", "statistique", "caf-44");
        decision.Clause!.Id.ShouldBe("ft-demandeurs-commune-open");

        var definition = CubeDefinition.For(decision, TestContracts.Demo.FindDataset("ft-demandeurs-emploi")!);

        definition.Geo.LeafLevel.ShouldBe(GeoLevel.Commune);
        definition.Geo.LeafColumn.ShouldBe("commune");
        definition.Geo.Codes.ShouldAllBe(c => c.Level == GeoLevel.Commune && c.Parent == null);
        definition.Rules.Rounding.ShouldBe(DataClauses.Disclosure.Rounding.Base5);
    }

    [Fact]
    public void Clause_allowing_qpv_and_iris_cannot_form_one_cube()
    {
        var clause = Clause(["qpv", "iris", "type"]);

        var error = Should.Throw<CubeDefinitionException>(() => Definition(clause));

        error.Message.ShouldContain("IRIS and QPV");
    }

    [Fact]
    public void Under_a_qpv_leaf_communes_without_a_qpv_are_left_out()
    {
        Definition().Geo.Codes.Select(c => c.Code).ShouldBe(["44901", "44902", Q1, Q2, Q3]);
    }

    [Fact]
    public void Iris_codes_come_from_the_data_under_their_commune()
    {
        var definition = Definition(Clause(["iris", "commune"]));

        var (hierarchy, levels) = definition.GeoHierarchy(["449020002", "449010001", "449010001"]);

        hierarchy.Codes.ShouldBe(["Total", "44901", "44902", "449010001", "449020002"]);
        hierarchy.Codes[hierarchy.Parents[hierarchy.IndexOf("449020002")]].ShouldBe("44902");
        levels.ShouldBe([GeoLevel.Epci, GeoLevel.Commune, GeoLevel.Commune, GeoLevel.Iris, GeoLevel.Iris]);
        Should.Throw<InvalidOperationException>(() => definition.GeoHierarchy(["449990001"]));
    }

    [Fact]
    public void Same_clause_gives_the_same_fingerprint_and_any_change_of_rules_or_amendment_another()
    {
        var fingerprint = Definition().Fingerprint;

        Definition().Fingerprint.ShouldBe(fingerprint);
        Definition(Clause(minCount: 4)).Fingerprint.ShouldNotBe(fingerprint);
        Definition(Clause(amendment: 1)).Fingerprint.ShouldNotBe(fingerprint);
        Definition(Clause(["qpv", "type"])).Fingerprint.ShouldNotBe(fingerprint);
        Definition().KeyFor("v1").ShouldNotBe(Definition().KeyFor("v2"));
    }

    [Fact]
    public void Category_without_declared_values_takes_the_values_met_in_the_data()
    {
        var definition = Definition(Clause(["libre"]));
        LeafAggregate[] aggregates = [new(["z"], 5, [1]), new(["x"], 4, [1])];

        var cube = CubeBuilder.FromAggregates(definition, "v", aggregates, null, DateTimeOffset.UnixEpoch);

        cube.Dimensions[1].Hierarchy.Codes.ShouldBe(["Total", "x", "z"]);
        cube.Dimensions[0].Hierarchy.Codes.ShouldBe(["Total"]);
    }
}
