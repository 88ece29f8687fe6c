namespace DataClauses.Disclosure.Tests;

/// <summary>Small explicit tables for the tests.</summary>
internal static class Tables
{
    /// <summary>A flat dimension named <paramref name="name"/> with categories name0, name1…</summary>
    public static Dimension Flat(string name, int categories) =>
        new(name, Hierarchy.Flat(Enumerable.Range(0, categories).Select(i => $"{name}{i}")));

    /// <summary>A two-dimensional table of counts given by its leaf grid (rows × columns), every marginal rolled up.</summary>
    public static Table Grid(long[,] leaves)
    {
        var rows = Flat("r", leaves.GetLength(0));
        var columns = Flat("c", leaves.GetLength(1));
        var builder = new TableBuilder([rows, columns]);
        for (var r = 0; r < leaves.GetLength(0); r++)
        {
            for (var c = 0; c < leaves.GetLength(1); c++)
            {
                builder.AddAggregate([$"r{r}", $"c{c}"], leaves[r, c]);
            }
        }

        return builder.Build();
    }

    /// <summary>A table of counts over <paramref name="dimensions"/> from (leaf codes, count) pairs.</summary>
    public static Table Counts(IReadOnlyList<Dimension> dimensions, params (string[] Codes, long Count)[] leaves)
    {
        var builder = new TableBuilder(dimensions);
        foreach (var (codes, count) in leaves)
        {
            builder.AddAggregate(codes, count);
        }

        return builder.Build();
    }

    /// <summary>The flat index of the cell with these codes (names, totals included).</summary>
    public static int Cell(this Table table, params string[] codes)
    {
        var indexes = new int[codes.Length];
        for (var d = 0; d < codes.Length; d++)
        {
            indexes[d] = table.Dimensions[d].Hierarchy.IndexOf(codes[d]);
            if (indexes[d] < 0)
            {
                throw new ArgumentException($"Unknown code {codes[d]}.", nameof(codes));
            }
        }

        return table.IndexOf(indexes);
    }

    /// <summary>The cells with a status, as code paths ("r1/c2").</summary>
    public static string[] CellsWith(this ProtectedTable table, CellStatus status) =>
        [.. Enumerable.Range(0, table.Table.CellCount).Where(c => table.Statuses[c] == status).Select(c => string.Join('/', table.Table.CodesOf(c)))];

    /// <summary>Whether the cell's values are withheld.</summary>
    public static bool IsSuppressed(this ProtectedTable table, int cell) => !table.IsPublished(cell);

    /// <summary>
    /// The same table with a pattern of one's own (as a naive protector would produce): the listed cells suppressed,
    /// as primary when the rules make them sensitive, else as secondary; every other cell published.
    /// </summary>
    public static ProtectedTable WithPattern(Table table, DisclosureRules rules, IEnumerable<int> suppressed)
    {
        var reasons = PrimarySuppression.Find(table, rules);
        var set = suppressed.ToHashSet();
        var statuses = new CellStatus[table.CellCount];
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            statuses[cell] = reasons[cell] != SensitivityReasons.None ? CellStatus.SuppressedPrimary
                : set.Contains(cell) ? CellStatus.SuppressedSecondary
                : CellStatus.Published;
        }

        return new ProtectedTable(table, rules, statuses, reasons, [.. table.Counts]);
    }

    /// <summary>A protected table with given statuses and published counts (e.g. the union of two releases as an attacker reads them).</summary>
    public static ProtectedTable WithStatuses(Table table, DisclosureRules rules, CellStatus[] statuses, long[] published, IReadOnlyList<bool>? released = null) =>
        new(table, rules, statuses, PrimarySuppression.Find(table, rules), published, released: released);
}
