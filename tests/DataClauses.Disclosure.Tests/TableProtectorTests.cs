using DataClauses.Disclosure.Tests.Oracle;

namespace DataClauses.Disclosure.Tests;

public sealed class TableProtectorTests
{
    [Fact]
    public void The_same_table_and_rules_always_give_the_same_pattern()
    {
        var random = new Random(3);
        for (var i = 0; i < 50; i++)
        {
            var @case = RandomTables.Generate(random, new TableShape());
            var first = TableProtector.Protect(@case.Table, @case.Rules);
            var second = TableProtector.Protect(@case.Table, @case.Rules);

            second.Statuses.ShouldBe(first.Statuses, @case.Description);
        }
    }

    [Fact]
    public void The_pattern_does_not_depend_on_the_order_of_the_input_rows()
    {
        var random = new Random(4);
        var geography = new Dimension("qpv", Hierarchy.FromParents([("C1", null), ("C2", null), ("Q1", "C1"), ("Q2", "C1"), ("Q3", "C2"), ("Q4", "C2")]));
        var dimensions = new[] { geography, Tables.Flat("m", 3), Tables.Flat("a", 2) };
        var leaves = new[] { "Q1", "Q2", "Q3", "Q4" };
        for (var i = 0; i < 30; i++)
        {
            var records = new List<(string[] Codes, double Value)>();
            foreach (var q in leaves)
            {
                for (var m = 0; m < 3; m++)
                {
                    for (var a = 0; a < 2; a++)
                    {
                        var n = random.Next(4) == 0 ? random.Next(6, 20) : random.Next(0, 4);
                        for (var k = 0; k < n; k++)
                        {
                            records.Add(([q, $"m{m}", $"a{a}"], random.Next(1, 500)));
                        }
                    }
                }
            }

            var rules = new DisclosureRules { MinCount = 3, Dominance = (1, 80) };
            var shuffled = records.OrderBy(_ => random.Next()).ToList();

            var first = TableProtector.Protect(Build(records), rules);
            var second = TableProtector.Protect(Build(shuffled), rules);

            second.Statuses.ShouldBe(first.Statuses);
            second.PublishedCounts.ShouldBe(first.PublishedCounts);
        }

        Table Build(List<(string[] Codes, double Value)> rows)
        {
            var builder = new TableBuilder(dimensions, ["montant"], topContributions: 1);
            foreach (var (codes, value) in rows)
            {
                builder.AddRecord(codes, [value]);
            }

            return builder.Build();
        }
    }

    [Fact]
    public void A_public_grand_total_is_suppressed_only_when_the_pattern_cannot_do_without_it()
    {
        var random = new Random(8);
        var suppressedTotals = 0;
        for (var i = 0; i < 150; i++)
        {
            var @case = RandomTables.Generate(random, new TableShape { PublicTotalProbability = 1 });
            var protectedTable = TableProtector.Protect(@case.Table, @case.Rules);
            if (protectedTable.Statuses[0] != CellStatus.SuppressedSecondary)
            {
                continue;
            }

            // Published instead, some primary cell would have no protection the library can find.
            suppressedTotals++;
            var statuses = protectedTable.Statuses.ToArray();
            statuses[0] = CellStatus.Published;
            var withTotal = new ProtectedTable(@case.Table, @case.Rules, statuses, [.. protectedTable.Reasons], [.. protectedTable.PublishedCounts], protectedTable.WeakerGuarantees);
            TableProtector.Unprotected(withTotal).ShouldNotBeEmpty(@case.Description);
        }

        // Tables of tiny counts where a primary has only zeros, ones and cells near the threshold around it: against the
        // integer attacker (a primary in [1, k−1], a secondary 0 or at least k, a range of the protection level) the
        // large total is often the only cell with room; fewer than one table in four.
        suppressedTotals.ShouldBeLessThan(38);
    }

    [Fact]
    public void A_public_cell_that_is_itself_sensitive_is_still_suppressed()
    {
        var table = Tables.Grid(new long[,] { { 1, 1 }, { 0, 1 } });
        var rules = new DisclosureRules { MinCount = 5, PublicCells = new HashSet<int> { table.Cell("Total", "Total") } };

        TableProtector.Protect(table, rules).Statuses[table.Cell("Total", "Total")].ShouldBe(CellStatus.SuppressedPrimary);
    }

    [Fact]
    public void A_sensitive_cell_that_no_pattern_protects_takes_the_whole_table_with_it()
    {
        // Fail closed. The hypercube method always finds a pattern, so the secondary step is replaced by one that fails.
        var table = Tables.Grid(new long[,] { { 2, 7, 9 }, { 8, 6, 10 } });
        var rules = new DisclosureRules { MinCount = 3 };

        var protectedTable = TableProtector.Protect(table, rules, (_, _, _, _, _) => false);

        protectedTable.Statuses.ShouldAllBe(status => status == CellStatus.SuppressedPrimary || status == CellStatus.SuppressedSecondary);
        protectedTable.Statuses[table.Cell("r0", "c0")].ShouldBe(CellStatus.SuppressedPrimary);
        protectedTable.SecondaryCount.ShouldBe(table.CellCount - 1);
        Enumerable.Range(0, table.CellCount).ShouldAllBe(cell => protectedTable.CountOf(cell) == null);
    }

    [Fact]
    public void Without_secondary_suppression_only_the_sensitive_cells_are_withheld()
    {
        var table = Tables.Grid(new long[,] { { 2, 7, 9 }, { 8, 6, 10 } });

        var protectedTable = TableProtector.Protect(table, new DisclosureRules { MinCount = 3, SecondarySuppression = false });

        protectedTable.CellsWith(CellStatus.SuppressedPrimary).ShouldBe(["r0/c0"]);
        protectedTable.SecondaryCount.ShouldBe(0);
        TableProtector.Unprotected(protectedTable).ShouldBe([table.Cell("r0", "c0")]);
    }

    [Fact]
    public void A_protected_table_withholds_the_values_of_suppressed_cells_and_tells_why()
    {
        var builder = new TableBuilder([Tables.Flat("r", 2), Tables.Flat("c", 3)], ["montant"], topContributions: 1);
        builder.AddAggregate(["r0", "c0"], 2, [50], [[30]]);
        builder.AddAggregate(["r0", "c1"], 7, [70], [[20]]);
        builder.AddAggregate(["r0", "c2"], 9, [90], [[15]]);
        builder.AddAggregate(["r1", "c0"], 8, [80], [[75]]);
        builder.AddAggregate(["r1", "c1"], 6, [60], [[10]]);
        builder.AddAggregate(["r1", "c2"], 10, [100], [[12]]);
        var table = builder.Build();

        var protectedTable = TableProtector.Protect(table, new DisclosureRules { MinCount = 3, Dominance = (1, 85) });

        var small = table.Cell("r0", "c0");
        var dominated = table.Cell("r1", "c0");
        protectedTable.Reasons[small].ShouldBe(SensitivityReasons.MinCount);
        protectedTable.Reasons[dominated].ShouldBe(SensitivityReasons.Dominance);
        protectedTable.PrimaryCount.ShouldBe(2);
        protectedTable.CountOf(small).ShouldBeNull();
        protectedTable.SumOf(0, dominated).ShouldBeNull();
        var total = table.Cell("Total", "Total");
        protectedTable.IsPublished(total).ShouldBe(protectedTable.Statuses[total] == CellStatus.Published);
        foreach (var cell in Enumerable.Range(0, table.CellCount).Where(protectedTable.IsPublished))
        {
            protectedTable.CountOf(cell).ShouldBe(table.Counts[cell]);
            protectedTable.SumOf(0, cell).ShouldBe(table.Sums[0][cell]);
        }
    }

    [Fact]
    public void A_minimum_count_below_one_is_refused()
    {
        var table = Tables.Grid(new long[,] { { 2, 7 } });

        Should.Throw<ArgumentOutOfRangeException>(() => TableProtector.Protect(table, new DisclosureRules { MinCount = 0 }));
    }

    [Fact]
    public void A_table_without_sensitive_cells_is_published_whole()
    {
        var table = Tables.Grid(new long[,] { { 12, 7 }, { 9, 30 } });

        var protectedTable = TableProtector.Protect(table, new DisclosureRules { MinCount = 5 });

        protectedTable.Statuses.ShouldAllBe(status => status == CellStatus.Published);
        TableProtector.Unprotected(protectedTable).ShouldBeEmpty();
    }

    [Fact]
    public void A_large_hierarchical_table_is_protected_with_every_primary_checked()
    {
        // 60 QPV in 12 communes in 3 EPCIs × 6 × 5: the self-check finds a protection for every primary.
        var random = new Random(12);
        var pairs = new List<(string, string?)>();
        for (var e = 0; e < 3; e++)
        {
            pairs.Add(($"E{e}", null));
        }

        for (var c = 0; c < 12; c++)
        {
            pairs.Add(($"C{c}", $"E{c % 3}"));
        }

        for (var q = 0; q < 60; q++)
        {
            pairs.Add(($"Q{q}", $"C{(q < 12 ? q : random.Next(12))}"));
        }

        var dimensions = new[] { new Dimension("qpv", Hierarchy.FromParents(pairs)), Tables.Flat("m", 6), Tables.Flat("a", 5) };
        var builder = new TableBuilder(dimensions);
        for (var q = 0; q < 60; q++)
        {
            for (var m = 0; m < 6; m++)
            {
                for (var a = 0; a < 5; a++)
                {
                    builder.AddAggregate([$"Q{q}", $"m{m}", $"a{a}"], random.Next(3) == 0 ? random.Next(0, 4) : random.Next(0, 30));
                }
            }
        }

        var table = builder.Build();
        var protectedTable = TableProtector.Protect(table, new DisclosureRules { MinCount = 5, PublicCells = new HashSet<int> { 0 } });

        protectedTable.PrimaryCount.ShouldBeGreaterThan(100);
        protectedTable.IsPublished(0).ShouldBeTrue();
        TableProtector.Unprotected(protectedTable).ShouldBeEmpty();
        var suppressed = Enumerable.Range(0, table.CellCount).Select(protectedTable.IsSuppressed).ToArray();
        LinearOracle.DeterminedCells(table, suppressed).Where(c => protectedTable.Statuses[c] == CellStatus.SuppressedPrimary).ShouldBeEmpty();
    }
}
