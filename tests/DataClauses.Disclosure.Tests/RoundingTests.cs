namespace DataClauses.Disclosure.Tests;

public sealed class RoundingTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 5)]
    [InlineData(5, 5)]
    [InlineData(7, 5)]
    [InlineData(8, 10)]
    [InlineData(12, 10)]
    [InlineData(13, 15)]
    [InlineData(1_002, 1_000)]
    public void Base_5_rounds_to_the_nearest_multiple_of_5(long value, long rounded) =>
        TableProtector.Round(value, Rounding.Base5).ShouldBe(rounded);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 3)]
    [InlineData(6, 3)]
    [InlineData(7, 9)]
    [InlineData(12, 9)]
    [InlineData(13, 15)]
    [InlineData(18, 15)]
    [InlineData(19, 21)]
    public void Midpoint_6_publishes_the_middle_of_each_band_of_six_and_keeps_zero(long value, long rounded) =>
        TableProtector.Round(value, Rounding.Midpoint6).ShouldBe(rounded);

    [Fact]
    public void No_rounding_publishes_the_count()
    {
        TableProtector.Round(7, Rounding.None).ShouldBe(7);
    }

    [Theory]
    [InlineData(Rounding.Base5)]
    [InlineData(Rounding.Midpoint6)]
    public void Rounding_applies_after_suppression_to_published_cells_only_and_never_changes_the_pattern(Rounding rounding)
    {
        var table = Tables.Grid(new long[,] { { 2, 7, 9, 13 }, { 8, 6, 10, 1 }, { 12, 3, 11, 30 } });
        var plain = TableProtector.Protect(table, new DisclosureRules { MinCount = 4 });
        var rounded = TableProtector.Protect(table, new DisclosureRules { MinCount = 4, Rounding = rounding });

        for (var cell = 0; cell < table.CellCount; cell++)
        {
            plain.IsPublished(cell).ShouldBe(rounded.IsPublished(cell));
            if (rounded.IsPublished(cell))
            {
                rounded.Statuses[cell].ShouldBe(CellStatus.Rounded);
                rounded.CountOf(cell).ShouldBe(TableProtector.Round(table.Counts[cell], rounding));
            }
            else
            {
                rounded.Statuses[cell].ShouldBe(plain.Statuses[cell]);
                rounded.CountOf(cell).ShouldBeNull();
            }
        }
    }

    [Fact]
    public void Equal_counts_are_published_equal_wherever_they_are()
    {
        // Consistent rounding: the rounded value depends on the count alone (a cell and its marginal of equal count agree).
        var table = Tables.Grid(new long[,] { { 7, 0 }, { 9, 14 } });
        var rounded = TableProtector.Protect(table, new DisclosureRules { MinCount = 1, Rounding = Rounding.Midpoint6 });

        rounded.CountOf(table.Cell("r0", "c0")).ShouldBe(9);
        rounded.CountOf(table.Cell("r0", "Total")).ShouldBe(9);
        rounded.CountOf(table.Cell("r1", "c0")).ShouldBe(9);
        rounded.CountOf(table.Cell("r0", "c1")).ShouldBe(0);
    }
}
