using DataClauses.Disclosure;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Tests.Catalog;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using static DataClauses.Gateway.Tests.Queries.SmallCube;

namespace DataClauses.Gateway.Tests.Queries;

/// <summary>
/// Linked clauses (docs/adr/0004, "Linked tables"): which clauses' cubes are protected together, how that shows in
/// their keys, and that their cubes agree on every cell they share.
/// </summary>
public sealed class LinkedGroupTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static Decision Permit(Contract contract, string dataset, string purpose, string organisation) => DecisionEngine.Decide(
        ContractSet.Create([contract]),
        new DecisionRequest { Requester = new Requester("analyst", organisation, ["analyst"]), Action = PolicyAction.Query, Dataset = dataset, Purpose = purpose },
        Now);

    [Fact]
    public void The_demo_france_travail_clauses_are_linked_by_the_open_one_and_name_the_same_group()
    {
        var dataset = TestContracts.Demo.FindDataset("ft-demandeurs-emploi")!;
        var qpv = CubeDefinition.For(Permit(TestContracts.Demo, dataset.Id, "pilotage", "epci-demo"), dataset);
        var open = CubeDefinition.For(Permit(TestContracts.Demo, dataset.Id, "statistique", "caf-44"), dataset);

        qpv.ClauseId.ShouldBe("ft-demandeurs-qpv");
        open.ClauseId.ShouldBe("ft-demandeurs-commune-open");
        qpv.Linked.ShouldNotBeNull().Clauses.ShouldBe(["ft-demandeurs-commune-open@0", "ft-demandeurs-qpv@0"]);
        open.Linked.ShouldNotBeNull().Clauses.ShouldBe(qpv.Linked.Clauses);
        qpv.Linked.LeafLevel.ShouldBe(GeoLevel.Qpv);
        qpv.Linked.GroupColumns.ShouldBe(["qpv", "commune", "categorie", "tranche_age", "anciennete"]);
        qpv.Linked.Rules.MinCount.ShouldBe(5);
        qpv.Linked.PublicTotal.ShouldBeTrue();
        qpv.Json.ShouldContain("\"linked\":");

        // The key names the group: the cube protected alone had another fingerprint.
        var clause = Permit(TestContracts.Demo, dataset.Id, "pilotage", "epci-demo").Clause!;
        var alone = CubeDefinition.Create(TestContracts.Demo, dataset, clause, Obligations.Of(clause));
        alone.Linked.ShouldBeNull();
        qpv.Fingerprint.ShouldNotBe(alone.Fingerprint);
    }

    [Fact]
    public void A_clause_without_a_linked_clause_of_another_shape_keeps_its_cube_and_key()
    {
        // The CAF clause as signed and as amended (purposes, retention) has one shape; the bailleur's two clauses have no recipient in common.
        foreach (var (dataset, purpose, organisation) in new[] { ("caf-foyers-allocataires", "observation", "epci-demo"), ("bailleur-logements", "observation", "epci-demo"), ("bailleur-logements", "diagnostic", "caf-44") })
        {
            var decision = Permit(TestContracts.Demo, dataset, purpose, organisation);
            var declaration = TestContracts.Demo.FindDataset(dataset)!;

            var definition = CubeDefinition.For(decision, declaration);

            definition.Linked.ShouldBeNull(decision.Clause!.Id);
            definition.Fingerprint.ShouldBe(CubeDefinition.Create(TestContracts.Demo, declaration, decision.Clause, decision.Obligations!).Fingerprint);
        }
    }

    [Fact]
    public void Linked_cubes_agree_on_every_cell_they_share_and_the_finer_one_keeps_cells_of_the_other_secret()
    {
        var (contract, byQpv, byCommune) = LinkedContract();
        var linked = byQpv.Linked.ShouldNotBeNull();
        linked.GroupColumns.ShouldBe(["qpv", "commune", "type", "libre"]);

        // Groups over (qpv, commune, type, libre): small cells everywhere.
        var random = new Random(7);
        var rows = new List<JointRow>();
        foreach (var (qpv, commune) in new[] { (Q1, "44901"), (Q2, "44901"), (Q3, "44902") })
        {
            foreach (var type in new[] { "a", "b" })
            {
                foreach (var libre in new[] { "x", "y", "z" })
                {
                    rows.Add(new JointRow([qpv, commune, type, libre], random.Next(0, 3), [0]));
                }
            }
        }

        var first = CubeBuilder.FromJointRows(byQpv, linked, "v", rows, null, DateTimeOffset.UnixEpoch);
        var second = CubeBuilder.FromJointRows(byCommune, byCommune.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch);

        first.Dimensions.Select(d => d.Name).ShouldBe(["geo", "type"]);
        second.Dimensions.Select(d => d.Name).ShouldBe(["geo", "libre"]);
        foreach (var place in new[] { "Total", "44901", "44902" })
        {
            var a = first.IndexOf([first.Dimensions[0].Hierarchy.IndexOf(place), 0]);
            var b = second.IndexOf([second.Dimensions[0].Hierarchy.IndexOf(place), 0]);
            (first.StatusOf(a), first.ValueOf(0, a)).ShouldBe((second.StatusOf(b), second.ValueOf(0, b)), place);
        }

        (first.PrimaryCount + second.PrimaryCount).ShouldBeGreaterThan(0, "the data have small cells to protect");
        contract.Clauses.Count.ShouldBe(2);
    }

    [Fact]
    public void Rows_that_linked_clauses_would_count_differently_are_refused_rather_than_protected_apart()
    {
        var (_, byQpv, _) = LinkedContract();
        JointRow[] rows =
        [
            new([Q1, "44901", "a", "x"], 9, [0]),

            // A QPV without its commune: the QPV clause counts it, the commune clause does not (rows outside every QPV
            // have their place in the joint table: LinkedOutsideQpvTests).
            new([Q2, null, "a", "x"], 4, [0]),
        ];

        var error = Should.Throw<CubeDefinitionException>(() => CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch));
        error.Message.ShouldContain("count 4 rows");

        // A commune that is not the commune of the row's QPV.
        rows = [new([Q1, "44902", "a", "x"], 9, [0])];
        Should.Throw<CubeDefinitionException>(() => CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Strictest_rules_make_sensitive_every_cell_some_clause_would()
    {
        var rules = LinkedGroup.Strictest([
            new DataClauses.Disclosure.DisclosureRules { MinCount = 5, Dominance = (1, 85), ProtectionLevel = 3, Rounding = Rounding.Base5 },
            new DataClauses.Disclosure.DisclosureRules { MinCount = 11, Dominance = (2, 90), PPercent = 10, ProtectZeros = true, SecondarySuppression = false }]);

        rules.ShouldBe(new DataClauses.Disclosure.DisclosureRules
        {
            MinCount = 11, Dominance = (2, 85), PPercent = 10, ProtectZeros = true, SecondarySuppression = true, ProtectionLevel = 3, Rounding = Rounding.None,
            PublicCells = rules.PublicCells,
        });
    }

    /// <summary>The small contract with clause c (qpv, commune, type) and clause o (commune, libre), both for caf-44.</summary>
    private static (Contract Contract, CubeDefinition ByQpv, CubeDefinition ByCommune) LinkedContract()
    {
        var byCommune = SmallCube.Clause(["commune", "libre"]) with { Id = "o", Measures = ["n"] };
        var contract = SmallCube.Contract with { Clauses = [SmallCube.Clause() with { Measures = ["n"] }, byCommune] };
        var first = Permit(contract, "d", "observation", "caf-44");
        first.Clause!.Id.ShouldBe("c");
        var decisionO = DecisionEngine.Decide(
            ContractSet.Create([contract]),
            new DecisionRequest { Requester = new Requester("analyst", "caf-44", ["analyst"]), Action = PolicyAction.Query, Dataset = "d", Purpose = "observation", Dimensions = ["libre"] },
            Now);
        decisionO.Clause!.Id.ShouldBe("o");
        return (contract, CubeDefinition.For(first, SmallCube.Dataset), CubeDefinition.For(decisionO, SmallCube.Dataset));
    }
}
