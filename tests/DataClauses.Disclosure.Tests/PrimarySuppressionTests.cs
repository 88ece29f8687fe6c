namespace DataClauses.Disclosure.Tests;

public sealed class PrimarySuppressionTests
{
    private static readonly Dimension Categories = Tables.Flat("c", 3);

    [Theory]
    [InlineData(1, SensitivityReasons.MinCount)]
    [InlineData(4, SensitivityReasons.MinCount)]
    [InlineData(5, SensitivityReasons.None)]
    [InlineData(6, SensitivityReasons.None)]
    public void A_count_below_the_minimum_is_primary_and_the_minimum_itself_is_published(long count, SensitivityReasons expected)
    {
        var table = Tables.Counts([Categories], (["c0"], count), (["c1"], 20));

        PrimarySuppression.Find(table, new DisclosureRules { MinCount = 5 })[table.Cell("c0")].ShouldBe(expected);
    }

    [Fact]
    public void An_empty_cell_is_published_as_a_zero_unless_the_clause_protects_zeros()
    {
        var table = Tables.Counts([Categories], (["c0"], 20), (["c1"], 0));

        PrimarySuppression.Find(table, new DisclosureRules { MinCount = 5 })[table.Cell("c1")].ShouldBe(SensitivityReasons.None);
        PrimarySuppression.Find(table, new DisclosureRules { MinCount = 5, ProtectZeros = true })[table.Cell("c1")].ShouldBe(SensitivityReasons.Zero);
        PrimarySuppression.Find(table, new DisclosureRules { MinCount = 5, ProtectZeros = true })[table.Cell("c2")].ShouldBe(SensitivityReasons.Zero);
    }

    [Theory]
    [InlineData(86, true)]   // 86 > 85% of 100
    [InlineData(85, false)]  // exactly 85%: not dominated
    [InlineData(60, false)]
    public void The_largest_contribution_above_k_percent_of_the_sum_dominates_the_cell(double largest, bool sensitive)
    {
        var table = Sums([largest, 100 - largest - 5, 5], topContributions: 1);

        var reasons = PrimarySuppression.Find(table, new DisclosureRules { MinCount = 3, Dominance = (1, 85) });

        reasons[table.Cell("c0")].HasFlag(SensitivityReasons.Dominance).ShouldBe(sensitive);
        reasons[table.Cell("c0")].HasFlag(SensitivityReasons.MinCount).ShouldBeFalse();
    }

    [Fact]
    public void The_two_largest_contributions_together_are_compared_for_a_2_k_rule()
    {
        var dominated = Sums([60, 31, 5, 4], topContributions: 2);
        var safe = Sums([60, 29, 6, 5], topContributions: 2);
        var rules = new DisclosureRules { MinCount = 3, Dominance = (2, 90) };

        PrimarySuppression.Find(dominated, rules)[dominated.Cell("c0")].ShouldBe(SensitivityReasons.Dominance);
        PrimarySuppression.Find(safe, rules)[safe.Cell("c0")].ShouldBe(SensitivityReasons.None);
    }

    [Fact]
    public void A_cell_with_fewer_contributors_than_n_is_dominated_by_all_of_them()
    {
        // (3, 85%): a cell with two contributors holds 100% in its "three largest".
        var table = Sums([50, 50], topContributions: 3);

        PrimarySuppression.Find(table, new DisclosureRules { MinCount = 1, Dominance = (3, 85) })[table.Cell("c0")].ShouldBe(SensitivityReasons.Dominance);
    }

    [Theory]
    [InlineData(new double[] { 100, 50, 9 }, true)]   // the second contributor estimates the first within 9% < 10%
    [InlineData(new double[] { 100, 50, 11 }, false)] // the rest (11) exceeds 10% of the largest
    [InlineData(new double[] { 100, 50, 10 }, false)] // exactly p%: not sensitive
    public void The_p_percent_rule_protects_the_largest_contributor_from_the_second(double[] values, bool sensitive)
    {
        var table = Sums(values, topContributions: 2);

        PrimarySuppression.Find(table, new DisclosureRules { MinCount = 1, PPercent = 10 })[table.Cell("c0")].HasFlag(SensitivityReasons.PPercent).ShouldBe(sensitive);
    }

    [Fact]
    public void Reasons_combine_and_an_empty_or_negative_sum_is_not_dominated()
    {
        var builder = new TableBuilder([Categories], ["montant"], topContributions: 1);
        builder.AddRecord(["c0"], [100]);
        builder.AddRecord(["c1"], [0]);
        builder.AddRecord(["c1"], [0]);
        var table = builder.Build();
        var reasons = PrimarySuppression.Find(table, new DisclosureRules { MinCount = 3, Dominance = (1, 50) });

        reasons[table.Cell("c0")].ShouldBe(SensitivityReasons.MinCount | SensitivityReasons.Dominance);
        reasons[table.Cell("c1")].ShouldBe(SensitivityReasons.MinCount);
    }

    [Fact]
    public void Rules_needing_more_largest_contributions_than_the_table_keeps_are_refused()
    {
        var table = Sums([10, 20], topContributions: 1);

        Should.Throw<ArgumentException>(() => PrimarySuppression.Find(table, new DisclosureRules { MinCount = 3, Dominance = (2, 85) }))
            .Message.ShouldContain("need the 2 largest contributions per cell; the table keeps 1");
    }

    /// <summary>Cell c0 with one record per value (and c1 with a large comfortable count).</summary>
    private static Table Sums(double[] values, int topContributions)
    {
        var builder = new TableBuilder([Categories], ["montant"], topContributions);
        foreach (var value in values)
        {
            builder.AddRecord(["c0"], [value]);
        }

        for (var i = 0; i < 20; i++)
        {
            builder.AddRecord(["c1"], [10]);
        }

        return builder.Build();
    }
}
