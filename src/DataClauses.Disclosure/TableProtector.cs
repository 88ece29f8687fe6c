namespace DataClauses.Disclosure;

/// <summary>
/// Protects a table: primary rules, secondary suppression over the whole table with every marginal, then rounding.
/// Deterministic: the same table and rules always give the same pattern.
/// </summary>
public static class TableProtector
{
    /// <summary>Protects <paramref name="table"/> under <paramref name="rules"/>.</summary>
    public static ProtectedTable Protect(Table table, DisclosureRules rules) => Protect(table, rules, released: null);

    /// <summary>
    /// Protects linked tables together (tables that share cells, e.g. QPV × sex and commune × age band of one dataset
    /// version, sharing the commune and total marginals): <paramref name="joint"/> is the table over every dimension
    /// they use with every marginal, and <paramref name="released"/> flags the cells some table publishes. The cells
    /// no table releases are unknown to the attacker (only non-negative) and stay secret; only released cells are
    /// judged sensitive. One pattern over the joint table, so that what one table publishes cannot undo another's
    /// suppressions: each table reads its cells' statuses from the result.
    /// </summary>
    public static ProtectedTable Protect(Table joint, DisclosureRules rules, IReadOnlyList<bool>? released) =>
        Protect(joint, rules, (t, r, reasons, suppressed, weaker) => Secondary(t, r, reasons, suppressed, weaker, released), released);

    /// <summary>
    /// The secondary step: the hypercube heuristic, then, on a small table whose primaries it all protected against the
    /// full attacker, the exact model's cheaper pattern when there is one (<see cref="ExactSuppression"/>).
    /// </summary>
    internal static bool Secondary(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IDictionary<int, Guarantee> weaker, IReadOnlyList<bool>? released)
    {
        if (!SecondarySuppression.Apply(table, rules, reasons, suppressed, weaker, released))
        {
            return false;
        }

        if (weaker.Count == 0 && ExactSuppression.Applies(table, reasons))
        {
            ExactSuppression.Improve(table, rules, reasons, suppressed, released);
        }

        return true;
    }

    /// <summary>The hypercube heuristic alone (tests run it on thousands of tables; the exact step is tested apart).</summary>
    internal static ProtectedTable ProtectByHypercubes(Table table, DisclosureRules rules) =>
        Protect(table, rules, (t, r, reasons, suppressed, weaker) => SecondarySuppression.Apply(t, r, reasons, suppressed, weaker, released: null));

    /// <summary>
    /// As <see cref="Protect(Table, DisclosureRules)"/>, with the secondary step given (tests use it to exercise the
    /// fail-closed path, which the hypercube method should never take).
    /// </summary>
    internal static ProtectedTable Protect(Table table, DisclosureRules rules, Func<Table, DisclosureRules, IReadOnlyList<SensitivityReasons>, bool[], IDictionary<int, Guarantee>, bool> secondary, IReadOnlyList<bool>? released = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rules);
        if (released is not null && released.Count != table.CellCount)
        {
            throw new ArgumentException("One flag per cell of the joint table.", nameof(released));
        }

        if (rules.MinCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rules), "The minimum count must be at least 1.");
        }

        var reasons = PrimarySuppression.Find(table, rules);
        var suppressed = new bool[table.CellCount];
        var anyPrimary = false;
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (released is not null && !released[cell])
            {
                // Released by no table: not judged, and secret (the attacker knows only that it is non-negative).
                reasons[cell] = SensitivityReasons.None;
                suppressed[cell] = true;
            }
            else if (reasons[cell] != SensitivityReasons.None)
            {
                suppressed[cell] = true;
                anyPrimary = true;
            }
        }

        var weaker = new Dictionary<int, Guarantee>();
        if (rules.SecondarySuppression && anyPrimary && !secondary(table, rules, reasons, suppressed, weaker))
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

        return new ProtectedTable(table, rules, statuses, reasons, published, weaker, released);
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
    /// looks for a hypercube of suppressed cells (one per insider when sums are protected) along which the cell's
    /// count ranges over at least the protection level in integers, every cell within what the attacker knows
    /// (docs/adr/0004), or, on a table the exact step covers, a pair of integer perturbations (<see cref="ExactSuppression"/>).
    /// A self-check: it proves protection by exhibiting such a certificate; it does not search every possible pattern,
    /// so a cell protected otherwise may be listed.
    /// </summary>
    public static IReadOnlyList<int> Unprotected(ProtectedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var suppressed = table.Statuses.Select(s => s is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary).ToArray();
        var unprotected = new List<int>();
        var exact = table.WeakerGuarantees.Count == 0 && ExactSuppression.Applies(table.Table, table.Reasons);
        for (var cell = 0; cell < suppressed.Length; cell++)
        {
            if (table.Statuses[cell] == CellStatus.SuppressedPrimary
                && !SecondarySuppression.IsProtected(table.Table, table.Rules, table.Reasons, suppressed, table.WeakerGuarantees, table.Released, cell)
                && !(exact && ExactSuppression.Protects(table.Table, table.Rules, table.Reasons, suppressed, table.Released, cell)))
            {
                unprotected.Add(cell);
            }
        }

        return unprotected;
    }
}
