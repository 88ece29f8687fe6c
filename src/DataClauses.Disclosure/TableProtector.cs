namespace DataClauses.Disclosure;

/// <summary>
/// Protects a table: primary rules, secondary suppression over the whole table with every marginal, then rounding.
/// Deterministic: the same table and rules always give the same pattern.
/// </summary>
public static class TableProtector
{
    /// <summary>Protects <paramref name="table"/> under <paramref name="rules"/>.</summary>
    public static ProtectedTable Protect(Table table, DisclosureRules rules) => Protect(table, rules, SecondarySuppression.Apply);

    /// <summary>
    /// As <see cref="Protect(Table, DisclosureRules)"/>, with the secondary step given (tests use it to exercise the
    /// fail-closed path, which the hypercube method should never take).
    /// </summary>
    internal static ProtectedTable Protect(Table table, DisclosureRules rules, Func<Table, DisclosureRules, IReadOnlyList<SensitivityReasons>, bool[], bool> secondary)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.MinCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rules), "The minimum count must be at least 1.");
        }

        var reasons = PrimarySuppression.Find(table, rules);
        var suppressed = new bool[table.CellCount];
        var anyPrimary = false;
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (reasons[cell] != SensitivityReasons.None)
            {
                suppressed[cell] = true;
                anyPrimary = true;
            }
        }

        if (rules.SecondarySuppression && anyPrimary && !secondary(table, rules, reasons, suppressed))
        {
            // Fail closed: a sensitive cell that no pattern protects takes the whole table with it.
            Array.Fill(suppressed, true);
        }

        var statuses = new CellStatus[table.CellCount];
        var published = new long[table.CellCount];
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (reasons[cell] != SensitivityReasons.None)
            {
                statuses[cell] = CellStatus.SuppressedPrimary;
            }
            else if (suppressed[cell])
            {
                statuses[cell] = CellStatus.SuppressedSecondary;
            }
            else
            {
                published[cell] = Round(table.Counts[cell], rules.Rounding);
                statuses[cell] = rules.Rounding == Rounding.None ? CellStatus.Published : CellStatus.Rounded;
            }
        }

        return new ProtectedTable(table, rules, statuses, reasons, published);
    }

    /// <summary>Rounds a count: base 5 to the nearest multiple (halves up), midpoint 6 to the middle of its band of six.</summary>
    public static long Round(long value, Rounding rounding) => rounding switch
    {
        Rounding.Base5 => (value + 2) / 5 * 5,
        Rounding.Midpoint6 => value <= 0 ? 0 : ((value - 1) / 6 * 6) + 3,
        _ => value,
    };

    /// <summary>
    /// The sensitive cells that the library cannot show protected (empty for a table this library protected): it
    /// looks for a hypercube of suppressed cells (one per insider when sums are protected) and, on tables with few
    /// suppressed cells, for any perturbation (an exact linear-programming check). A self-check: it proves protection
    /// by exhibiting a perturbation; on large tables it does not search every possible one.
    /// </summary>
    public static IReadOnlyList<int> Unprotected(ProtectedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var suppressed = table.Statuses.Select(s => s is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary).ToArray();
        var unprotected = new List<int>();
        for (var cell = 0; cell < suppressed.Length; cell++)
        {
            if (table.Statuses[cell] == CellStatus.SuppressedPrimary && !SecondarySuppression.IsProtected(table.Table, table.Rules, table.Reasons, suppressed, cell))
            {
                unprotected.Add(cell);
            }
        }

        return unprotected;
    }
}
