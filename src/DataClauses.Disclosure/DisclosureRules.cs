namespace DataClauses.Disclosure;

/// <summary>How published values are rounded after suppression.</summary>
public enum Rounding
{
    /// <summary>Published as computed.</summary>
    None,

    /// <summary>To the nearest multiple of 5 (halves up).</summary>
    Base5,

    /// <summary>0 stays 0; 1–6 → 3, 7–12 → 9, 13–18 → 15… (the middle of each band of six).</summary>
    Midpoint6,
}

/// <summary>The protection a table must receive (from a decision's obligations).</summary>
public sealed record DisclosureRules
{
    /// <summary>Minimum contributors per published cell (frequency rule).</summary>
    public required int MinCount { get; init; }

    /// <summary>Dominance (n, k%): sensitive when the n largest contributions exceed k% of a sum.</summary>
    public (int N, double K)? Dominance { get; init; }

    /// <summary>p% rule: sensitive when the second largest contributor could estimate the largest within p%.</summary>
    public double? PPercent { get; init; }

    /// <summary>Whether suppressed cells are made unrecoverable by secondary suppression.</summary>
    public bool SecondarySuppression { get; init; } = true;

    /// <summary>Whether empty cells are treated as sensitive.</summary>
    public bool ProtectZeros { get; init; }

    /// <summary>Rounding of published counts, after suppression.</summary>
    public Rounding Rounding { get; init; } = Rounding.None;

    /// <summary>
    /// Cells that must stay published when they are not themselves sensitive (e.g. the grand total); secondary
    /// suppression avoids them. A sensitive public cell is still suppressed: protection comes first.
    /// </summary>
    public IReadOnlySet<int> PublicCells { get; init; } = new HashSet<int>();

    /// <summary>The largest contributions a table must keep per cell for these rules.</summary>
    public int TopContributionsNeeded => Math.Max(Dominance?.N ?? 0, PPercent is null ? 0 : 2);
}
