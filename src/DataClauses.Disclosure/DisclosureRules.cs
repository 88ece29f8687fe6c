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

    /// <summary>The protection level in units when a clause sets none (see docs/adr/0004).</summary>
    public const int DefaultProtectionLevel = 2;

    /// <summary>The protection level as a share of the cell when a clause sets none, in percent (see docs/adr/0004).</summary>
    public const double DefaultProtectionPercent = 10;

    /// <summary>
    /// The protection level in units: the attacker's feasible range of every primary cell (its largest minus its
    /// smallest possible count, given everything published) must be at least this wide, or as wide as the rules leave
    /// it (a primary under a threshold k lies in [1, k−1]). At least 1: a range is never a single value.
    /// </summary>
    public int ProtectionLevel { get; init; } = DefaultProtectionLevel;

    /// <summary>The protection level as a percentage of the cell's count; the larger of the two applies.</summary>
    public double ProtectionPercent { get; init; } = DefaultProtectionPercent;

    /// <summary>The range width a primary cell of this count must keep: the larger protection level, at least 1.</summary>
    public long RequiredWidth(long count) =>
        Math.Max(1, Math.Max(ProtectionLevel, (long)Math.Ceiling(ProtectionPercent * count / 100)));

    /// <summary>The largest contributions a table must keep per cell for these rules.</summary>
    public int TopContributionsNeeded => Math.Max(Dominance?.N ?? 0, PPercent is null ? 0 : 2);
}
