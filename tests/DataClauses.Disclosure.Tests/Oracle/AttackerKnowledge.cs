namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// What an attacker knows about a protected table besides its published cells, restated here from the published
/// statuses and rules (not taken from the library): every count and sum is non-negative; when zeros are published, a
/// cell suppressed as primary is not empty (count ≥ 1); and, with sums, the sole contributor of a cell knows that
/// cell's sums. An insider attacks alone: the sole contributor of another suppressed cell, who knows that cell's
/// sums exactly (unless that contributor is the primary's own, or the primary is empty and inside the insider's cell).
/// </summary>
internal static class AttackerKnowledge
{
    public static bool IsSuppressed(ProtectedTable table, int cell) =>
        table.Statuses[cell] is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary;

    public static bool IsPrimary(ProtectedTable table, int cell) => table.Statuses[cell] == CellStatus.SuppressedPrimary;

    /// <summary>The lower bound on a cell's count known from its status: 1 for a primary when zeros are published.</summary>
    public static double CountLowerBound(Table table, DisclosureRules rules, bool primary) => primary && !rules.ProtectZeros ? 1 : 0;

    /// <summary>Whether the sole contributor of <paramref name="cell"/> knows its sums and could use them against <paramref name="primary"/>.</summary>
    public static bool IsInsider(Table table, int primary, int cell) =>
        cell != primary && table.Measures.Count > 0 && table.Counts[cell] == 1 && !(table.Counts[primary] <= 1 && Comparable(table, primary, cell));

    /// <summary>The insiders of a primary among the suppressed cells, those sharing most codes with it first.</summary>
    public static IEnumerable<int> NearestInsiders(ProtectedTable table, int primary) =>
        Enumerable.Range(0, table.Table.CellCount)
            .Where(c => IsSuppressed(table, c) && IsInsider(table.Table, primary, c))
            .OrderByDescending(c => Enumerable.Range(0, table.Table.Dimensions.Count).Count(d => table.Table.CodeOf(c, d) == table.Table.CodeOf(primary, d)))
            .ThenBy(c => c);

    /// <summary>Whether one cell's contributors include the other's: along every dimension, one code's leaves include the other's, the same way.</summary>
    internal static bool Comparable(Table table, int primary, int cell)
    {
        var above = true;
        var below = true;
        for (var d = 0; d < table.Dimensions.Count; d++)
        {
            var a = Leaves(table.Dimensions[d].Hierarchy, table.CodeOf(primary, d));
            var b = Leaves(table.Dimensions[d].Hierarchy, table.CodeOf(cell, d));
            above &= b.IsSupersetOf(a);
            below &= a.IsSupersetOf(b);
        }

        return above || below;
    }

    private static HashSet<int> Leaves(Hierarchy hierarchy, int code) =>
        hierarchy.IsLeaf(code) ? [code] : [.. hierarchy.Children[code].SelectMany(child => Leaves(hierarchy, child))];
}
