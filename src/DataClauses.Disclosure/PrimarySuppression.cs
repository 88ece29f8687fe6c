namespace DataClauses.Disclosure;

/// <summary>The primary rules: which cells are sensitive in themselves.</summary>
public static class PrimarySuppression
{
    /// <summary>Why each cell is sensitive (None for safe cells).</summary>
    public static SensitivityReasons[] Find(Table table, DisclosureRules rules)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.TopContributionsNeeded > table.TopContributions)
        {
            throw new ArgumentException($"The rules need the {rules.TopContributionsNeeded} largest contributions per cell; the table keeps {table.TopContributions}.", nameof(table));
        }

        var reasons = new SensitivityReasons[table.CellCount];
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            var count = table.Counts[cell];
            if (count == 0)
            {
                // An empty cell is published as a zero unless the clause protects zeros.
                reasons[cell] = rules.ProtectZeros ? SensitivityReasons.Zero : SensitivityReasons.None;
                continue;
            }

            var reason = count < rules.MinCount ? SensitivityReasons.MinCount : SensitivityReasons.None;
            for (var m = 0; m < table.Measures.Count; m++)
            {
                var total = table.Sums[m][cell];
                if (total <= 0)
                {
                    continue;
                }

                var top = table.TopOf(m, cell);
                if (rules.Dominance is { } dominance)
                {
                    var largest = 0.0;
                    for (var i = 0; i < dominance.N && i < top.Length; i++)
                    {
                        largest += top[i];
                    }

                    if (largest > dominance.K / 100 * total)
                    {
                        reason |= SensitivityReasons.Dominance;
                    }
                }

                // p%: the second largest contributor, subtracting itself from the total, must not get within p% of the largest.
                if (rules.PPercent is { } p && top.Length >= 2 && total - top[0] - top[1] < p / 100 * top[0])
                {
                    reason |= SensitivityReasons.PPercent;
                }
            }

            reasons[cell] = reason;
        }

        return reasons;
    }
}
