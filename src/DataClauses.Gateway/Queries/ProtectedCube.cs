using DataClauses.Disclosure;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// A dimension of a protected cube: its code hierarchy (index 0 is "Total"), and for the geographic dimension the
/// level of each code and the dataset's geographic dimension names that are levels of it.
/// </summary>
internal sealed class CubeDimension
{
    private readonly GeoLevel[]? _levels;

    public CubeDimension(string name, Hierarchy hierarchy, GeoLevel[]? levels = null, IReadOnlyDictionary<string, GeoLevel>? geoColumns = null)
    {
        ArgumentNullException.ThrowIfNull(hierarchy);
        if (levels is not null && levels.Length != hierarchy.Count)
        {
            throw new ArgumentException("One level per code is needed.", nameof(levels));
        }

        Name = name;
        Hierarchy = hierarchy;
        _levels = levels;
        GeoColumns = geoColumns ?? new Dictionary<string, GeoLevel>(StringComparer.Ordinal);
    }

    /// <summary><c>geo</c>, or the categorical dimension's name.</summary>
    public string Name { get; }

    public Hierarchy Hierarchy { get; }

    /// <summary>True for the one geographic dimension.</summary>
    public bool IsGeo => _levels is not null;

    /// <summary>The dataset's geographic dimension names (qpv, commune…) that are levels of this dimension.</summary>
    public IReadOnlyDictionary<string, GeoLevel> GeoColumns { get; }

    /// <summary>The level of a geographic code (the root is the EPCI).</summary>
    public GeoLevel LevelOf(int code) => _levels is null ? throw new InvalidOperationException($"'{Name}' is not geographic.") : _levels[code];

    /// <summary>The levels of every code (for storage).</summary>
    internal IReadOnlyList<GeoLevel>? Levels => _levels;

    /// <summary>The ancestor of a code at a coarser (or the same) level, or -1 when the code is coarser.</summary>
    public int AncestorAt(int code, GeoLevel level)
    {
        for (var c = code; c >= 0; c = Hierarchy.Parents[c])
        {
            if (LevelOf(c) == level)
            {
                return c;
            }

            if (LevelOf(c) > level)
            {
                return -1;
            }
        }

        return -1;
    }
}

/// <summary>
/// A protected cube as queries see it: every cell of the table over the clause's allowed dimensions (totals included)
/// with its status, and the values of the published cells only. Suppressed cells hold no values at all, whether the
/// cube was just built or read back from storage, so nothing can serve them by mistake.
/// </summary>
internal sealed class ProtectedCube
{
    private readonly CellStatus[] _statuses;
    private readonly long[] _counts;
    private readonly long[][] _sumCents;
    private readonly int[] _sumIndex;
    private readonly int[] _strides;

    public ProtectedCube(CubeKey key, DateTimeOffset builtAt, IReadOnlyList<CubeDimension> dimensions, IReadOnlyList<CubeMeasure> measures, CellStatus[] statuses, long[] counts, long[][] sumCents)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(measures);
        ArgumentNullException.ThrowIfNull(statuses);
        Key = key;
        BuiltAt = builtAt;
        Dimensions = dimensions;
        Measures = measures;
        _strides = new int[dimensions.Count];
        var size = 1;
        for (var d = dimensions.Count - 1; d >= 0; d--)
        {
            _strides[d] = size;
            size = checked(size * dimensions[d].Hierarchy.Count);
        }

        if (statuses.Length != size || counts.Length != size)
        {
            throw new ArgumentException($"The cube has {size} cells, not {statuses.Length}.", nameof(statuses));
        }

        _sumIndex = new int[measures.Count];
        var sums = 0;
        for (var m = 0; m < measures.Count; m++)
        {
            _sumIndex[m] = measures[m].Kind == MeasureKind.Sum ? sums++ : -1;
        }

        if (sumCents.Length != sums || sumCents.Any(s => s.Length != size))
        {
            throw new ArgumentException("One sum per cell and sum measure is needed.", nameof(sumCents));
        }

        _statuses = statuses;
        _counts = counts;
        _sumCents = sumCents;
        PrimaryCount = statuses.Count(s => s == CellStatus.SuppressedPrimary);
        SecondaryCount = statuses.Count(s => s == CellStatus.SuppressedSecondary);
    }

    /// <summary>Which version, clause and definition this cube protects.</summary>
    public CubeKey Key { get; }

    /// <summary>When it was built (to the millisecond).</summary>
    public DateTimeOffset BuiltAt { get; }

    /// <summary>The geographic dimension first, then the categories in the clause's order.</summary>
    public IReadOnlyList<CubeDimension> Dimensions { get; }

    /// <summary>The clause's allowed measures, in its order.</summary>
    public IReadOnlyList<CubeMeasure> Measures { get; }

    /// <summary>Every combination of codes, totals included.</summary>
    public int CellCount => _statuses.Length;

    /// <summary>Cells suppressed because they are sensitive.</summary>
    public int PrimaryCount { get; }

    /// <summary>Cells suppressed to protect sensitive ones.</summary>
    public int SecondaryCount { get; }

    /// <summary>What protection did to a cell.</summary>
    public CellStatus StatusOf(int cell) => _statuses[cell];

    /// <summary>Whether a cell's values may be released.</summary>
    public bool IsPublished(int cell) => _statuses[cell] is CellStatus.Published or CellStatus.Rounded;

    /// <summary>A measure's published value in a cell (counts rounded as the rules say, sums to the cent); null when suppressed.</summary>
    public decimal? ValueOf(int measure, int cell)
    {
        if (!IsPublished(cell))
        {
            return null;
        }

        var sum = _sumIndex[measure];
        return sum < 0 ? _counts[cell] : _sumCents[sum][cell] / 100m;
    }

    /// <summary>The index of a measure by name, or -1.</summary>
    public int MeasureIndex(string name)
    {
        for (var m = 0; m < Measures.Count; m++)
        {
            if (string.Equals(Measures[m].Name, name, StringComparison.Ordinal))
            {
                return m;
            }
        }

        return -1;
    }

    /// <summary>The flat index of a cell from one code index per dimension.</summary>
    public int IndexOf(ReadOnlySpan<int> codes)
    {
        var index = 0;
        for (var d = 0; d < codes.Length; d++)
        {
            index += codes[d] * _strides[d];
        }

        return index;
    }

    /// <summary>The raw published count and sums in cents of a cell (for storage); zero for suppressed cells.</summary>
    internal (long Count, long[] SumCents) StoredValues(int cell) =>
        (_counts[cell], [.. _sumCents.Select(s => s[cell])]);

    /// <summary>
    /// Keeps what a protected table may release: statuses, published counts (rounded as the rules say) and published
    /// sums rounded to the cent. The raw values of suppressed cells are not copied.
    /// </summary>
    public static ProtectedCube From(CubeKey key, DateTimeOffset builtAt, ProtectedTable table, IReadOnlyList<CubeDimension> dimensions, IReadOnlyList<CubeMeasure> measures)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(measures);
        var cells = table.Table.CellCount;
        var statuses = new CellStatus[cells];
        var counts = new long[cells];
        var sums = measures.Count(m => m.Kind == MeasureKind.Sum);
        var sumCents = Enumerable.Range(0, sums).Select(_ => new long[cells]).ToArray();
        for (var cell = 0; cell < cells; cell++)
        {
            statuses[cell] = table.Statuses[cell];
            if (table.CountOf(cell) is not { } count)
            {
                continue;
            }

            counts[cell] = count;
            for (var s = 0; s < sums; s++)
            {
                sumCents[s][cell] = ToCents(table.SumOf(s, cell)!.Value);
            }
        }

        return new ProtectedCube(key, builtAt, dimensions, measures, statuses, counts, sumCents);
    }

    /// <summary>
    /// A linked clause's cube read out of the joint table protected for its group (docs/adr/0004, "Linked tables"):
    /// each cell takes the status of its joint cell, and when published its count rounded as this clause says and its
    /// sums to the cent. Rounding after suppression only widens what a recipient can infer, whatever the other clauses round.
    /// </summary>
    /// <param name="key">The clause's cube key.</param>
    /// <param name="builtAt">When it was built.</param>
    /// <param name="joint">The group's protected joint table.</param>
    /// <param name="cellMap">The joint cell of each of this cube's cells.</param>
    /// <param name="rounding">The clause's rounding.</param>
    /// <param name="dimensions">This cube's dimensions.</param>
    /// <param name="measures">This cube's measures.</param>
    /// <param name="sumMap">For each sum measure of this cube, its index among the joint table's sums.</param>
    internal static ProtectedCube FromJoint(
        CubeKey key, DateTimeOffset builtAt, ProtectedTable joint, int[] cellMap, Rounding rounding, IReadOnlyList<CubeDimension> dimensions, IReadOnlyList<CubeMeasure> measures, int[] sumMap)
    {
        ArgumentNullException.ThrowIfNull(joint);
        ArgumentNullException.ThrowIfNull(cellMap);
        ArgumentNullException.ThrowIfNull(sumMap);
        var statuses = new CellStatus[cellMap.Length];
        var counts = new long[cellMap.Length];
        var sumCents = sumMap.Select(_ => new long[cellMap.Length]).ToArray();
        for (var cell = 0; cell < cellMap.Length; cell++)
        {
            var source = cellMap[cell];
            if (!joint.IsPublished(source))
            {
                statuses[cell] = joint.Statuses[source];
                continue;
            }

            statuses[cell] = rounding == Rounding.None ? CellStatus.Published : CellStatus.Rounded;
            counts[cell] = TableProtector.Round(joint.Table.Counts[source], rounding);
            for (var s = 0; s < sumMap.Length; s++)
            {
                sumCents[s][cell] = ToCents(joint.Table.Sums[sumMap[s]][source]);
            }
        }

        return new ProtectedCube(key, builtAt, dimensions, measures, statuses, counts, sumCents);
    }

    private static long ToCents(double value) => (long)Math.Round(value * 100, MidpointRounding.AwayFromZero);
}
