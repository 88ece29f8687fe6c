namespace DataClauses.Disclosure;

/// <summary>
/// What an attacker knows of a suppressed cell besides the published cells and additivity, and so which way it may
/// move in a perturbation that the attacker cannot tell from the true table:
/// <list type="bullet">
/// <item>every count and sum is non-negative (a zero cannot decrease);</item>
/// <item>when zeros are published, a cell suppressed as primary is not empty: its count is at least 1.</item>
/// </list>
/// The status also tells that a frequency-rule primary is below the minimum; that is what the rule publishes
/// ("fewer than n"), not something the pattern must hide, so it is not used as a bound (see docs/adr/0004).
/// </summary>
internal static class AttackerBounds
{
    /// <summary>Bit set in <see cref="Freedom"/> when the cell may decrease.</summary>
    public const byte CanDecrease = 1;

    /// <summary>Bit set in <see cref="Freedom"/> when the cell may increase (always: no upper bound is known).</summary>
    public const byte CanIncrease = 2;

    /// <summary>The lower bound an attacker knows for the count of a cell (primary or not).</summary>
    public static long CountLowerBound(DisclosureRules rules, bool primary) => primary && !rules.ProtectZeros ? 1 : 0;

    /// <summary>For every cell, whether it may decrease and increase from its true value without leaving what the attacker knows.</summary>
    public static byte[] Freedom(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons)
    {
        var freedom = new byte[table.CellCount];
        for (var cell = 0; cell < freedom.Length; cell++)
        {
            var canDecrease = table.Counts[cell] > CountLowerBound(rules, reasons[cell] != SensitivityReasons.None);
            for (var m = 0; m < table.Measures.Count && canDecrease; m++)
            {
                canDecrease = table.Sums[m][cell] > 0;
            }

            freedom[cell] = (byte)((canDecrease ? CanDecrease : 0) | CanIncrease);
        }

        return freedom;
    }
}
