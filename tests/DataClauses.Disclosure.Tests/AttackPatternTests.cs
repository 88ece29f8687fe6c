using DataClauses.Disclosure.Tests.Oracle;

namespace DataClauses.Disclosure.Tests;

/// <summary>
/// Known attacks on cell suppression from the statistical disclosure control literature (Willenborg and de Waal,
/// "Elements of Statistical Disclosure Control"; Hundepool et al., "Statistical Disclosure Control"; the τ-Argus
/// manual), one test each. Each test first shows that the attack works on a naive pattern (the attacker's linear
/// programmes, solved by glpsol, pin the sensitive cell), then that the library's pattern leaves it a strictly
/// positive width.
/// </summary>
public sealed class AttackPatternTests
{
    /// <summary>The attacker's intervals that are a single point.</summary>
    private static List<AttackInterval> Pinned(ProtectedTable table) => [.. AttackerOracle.Intervals(table).Where(i => i.Width <= 1e-6)];

    private static void ShouldBeProtected(ProtectedTable table)
    {
        table.PrimaryCount.ShouldBeGreaterThan(0);
        Pinned(table).ShouldBeEmpty();
        TableProtector.Unprotected(table).ShouldBeEmpty();
    }

    [Fact]
    public void A_single_suppression_in_a_row_is_recomputed_from_the_row_total_so_every_line_gets_a_second_one()
    {
        // Disclosure by differencing (a "singleton" line): r0/c0 = r0/Total − r0/c1 − r0/c2.
        var table = Tables.Grid(new long[,] { { 2, 7, 9 }, { 8, 6, 10 }, { 12, 5, 11 } });
        var rules = new DisclosureRules { MinCount = 3 };
        var naive = TableProtector.Protect(table, rules with { SecondarySuppression = false });
        Pinned(naive).Select(i => i.Min).ShouldBe([2]);

        var protectedTable = TableProtector.Protect(table, rules);

        ShouldBeProtected(protectedTable);
        foreach (var equation in Additivity.Equations(table))
        {
            var suppressed = equation.Children.Append(equation.Parent).Count(protectedTable.IsSuppressed);
            suppressed.ShouldNotBe(1, "a line with exactly one suppressed cell gives it away");
        }
    }

    [Fact]
    public void Two_suppressed_zeros_in_a_row_are_revealed_by_non_negativity_so_a_zero_is_never_the_only_partner()
    {
        // Protected zeros: r0/c0 = 0 and r0/c1 = 0 both sensitive; a + b = 0 with a, b ≥ 0 gives a = b = 0.
        var table = Tables.Grid(new long[,] { { 0, 0, 12 }, { 9, 5, 7 }, { 6, 8, 10 } });
        var rules = new DisclosureRules { MinCount = 3, ProtectZeros = true };
        var naive = Tables.WithPattern(table, rules, [table.Cell("r1", "c0"), table.Cell("r1", "c1")]);
        Pinned(naive).Select(i => table.CodesOf(i.Cell)[1]).ShouldBe(["c0", "c1"], ignoreOrder: true);

        ShouldBeProtected(TableProtector.Protect(table, rules));
    }

    [Fact]
    public void A_one_next_to_a_suppressed_zero_is_revealed_when_zeros_are_published_so_the_one_can_only_move_up()
    {
        // Zeros are published, so a primary cell is at least 1; with a + b = 1 (b a suppressed zero), a = 1.
        var table = Tables.Grid(new long[,] { { 1, 0, 12 }, { 9, 5, 7 }, { 6, 8, 10 } });
        var rules = new DisclosureRules { MinCount = 3 };
        var naive = Tables.WithPattern(table, rules, [table.Cell("r0", "c1"), table.Cell("r1", "c0"), table.Cell("r1", "c1")]);
        Pinned(naive).ShouldHaveSingleItem().Min.ShouldBe(1);

        var protectedTable = TableProtector.Protect(table, rules);

        ShouldBeProtected(protectedTable);
        AttackerOracle.Intervals(protectedTable).Single(i => i.Cell == table.Cell("r0", "c0")).Max.ShouldBeGreaterThan(1);
    }

    [Fact]
    public void A_pair_of_singletons_hides_nothing_from_each_other_so_singletons_are_never_partners()
    {
        // Two cells with one contributor each in a row: each respondent subtracts its own value from the row's sum.
        var builder = new TableBuilder([Tables.Flat("r", 3), Tables.Flat("c", 3)], ["montant"], topContributions: 1);
        builder.AddRecord(["r0", "c0"], [500]);
        builder.AddRecord(["r0", "c1"], [300]);
        foreach (var (row, column, n) in new[] { ("r0", "c2", 6), ("r1", "c0", 5), ("r1", "c1", 7), ("r1", "c2", 4), ("r2", "c0", 6), ("r2", "c1", 5), ("r2", "c2", 8) })
        {
            for (var i = 0; i < n; i++)
            {
                builder.AddRecord([row, column], [100 + i]);
            }
        }

        var table = builder.Build();
        var rules = new DisclosureRules { MinCount = 3 };
        var naive = Tables.WithPattern(table, rules, [table.Cell("r1", "c0"), table.Cell("r1", "c1")]);
        Pinned(naive).Where(i => i.Insider >= 0).Select(i => i.Min).ShouldBe([500, 300], ignoreOrder: true);

        var protectedTable = TableProtector.Protect(table, rules);

        ShouldBeProtected(protectedTable);
        AttackerOracle.Intervals(protectedTable, insidersPerPrimary: 10).Count(i => i.Insider >= 0).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Linked_tables_sharing_a_marginal_are_protected_together_as_the_released_cells_of_one_cube()
    {
        // QPV × household type and QPV × age band share the QPV totals (Willenborg & de Waal's linked tables): protected
        // apart, one may publish a total the other suppresses. As the released cells of one cube (the cells with both
        // categories detailed are released by neither), one pattern: the attacker of both slices pins nothing.
        var q = Tables.Flat("q", 3);
        var m = Tables.Flat("m", 2);
        var a = Tables.Flat("a", 2);
        long[] counts = [1, 3, 4, 4, 1, 3, 2, 7, 1, 0, 0, 1]; // q, m, a order
        var cube = Tables.Counts([q, m, a], [.. Enumerable.Range(0, 12).Select(i => (new[] { $"q{i / 4}", $"m{i / 2 % 2}", $"a{i % 2}" }, counts[i]))]);
        var rules = new DisclosureRules { MinCount = 3 };
        var released = Enumerable.Range(0, cube.CellCount).Select(c => cube.CodeOf(c, 1) == 0 || cube.CodeOf(c, 2) == 0).ToArray();

        var protectedCube = TableProtector.Protect(cube, rules, released);

        Oracle.IntegerAttackerTests.Attack(protectedCube).ShouldBeEmpty();
        protectedCube.IsSuppressed(cube.Cell("q2", "Total", "Total")).ShouldBeTrue();
        Enumerable.Range(0, cube.CellCount).Where(c => !released[c]).ShouldAllBe(c => !protectedCube.IsPublished(c));
    }

    [Fact]
    public void Hierarchical_differencing_of_a_qpv_inside_its_commune_and_epci_is_prevented()
    {
        // QPV ⊂ commune ⊂ EPCI: suppressing a QPV with a QPV of another commune publishes the commune totals, from
        // which the QPV is recomputed (commune − its other QPV).
        var geography = new Dimension("qpv", Hierarchy.FromParents(
            [("E1", null), ("C1", "E1"), ("C2", "E1"), ("Q1", "C1"), ("Q2", "C1"), ("Q3", "C2"), ("Q4", "C2")]));
        var type = Tables.Flat("m", 2);
        var table = Tables.Counts([geography, type],
            (["Q1", "m0"], 2), (["Q1", "m1"], 9), (["Q2", "m0"], 8), (["Q2", "m1"], 6),
            (["Q3", "m0"], 7), (["Q3", "m1"], 5), (["Q4", "m0"], 12), (["Q4", "m1"], 4));
        var rules = new DisclosureRules { MinCount = 3 };
        var naive = Tables.WithPattern(table, rules, [table.Cell("Q1", "m1"), table.Cell("Q3", "m0"), table.Cell("Q3", "m1")]);
        Pinned(naive).ShouldHaveSingleItem().Min.ShouldBe(2);

        var protectedTable = TableProtector.Protect(table, rules);

        ShouldBeProtected(protectedTable);
        var commune = protectedTable.IsSuppressed(table.Cell("C1", "m0"));
        var sibling = protectedTable.IsSuppressed(table.Cell("Q2", "m0"));
        (commune || sibling).ShouldBeTrue("Q1/m0 needs a partner inside its commune, or the commune itself");
    }

    [Fact]
    public void Two_suppressions_per_row_and_column_forming_a_closed_rectangle_protect_a_cell()
    {
        // The classic hypercube of τ-Argus (GHMITER) in two dimensions: a rectangle of four suppressed interior cells.
        var table = Tables.Grid(new long[,] { { 2, 9, 14 }, { 8, 6, 10 }, { 12, 15, 11 } });
        var rules = new DisclosureRules { MinCount = 3 };

        var protectedTable = TableProtector.Protect(table, rules);

        ShouldBeProtected(protectedTable);
        protectedTable.SecondaryCount.ShouldBe(3);
        var suppressed = Enumerable.Range(0, table.CellCount).Where(protectedTable.IsSuppressed).ToList();
        suppressed.Select(c => table.CodeOf(c, 0)).Distinct().Count().ShouldBe(2);
        suppressed.Select(c => table.CodeOf(c, 1)).Distinct().Count().ShouldBe(2);
        suppressed.ShouldAllBe(c => table.CodeOf(c, 0) != 0 && table.CodeOf(c, 1) != 0);
        AttackerOracle.Intervals(protectedTable).ShouldHaveSingleItem().Width.ShouldBeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public void In_three_dimensions_a_rectangle_inside_one_slice_is_not_enough()
    {
        // Two-dimensional reasoning applied slice by slice: the rectangle hides x0/y0/z0 within z0, but the line
        // along z (x0/y0/Total published) gives it away. The 3-D hypercube needs partners along every dimension.
        var x = Tables.Flat("x", 2);
        var y = Tables.Flat("y", 2);
        var z = Tables.Flat("z", 2);
        var table = Tables.Counts([x, y, z],
            (["x0", "y0", "z0"], 2), (["x0", "y0", "z1"], 9), (["x0", "y1", "z0"], 8), (["x0", "y1", "z1"], 6),
            (["x1", "y0", "z0"], 7), (["x1", "y0", "z1"], 5), (["x1", "y1", "z0"], 12), (["x1", "y1", "z1"], 4));
        var rules = new DisclosureRules { MinCount = 3 };
        var sliceRectangle = Tables.WithPattern(table, rules, [table.Cell("x0", "y1", "z0"), table.Cell("x1", "y0", "z0"), table.Cell("x1", "y1", "z0")]);
        Pinned(sliceRectangle).ShouldHaveSingleItem().Min.ShouldBe(2);

        var protectedTable = TableProtector.Protect(table, rules);

        ShouldBeProtected(protectedTable);
        foreach (var dimension in Enumerable.Range(0, 3))
        {
            var partners = Enumerable.Range(0, table.CellCount).Where(c => protectedTable.IsSuppressed(c)
                && Enumerable.Range(0, 3).All(d => d == dimension || table.CodeOf(c, d) == table.CodeOf(table.Cell("x0", "y0", "z0"), d)));
            partners.Count().ShouldBeGreaterThanOrEqualTo(2, $"a partner along dimension {dimension}");
        }
    }

    [Fact]
    public void A_qpv_alone_in_its_commune_is_protected_by_the_commune_level_without_suppressing_the_whole_table()
    {
        // Regression (found by the oracle): C1 has a single QPV, so Q1 and C1 have the same contributors; the first
        // version offered Q1 no sibling move, counted C1's sole contributor as an outsider, and with sums often left
        // nothing but the fail-closed path (the whole table suppressed).
        var geography = new Dimension("qpv", Hierarchy.FromParents([("E1", null), ("C1", "E1"), ("C2", "E1"), ("Q1", "C1"), ("Q2", "C2"), ("Q3", "C2")]));
        var builder = new TableBuilder([geography, Tables.Flat("m", 2)], ["montant"], topContributions: 1);
        builder.AddRecord(["Q1", "m0"], [700]);
        foreach (var (qpv, type, n) in new[] { ("Q1", "m1", 1), ("Q2", "m0", 6), ("Q2", "m1", 4), ("Q3", "m0", 5), ("Q3", "m1", 7) })
        {
            for (var i = 0; i < n; i++)
            {
                builder.AddRecord([qpv, type], [100 + (10 * i)]);
            }
        }

        var table = builder.Build();

        var protectedTable = TableProtector.Protect(table, new DisclosureRules { MinCount = 3 });

        ShouldBeProtected(protectedTable);
        protectedTable.IsPublished(table.Cell("Total", "Total")).ShouldBeTrue();
        AttackerOracle.Intervals(protectedTable, insidersPerPrimary: 10).ShouldAllBe(interval => interval.Width > 1e-6);
    }
}
