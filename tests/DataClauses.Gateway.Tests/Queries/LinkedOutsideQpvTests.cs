using DataClauses.Disclosure;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using static DataClauses.Gateway.Tests.Queries.SmallCube;

namespace DataClauses.Gateway.Tests.Queries;

/// <summary>
/// Linked clauses over rows outside every QPV (docs/adr/0004, "Linked tables"): a commune clause counts them, a QPV
/// clause does not, so the joint table splits them from the QPVs' rows by a zone; each clause still gets exactly the
/// counts it has alone, shared cells one status, and protected zeros still fail closed.
/// </summary>
public sealed class LinkedOutsideQpvTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_linked_clause_counts_what_it_counts_alone_when_rows_lie_outside_every_qpv()
    {
        // A threshold of 1 suppresses nothing: every cell of both cubes is published and can be compared.
        var (contract, byQpv, byCommune, _) = LinkedContract(minCount: 1);
        var rows = Rows(new Random(11), outsideEverywhere: true);
        rows.Where(r => r.Codes[0] is null).Sum(r => r.Count).ShouldBeGreaterThan(0);

        foreach (var definition in new[] { byQpv, byCommune })
        {
            var linked = CubeBuilder.FromJointRows(definition, definition.Linked.ShouldNotBeNull(), "v", rows, null, DateTimeOffset.UnixEpoch);
            var alone = Alone(contract, definition, rows);

            linked.Dimensions.Select(d => d.Name).ShouldBe(alone.Dimensions.Select(d => d.Name));
            linked.CellCount.ShouldBe(alone.CellCount);
            alone.PrimaryCount.ShouldBe(0);
            linked.PrimaryCount.ShouldBe(0);
            for (var cell = 0; cell < linked.CellCount; cell++)
            {
                (linked.StatusOf(cell), linked.ValueOf(0, cell)).ShouldBe((CellStatus.Published, alone.ValueOf(0, cell)), $"{definition.ClauseId} cell {cell}");
            }
        }

        // The QPV clause's commune is the sum of its QPVs; the commune clause's counts every row of the commune.
        var qpvCube = CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch);
        var communeCube = CubeBuilder.FromJointRows(byCommune, byCommune.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch);
        Value(qpvCube, "44901").ShouldBe(rows.Where(r => r.Codes[0] is Q1 or Q2).Sum(r => r.Count));
        Value(qpvCube, "Total").ShouldBe(rows.Where(r => r.Codes[0] is not null).Sum(r => r.Count));
        Value(communeCube, "44901").ShouldBe(rows.Where(r => r.Codes[1] == "44901").Sum(r => r.Count));
        Value(communeCube, "44903").ShouldBe(rows.Where(r => r.Codes[1] == "44903").Sum(r => r.Count));
        Value(communeCube, "Total").ShouldBe(rows.Sum(r => r.Count));
        Value(communeCube, "44901").ShouldBeGreaterThan(Value(qpvCube, "44901"));
    }

    [Fact]
    public void Linked_clauses_with_rows_outside_every_qpv_share_one_pattern_and_protect_their_small_cells()
    {
        var (_, byQpv, byCommune, byCommuneType) = LinkedContract(minCount: 3);
        var primaries = 0;
        for (var seed = 0; seed < 20; seed++)
        {
            var rows = Rows(new Random(seed), outsideEverywhere: seed % 2 == 0);
            var qpvCube = CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch);
            var communeCube = CubeBuilder.FromJointRows(byCommune, byCommune.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch);
            var typeCube = CubeBuilder.FromJointRows(byCommuneType, byCommuneType.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch);
            primaries += qpvCube.PrimaryCount + communeCube.PrimaryCount + typeCube.PrimaryCount;

            // The two commune clauses share every commune and the total (at every category's total): one status, one value.
            foreach (var place in new[] { "Total", "44901", "44902", "44903" })
            {
                var a = communeCube.IndexOf([communeCube.Dimensions[0].Hierarchy.IndexOf(place), 0]);
                var b = typeCube.IndexOf([typeCube.Dimensions[0].Hierarchy.IndexOf(place), 0]);
                (communeCube.StatusOf(a), communeCube.ValueOf(0, a)).ShouldBe((typeCube.StatusOf(b), typeCube.ValueOf(0, b)), $"seed {seed}, {place}");
            }

            // A published cell is the count the clause has alone: its commune is its QPVs' for the QPV clause, every row for the others.
            (ProtectedCube Cube, Func<JointRow, string?> CommuneOf)[] counting = [(qpvCube, r => r.Codes[0] is null ? null : r.Codes[1]), (typeCube, r => r.Codes[1])];
            foreach (var (cube, communeOf) in counting)
            {
                foreach (var place in new[] { "44901", "44902" })
                {
                    var cell = cube.IndexOf([cube.Dimensions[0].Hierarchy.IndexOf(place), 0]);
                    if (cube.StatusOf(cell) == CellStatus.Published)
                    {
                        cube.ValueOf(0, cell).ShouldBe(rows.Where(r => communeOf(r) == place).Sum(r => r.Count), $"seed {seed}, {place}");
                    }
                }
            }
        }

        primaries.ShouldBeGreaterThan(0, "the data have small cells to protect");
    }

    [Fact]
    public void Protected_zeros_with_rows_outside_every_qpv_are_refused_but_not_without_them()
    {
        var (_, byQpv, _, _) = LinkedContract(minCount: 3, protectZeros: true);
        byQpv.Linked!.Rules.ProtectZeros.ShouldBeTrue();
        var rows = Rows(new Random(3), outsideEverywhere: true);

        var error = Should.Throw<CubeDefinitionException>(() => CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch));
        error.Message.ShouldContain("protect zeros");

        // Without rows outside QPVs the joint table is as before: built and protected.
        var inside = rows.Where(r => r.Codes[0] is not null).ToList();
        CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", inside, null, DateTimeOffset.UnixEpoch).CellCount.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Rows_outside_qpvs_without_a_commune_or_a_category_are_still_refused()
    {
        var (_, byQpv, _, _) = LinkedContract(minCount: 3);
        JointRow[][] refused =
        [
            // A QPV without its commune: the QPV clause counts it, the commune clauses do not.
            [new([Q1, "44901", "a", "x"], 9, []), new([Q1, null, "a", "x"], 4, [])],

            // Outside QPVs without the type the QPV clause uses: no cell of the joint table holds it.
            [new([Q1, "44901", "a", "x"], 9, []), new([null, "44902", null, "x"], 4, [])],
        ];

        foreach (var rows in refused)
        {
            Should.Throw<CubeDefinitionException>(() => CubeBuilder.FromJointRows(byQpv, byQpv.Linked!, "v", rows, null, DateTimeOffset.UnixEpoch))
                .Message.ShouldContain("count 4 rows");
        }
    }

    /// <summary>Random groups over (qpv, commune, type, libre): rows in each QPV and, outside QPVs, rows in 44903 (no QPV) and, when asked, in 44901 and 44902.</summary>
    private static List<JointRow> Rows(Random random, bool outsideEverywhere)
    {
        var rows = new List<JointRow>();
        var places = new List<(string? Qpv, string Commune)> { (Q1, "44901"), (Q2, "44901"), (Q3, "44902"), (null, "44903") };
        if (outsideEverywhere)
        {
            places.AddRange([(null, "44901"), (null, "44902")]);
        }

        foreach (var (qpv, commune) in places)
        {
            foreach (var type in new[] { "a", "b" })
            {
                foreach (var libre in new[] { "x", "y" })
                {
                    var count = random.Next(0, qpv is null ? 8 : 5);
                    if (count > 0)
                    {
                        rows.Add(new JointRow([qpv, commune, type, libre], count, []));
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>The cube of a clause built alone from the same rows (as its own SQL would group them: rows it lacks a code for dropped).</summary>
    private static ProtectedCube Alone(Contract contract, CubeDefinition linked, IReadOnlyList<JointRow> rows)
    {
        var clause = contract.Clauses.Single(c => c.Id == linked.ClauseId);
        var definition = CubeDefinition.Create(contract, Dataset, clause, Obligations.Of(clause));
        var columns = new List<int> { definition.Geo.LeafLevel == GeoLevel.Qpv ? 0 : 1 };
        columns.AddRange(definition.Categories.Select(c => c.Name == "type" ? 2 : 3));
        var leaves = rows
            .Where(r => columns.All(c => r.Codes[c] is not null))
            .GroupBy(r => LeafAggregate.KeyOf(columns.Select(c => r.Codes[c]!)), StringComparer.Ordinal)
            .Select(g => new LeafAggregate([.. columns.Select(c => g.First().Codes[c]!)], g.Sum(r => r.Count), []))
            .ToList();
        return CubeBuilder.FromAggregates(definition, "v", leaves, null, DateTimeOffset.UnixEpoch);
    }

    /// <summary>A cube's count at a place, every category at its total.</summary>
    private static long Value(ProtectedCube cube, string place) =>
        (long)cube.ValueOf(0, cube.IndexOf([cube.Dimensions[0].Hierarchy.IndexOf(place), 0])).ShouldNotBeNull();

    /// <summary>
    /// The small contract with, for caf-44, clause p (commune, type), clause o (commune, libre) and clause c (qpv,
    /// commune, type), listed so, at one threshold: the three are linked.
    /// </summary>
    private static (Contract Contract, CubeDefinition ByQpv, CubeDefinition ByCommune, CubeDefinition ByCommuneType) LinkedContract(int minCount, bool protectZeros = false)
    {
        var rules = new DataClauses.Policy.Model.DisclosureRules { MinCount = minCount, ProtectZeros = protectZeros };
        var contract = SmallCube.Contract with
        {
            Clauses =
            [
                SmallCube.Clause(["commune", "type"], minCount) with { Id = "p", Measures = ["n"], Disclosure = rules },
                SmallCube.Clause(["commune", "libre"], minCount) with { Id = "o", Measures = ["n"], Disclosure = rules },
                SmallCube.Clause(minCount: minCount) with { Measures = ["n"], Disclosure = rules },
            ],
        };
        CubeDefinition Definition(string id, params string[] dimensions)
        {
            var decision = DecisionEngine.Decide(
                ContractSet.Create([contract]),
                new DecisionRequest { Requester = new Requester("analyst", "caf-44", ["analyst"]), Action = PolicyAction.Query, Dataset = "d", Purpose = "observation", Dimensions = dimensions },
                Now);
            decision.Clause.ShouldNotBeNull().Id.ShouldBe(id);
            return CubeDefinition.For(decision, Dataset);
        }

        var byQpv = Definition("c", "qpv");
        byQpv.Linked.ShouldNotBeNull().Clauses.ShouldBe(["c@0", "o@0", "p@0"]);
        return (contract, byQpv, Definition("o", "libre"), Definition("p", "commune", "type"));
    }
}
