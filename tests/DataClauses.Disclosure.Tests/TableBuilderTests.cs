using DataClauses.Disclosure.Tests.Oracle;

namespace DataClauses.Disclosure.Tests;

public sealed class TableBuilderTests
{
    private static readonly Dimension Geography = new("qpv", Hierarchy.FromParents(
        [("E1", null), ("C1", "E1"), ("C2", "E1"), ("Q1", "C1"), ("Q2", "C1"), ("Q3", "C2")]));

    private static readonly Dimension Household = Tables.Flat("m", 2);

    [Fact]
    public void Every_marginal_is_the_sum_of_its_children_along_every_dimension_and_through_hierarchies()
    {
        var random = new Random(5);
        for (var i = 0; i < 50; i++)
        {
            var @case = RandomTables.Generate(random, new TableShape());
            var table = @case.Table;
            foreach (var equation in Additivity.Equations(table))
            {
                table.Counts[equation.Parent].ShouldBe(equation.Children.Sum(c => table.Counts[c]), @case.Description);
                for (var m = 0; m < table.Measures.Count; m++)
                {
                    table.Sums[m][equation.Parent].ShouldBe(equation.Children.Sum(c => table.Sums[m][c]), 1e-6, @case.Description);
                }
            }
        }
    }

    [Fact]
    public void Records_count_contributors_and_add_their_values_up_to_the_commune_the_epci_and_the_total()
    {
        var builder = new TableBuilder([Geography, Household], ["montant"], topContributions: 2);
        builder.AddRecord(["Q1", "m0"], [100]);
        builder.AddRecord(["Q1", "m0"], [40]);
        builder.AddRecord(["Q2", "m1"], [10]);
        builder.AddRecord(["Q3", "m1"], [5]);
        var table = builder.Build();

        table.CellCount.ShouldBe(7 * 3);
        table.Counts[table.Cell("Q1", "m0")].ShouldBe(2);
        table.Sums[0][table.Cell("Q1", "m0")].ShouldBe(140);
        table.Counts[table.Cell("C1", "Total")].ShouldBe(3);
        table.Sums[0][table.Cell("C1", "Total")].ShouldBe(150);
        table.Counts[table.Cell("E1", "m1")].ShouldBe(2);
        table.Counts[table.Cell("Total", "Total")].ShouldBe(4);
        table.Sums[0][table.Cell("Total", "Total")].ShouldBe(155);
        table.Counts[table.Cell("C2", "m0")].ShouldBe(0);
    }

    [Fact]
    public void Aggregates_give_the_same_table_as_the_records_they_summarise()
    {
        var fromRecords = new TableBuilder([Geography, Household], ["montant"], topContributions: 2);
        fromRecords.AddRecord(["Q1", "m0"], [100]);
        fromRecords.AddRecord(["Q1", "m0"], [40]);
        fromRecords.AddRecord(["Q3", "m1"], [5]);
        var fromAggregates = new TableBuilder([Geography, Household], ["montant"], topContributions: 2);
        fromAggregates.AddAggregate(["Q1", "m0"], 2, [140], [[100, 40]]);
        fromAggregates.AddAggregate(["Q3", "m1"], 1, [5], [[5]]);

        var a = fromRecords.Build();
        var b = fromAggregates.Build();

        b.Counts.ShouldBe(a.Counts);
        b.Sums[0].ShouldBe(a.Sums[0]);
        for (var cell = 0; cell < a.CellCount; cell++)
        {
            b.TopOf(0, cell).ToArray().ShouldBe(a.TopOf(0, cell).ToArray());
        }
    }

    [Fact]
    public void The_largest_contributions_are_kept_in_decreasing_order_and_rolled_up_to_the_marginals()
    {
        var builder = new TableBuilder([Geography, Household], ["montant"], topContributions: 2);
        builder.AddRecord(["Q1", "m0"], [30]);
        builder.AddRecord(["Q1", "m0"], [70]);
        builder.AddRecord(["Q1", "m0"], [50]);
        builder.AddRecord(["Q2", "m0"], [90]);
        builder.AddRecord(["Q3", "m1"], [10]);
        var table = builder.Build();

        table.TopOf(0, table.Cell("Q1", "m0")).ToArray().ShouldBe([70, 50]);
        table.TopOf(0, table.Cell("C1", "m0")).ToArray().ShouldBe([90, 70]);
        table.TopOf(0, table.Cell("Total", "Total")).ToArray().ShouldBe([90, 70]);
        table.TopOf(0, table.Cell("C2", "Total")).ToArray().ShouldBe([10, 0]);
    }

    [Fact]
    public void A_table_without_top_contributions_keeps_none()
    {
        var table = Tables.Counts([Household], (["m0"], 3));

        table.TopContributions.ShouldBe(0);
        table.TopOf(0, 0).Length.ShouldBe(0);
    }

    [Fact]
    public void Codes_and_flat_indexes_correspond()
    {
        var table = Tables.Counts([Geography, Household], (["Q2", "m1"], 3));

        for (var cell = 0; cell < table.CellCount; cell++)
        {
            table.Cell(table.CodesOf(cell)).ShouldBe(cell);
            table.CodeOf(cell, 0).ShouldBe(Geography.Hierarchy.IndexOf(table.CodesOf(cell)[0]));
        }
    }

    [Fact]
    public void Data_must_be_given_at_the_leaves_with_known_codes_and_one_code_per_dimension()
    {
        var builder = new TableBuilder([Geography, Household]);

        Should.Throw<ArgumentException>(() => builder.AddRecord(["C1", "m0"])).Message.ShouldContain("'C1' of dimension 'qpv' is not a leaf");
        Should.Throw<ArgumentException>(() => builder.AddRecord(["Q9", "m0"])).Message.ShouldContain("Unknown code 'Q9' in dimension 'qpv'");
        Should.Throw<ArgumentException>(() => builder.AddRecord(["Q1"])).Message.ShouldContain("Expected 2 codes, got 1");
        Should.Throw<ArgumentOutOfRangeException>(() => builder.AddAggregate(["Q1", "m0"], -1));
    }

    [Fact]
    public void A_table_is_built_once_and_then_closed()
    {
        var builder = new TableBuilder([Household]);
        builder.AddRecord(["m0"]);
        builder.Build();

        Should.Throw<InvalidOperationException>(() => builder.Build());
        Should.Throw<InvalidOperationException>(() => builder.AddRecord(["m1"]));
    }

    [Fact]
    public void A_table_needs_a_dimension_and_a_bounded_size()
    {
        Should.Throw<ArgumentException>(() => new TableBuilder([]));
        var huge = Enumerable.Range(0, 5).Select(i => Tables.Flat($"d{i}", 50)).ToList();
        Should.Throw<ArgumentException>(() => new TableBuilder(huge)).Message.ShouldContain("more than 50 million cells");
    }
}
