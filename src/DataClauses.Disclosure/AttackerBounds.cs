namespace DataClauses.Disclosure;

/// <summary>
/// What an attacker knows of a suppressed cell's count besides the published cells and additivity (see
/// docs/adr/0004): counts are non-negative integers; the attacker knows the rules and — worst case — which secret
/// cells are primary and which secondary. So a primary lies in [1, k−1] (in [0, k−1] when zeros are protected; no
/// upper bound when a dominance or p% rule may also make a cell primary), and a secondary is 0 or at least k. A zero
/// suppressed as secondary is therefore known to be 0: it protects nothing and serves in no pattern.
/// <para>
/// A pattern protects a primary when an integer direction d (a hypercube's ±1 entries, zero on published cells) keeps
/// every cell within these bounds for t in [−a, b] steps with a + b at least the required width: the tables x + t·d
/// are all consistent with what the attacker knows, so the primary's feasible range is at least that wide.
/// </para>
/// </summary>
internal static class AttackerBounds
{
    /// <summary>An upper bound standing for "none" (small enough that two of them add without overflow).</summary>
    public const long Unbounded = long.MaxValue / 4;

    /// <summary>The interval the attacker knows for a suppressed cell's count (before reading the table's equations).</summary>
    public static (long Lower, long Upper) CountBounds(Table table, DisclosureRules rules, bool primary, long count, Guarantee model = Guarantee.Full)
    {
        if (!primary)
        {
            // Not sensitive: 0, or at least the minimum (the interval around the true value, contiguous).
            return model == Guarantee.NonNegativityOnly ? (0, Unbounded) : count == 0 ? (0, 0) : (rules.MinCount, Unbounded);
        }

        var lower = rules.ProtectZeros ? 0L : 1L;
        var upper = model == Guarantee.Full && PrimaryBelowMinimum(table, rules) ? rules.MinCount - 1L : Unbounded;

        // A threshold of 2 pins a primary to 1 by the rule itself: nothing can hide what the rule publishes, so that
        // bound is not used and the cell is protected as any other (at least one unit of freedom).
        return upper - lower < 1 ? (lower, Unbounded) : (lower, upper);
    }

    /// <summary>Whether every primary is known to lie below the minimum count (no other rule can make a cell primary).</summary>
    public static bool PrimaryBelowMinimum(Table table, DisclosureRules rules) =>
        table.Measures.Count == 0 || (rules.Dominance is null && rules.PPercent is null);

    /// <summary>
    /// The width the attacker's range of a primary must reach: the clause's protection level (units, or a share of
    /// the cell), at least 1, at most what the rules leave open ([1, k−1] cannot be wider than k−2).
    /// </summary>
    public static long RequiredWidth(Table table, DisclosureRules rules, long count, Guarantee model = Guarantee.Full)
    {
        if (model == Guarantee.NonNegativityOnly)
        {
            return 1;
        }

        var (lower, upper) = CountBounds(table, rules, primary: true, count);
        return Math.Max(1, Math.Min(rules.RequiredWidth(count), upper - lower));
    }

    /// <summary>
    /// For every cell, how far its count may go up and down from its true value within what the attacker of
    /// <paramref name="model"/> knows (the weaker ones are fallbacks, see <see cref="Guarantee"/>).
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="rules">Its rules.</param>
    /// <param name="reasons">Why each cell is sensitive.</param>
    /// <param name="model">The attacker.</param>
    /// <param name="released">The cells some table releases (null: all); the attacker knows of the others only that they are non-negative.</param>
    public static (long[] Up, long[] Down) Rooms(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, Guarantee model, IReadOnlyList<bool>? released = null)
    {
        var up = new long[table.CellCount];
        var down = new long[table.CellCount];
        for (var cell = 0; cell < up.Length; cell++)
        {
            var count = table.Counts[cell];
            var (lower, upper) = released is null || released[cell]
                ? CountBounds(table, rules, reasons[cell] != SensitivityReasons.None, count, model)
                : (0, Unbounded);
            up[cell] = upper >= Unbounded ? Unbounded : Math.Max(0, upper - count);
            down[cell] = Math.Max(0, count - lower);
        }

        return (up, down);
    }

    /// <summary>For every cell, whether its sums may decrease (all positive): sums are non-negative reals.</summary>
    public static bool[] SumsCanDecrease(Table table)
    {
        var canDecrease = new bool[table.CellCount];
        for (var cell = 0; cell < canDecrease.Length; cell++)
        {
            var positive = true;
            for (var m = 0; m < table.Measures.Count && positive; m++)
            {
                positive = table.Sums[m][cell] > 0;
            }

            canDecrease[cell] = positive;
        }

        return canDecrease;
    }
}
