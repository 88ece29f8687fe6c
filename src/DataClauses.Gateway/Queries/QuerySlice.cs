using DataClauses.Disclosure;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>An output column of a slice: a requested (or multi-valued filtered) dimension.</summary>
/// <param name="Name">The dataset's dimension name.</param>
/// <param name="Dimension">The cube dimension it reads.</param>
/// <param name="Level">For a geographic column, its level.</param>
internal sealed record SliceColumn(string Name, int Dimension, GeoLevel? Level);

/// <summary>One returned cell: a code per column, a value per measure (null when suppressed), its status.</summary>
/// <param name="Codes">One code per column ("Total" for a total).</param>
/// <param name="Values">One published value per requested measure, or null.</param>
/// <param name="Status">The cube cell's status.</param>
/// <param name="Cell">The cube cell's index.</param>
internal sealed record SliceRow(string[] Codes, decimal?[] Values, CellStatus Status, int Cell)
{
    public bool IsSuppressed => Status is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary;
}

/// <summary>The cells a query returns, all taken from one protected cube.</summary>
/// <param name="Columns">Output columns.</param>
/// <param name="Measures">Requested measures, in request order.</param>
/// <param name="Rows">Cells, in a stable order.</param>
internal sealed record Slice(IReadOnlyList<SliceColumn> Columns, IReadOnlyList<CubeMeasure> Measures, IReadOnlyList<SliceRow> Rows)
{
    public int SuppressedCount => Rows.Count(r => r.IsSuppressed);
}

/// <summary>
/// Takes a query's cells out of a protected cube, never computing a value: for each requested dimension the codes at
/// its level plus its total; dimensions not requested at their total; a filter on a requested dimension keeps its
/// values (and drops that dimension's totals, which would not be the total of the kept values); a filter on a
/// dimension not requested fixes the slice (one value) or becomes a column limited to its values (several). The
/// geographic levels are one dimension: QPV rows carry their commune when both are requested, commune subtotals
/// come after their QPVs, and a commune filter on QPV rows keeps the QPVs of those communes.
/// </summary>
internal static class QuerySlice
{
    /// <summary>The literal shown for a total.</summary>
    public const string Total = Hierarchy.DefaultTotal;

    public static Slice Take(ProtectedCube cube, IReadOnlyList<string> dimensions, IReadOnlyList<string> measures, IReadOnlyList<Filter> filters)
    {
        ArgumentNullException.ThrowIfNull(cube);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(measures);
        ArgumentNullException.ThrowIfNull(filters);

        var columns = new List<SliceColumn>();
        var selected = new List<int>[cube.Dimensions.Count];
        for (var d = 0; d < cube.Dimensions.Count; d++)
        {
            var dimension = cube.Dimensions[d];
            selected[d] = dimension.IsGeo
                ? SelectGeo(dimension, d, dimensions, filters, columns)
                : SelectCategory(dimension, d, dimensions, filters, columns);
        }

        // Requested columns in request order, then the filtered ones.
        columns = [.. columns.OrderBy(c => Position(dimensions, c.Name)).ThenBy(c => c.Level is { } l ? -(int)l : 0)];
        var measureIndexes = measures.Select(m => cube.MeasureIndex(m) is var i and >= 0 ? i : throw new ArgumentException($"Measure '{m}' is not in the cube.", nameof(measures))).ToArray();

        // Rows vary the dimension of the first column slowest; dimensions without a column are fixed.
        var order = Enumerable.Range(0, cube.Dimensions.Count)
            .OrderBy(d => columns.FindIndex(c => c.Dimension == d) is var i and >= 0 ? i : int.MaxValue)
            .ToArray();
        var rows = new List<SliceRow>();
        if (selected.Any(s => s.Count == 0))
        {
            return new Slice(columns, [.. measureIndexes.Select(i => cube.Measures[i])], rows);
        }

        var position = new int[order.Length];
        var codes = new int[cube.Dimensions.Count];
        while (true)
        {
            for (var o = 0; o < order.Length; o++)
            {
                codes[order[o]] = selected[order[o]][position[o]];
            }

            var cell = cube.IndexOf(codes);
            rows.Add(new SliceRow(
                [.. columns.Select(c => Label(cube.Dimensions[c.Dimension], codes[c.Dimension], c.Level))],
                [.. measureIndexes.Select(m => cube.ValueOf(m, cell))],
                cube.StatusOf(cell),
                cell));

            // Odometer over the selected codes, the last dimension in the order fastest.
            var o2 = order.Length - 1;
            while (o2 >= 0 && ++position[o2] == selected[order[o2]].Count)
            {
                position[o2] = 0;
                o2--;
            }

            if (o2 < 0)
            {
                break;
            }
        }

        return new Slice(columns, [.. measureIndexes.Select(i => cube.Measures[i])], rows);
    }

    private static List<int> SelectCategory(CubeDimension dimension, int d, IReadOnlyList<string> dimensions, IReadOnlyList<Filter> filters, List<SliceColumn> columns)
    {
        var hierarchy = dimension.Hierarchy;
        var filter = filters.FirstOrDefault(f => string.Equals(f.Dimension, dimension.Name, StringComparison.Ordinal));
        var requested = dimensions.Contains(dimension.Name, StringComparer.Ordinal);
        if (filter is null)
        {
            if (!requested)
            {
                return [0];
            }

            columns.Add(new SliceColumn(dimension.Name, d, null));
            return [.. Enumerable.Range(1, hierarchy.Count - 1), 0];
        }

        // In the hierarchy's (the contract's) order, whatever the filter's.
        var kept = Enumerable.Range(1, hierarchy.Count - 1).Where(c => filter.Values.Contains(hierarchy.Codes[c], StringComparer.Ordinal)).ToList();
        if (requested || filter.Values.Count > 1)
        {
            columns.Add(new SliceColumn(dimension.Name, d, null));
        }

        return kept;
    }

    private static List<int> SelectGeo(CubeDimension dimension, int d, IReadOnlyList<string> dimensions, IReadOnlyList<Filter> filters, List<SliceColumn> columns)
    {
        var hierarchy = dimension.Hierarchy;
        var requested = dimensions.Where(dimension.GeoColumns.ContainsKey).Select(n => (Name: n, Level: dimension.GeoColumns[n])).ToList();
        var geoFilters = filters
            .Where(f => dimension.GeoColumns.ContainsKey(f.Dimension))
            .Select(f => (Name: f.Dimension, Level: dimension.GeoColumns[f.Dimension], Codes: f.Values.Select(hierarchy.IndexOf).Where(i => i > 0).ToHashSet()))
            .ToList();

        if (requested.Count == 0 && geoFilters.Count > 0 && geoFilters.All(f => filters.First(x => x.Dimension == f.Name).Values.Count == 1))
        {
            // One place asked for: a fixed slice, no column. Several single-value filters must agree on it.
            var finest = geoFilters.MinBy(f => f.Level);
            return [.. finest.Codes.Where(c => geoFilters.All(f => f.Codes.Contains(dimension.AncestorAt(c, f.Level))))];
        }

        var finestRequested = requested.Count == 0 ? (GeoLevel)int.MaxValue : requested.Min(r => r.Level);
        foreach (var filter in geoFilters.Where(f => f.Level < finestRequested && !requested.Any(r => r.Name == f.Name)))
        {
            // A filter finer than every requested level names the rows: it becomes a column.
            requested.Add((filter.Name, filter.Level));
        }

        if (requested.Count == 0)
        {
            return [0];
        }

        foreach (var (name, level) in requested)
        {
            columns.Add(new SliceColumn(name, d, level));
        }

        var levels = requested.Select(r => r.Level).ToHashSet();
        var leaf = levels.Min();
        var order = PostOrder(hierarchy);
        if (geoFilters.Count > 0)
        {
            return [.. order.Where(c => dimension.LevelOf(c) == leaf && geoFilters.All(f => f.Codes.Contains(dimension.AncestorAt(c, f.Level))))];
        }

        // Each requested level's codes, every subtotal after its parts, the total last.
        return [.. order.Where(c => c == 0 || levels.Contains(dimension.LevelOf(c)))];
    }

    /// <summary>The codes in post-order (children before their parent, siblings in hierarchy order).</summary>
    private static List<int> PostOrder(Hierarchy hierarchy)
    {
        var order = new List<int>(hierarchy.Count);
        Visit(0);
        return order;

        void Visit(int code)
        {
            foreach (var child in hierarchy.Children[code])
            {
                Visit(child);
            }

            order.Add(code);
        }
    }

    private static string Label(CubeDimension dimension, int code, GeoLevel? level)
    {
        if (code == 0)
        {
            return Total;
        }

        if (level is not { } at)
        {
            return dimension.Hierarchy.Codes[code];
        }

        var ancestor = dimension.AncestorAt(code, at);
        return ancestor > 0 ? dimension.Hierarchy.Codes[ancestor] : Total;
    }

    private static int Position(IReadOnlyList<string> dimensions, string name)
    {
        for (var i = 0; i < dimensions.Count; i++)
        {
            if (string.Equals(dimensions[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return int.MaxValue;
    }
}
