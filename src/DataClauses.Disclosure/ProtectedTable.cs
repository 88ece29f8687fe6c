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
    internal ProtectedTable(Table table, DisclosureRules rules, CellStatus[] statuses, SensitivityReasons[] reasons, long[] publishedCounts)
    {
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
