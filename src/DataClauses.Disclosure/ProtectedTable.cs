namespace DataClauses.Disclosure;

/// <summary>What happened to a cell.</summary>
public enum CellStatus : byte
{
    /// <summary>Published as computed.</summary>
    Published,

    /// <summary>Published after rounding.</summary>
    Rounded,

    /// <summary>Suppressed because it is sensitive (too few contributors, dominance, p%).</summary>
    SuppressedPrimary,

    /// <summary>Suppressed so that a sensitive cell cannot be recomputed from the others.</summary>
    SuppressedSecondary,
}

/// <summary>Against which attacker a primary cell is protected (docs/adr/0004).</summary>
public enum Guarantee : byte
{
    /// <summary>
    /// The full attacker: every published cell, additivity, integrality, the rules, and which secret cells are primary
    /// (in [1, k−1]) and secondary (0 or at least k). The cell's feasible range is at least the protection level wide.
    /// </summary>
    Full,

    /// <summary>
    /// The statuses pin the cell for an attacker who knows that primaries lie below k (e.g. a primary total under k
    /// whose k−1 children are primary, each at least 1): no pattern can hide that. Protected as <see cref="Full"/>
    /// against an attacker who knows only that a primary is not empty.
    /// </summary>
    WithoutPrimaryCeiling,

    /// <summary>
    /// No integer pattern was found (sparse tables with sums, whose single contributors' cells cannot serve): the cell
    /// can move against an attacker who uses non-negativity only — the model before issue 11.
    /// </summary>
    NonNegativityOnly,
}

/// <summary>Why a cell is sensitive.</summary>
[Flags]
public enum SensitivityReasons : byte
{
    /// <summary>Not sensitive.</summary>
    None = 0,

    /// <summary>Fewer contributors than the minimum.</summary>
    MinCount = 1,

    /// <summary>Dominated by its largest contributors.</summary>
    Dominance = 2,

    /// <summary>Fails the p% rule.</summary>
    PPercent = 4,

    /// <summary>An empty cell, protected on request.</summary>
    Zero = 8,
}

/// <summary>A table after protection: the status of every cell and the values that may be released.</summary>
public sealed class ProtectedTable
{
    internal ProtectedTable(Table table, DisclosureRules rules, CellStatus[] statuses, SensitivityReasons[] reasons, long[] publishedCounts, IReadOnlyDictionary<int, Guarantee>? weaker = null, IReadOnlyList<bool>? released = null)
    {
        Released = released;
        WeakerGuarantees = weaker ?? new Dictionary<int, Guarantee>();
        Table = table;
        Rules = rules;
        Statuses = statuses;
        Reasons = reasons;
        PublishedCounts = publishedCounts;
    }

    /// <summary>The table protected (its raw values stay internal to the caller).</summary>
    public Table Table { get; }

    /// <summary>The rules applied.</summary>
    public DisclosureRules Rules { get; }

    /// <summary>Status per cell.</summary>
    public IReadOnlyList<CellStatus> Statuses { get; }

    /// <summary>Why each primary cell is sensitive.</summary>
    public IReadOnlyList<SensitivityReasons> Reasons { get; }

    /// <summary>
    /// The primary cells protected against a weaker attacker than <see cref="Guarantee.Full"/> (absent cells have the
    /// full guarantee). Empty for most tables; for the provider's stewards, never shown to recipients.
    /// </summary>
    public IReadOnlyDictionary<int, Guarantee> WeakerGuarantees { get; }

    /// <summary>
    /// For linked tables protected together, the cells some table releases (the others are marked secondary and are
    /// published by none); null for a single table.
    /// </summary>
    public IReadOnlyList<bool>? Released { get; }

    /// <summary>Against which attacker a primary cell is protected.</summary>
    public Guarantee GuaranteeOf(int cell) => WeakerGuarantees.GetValueOrDefault(cell, Guarantee.Full);

    /// <summary>The count to publish per cell (rounded where rounding applies; meaningless for suppressed cells).</summary>
    public IReadOnlyList<long> PublishedCounts { get; }

    /// <summary>True when the cell's values may be released.</summary>
    public bool IsPublished(int cell) => Statuses[cell] is CellStatus.Published or CellStatus.Rounded;

    /// <summary>Number of primary suppressions.</summary>
    public int PrimaryCount => Statuses.Count(s => s == CellStatus.SuppressedPrimary);

    /// <summary>Number of secondary suppressions.</summary>
    public int SecondaryCount => Statuses.Count(s => s == CellStatus.SuppressedSecondary);

    /// <summary>The count to publish, or null when the cell is suppressed.</summary>
    public long? CountOf(int cell) => IsPublished(cell) ? PublishedCounts[cell] : null;

    /// <summary>The sum of a measure to publish, or null when the cell is suppressed.</summary>
    public double? SumOf(int measure, int cell) => IsPublished(cell) ? Table.Sums[measure][cell] : null;
}
