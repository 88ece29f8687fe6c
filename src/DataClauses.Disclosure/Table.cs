namespace DataClauses.Disclosure;

/// <summary>A dimension of a table: its name and code hierarchy.</summary>
/// <param name="Name">Dimension name.</param>
/// <param name="Hierarchy">Codes with their totals.</param>
public sealed record Dimension(string Name, Hierarchy Hierarchy);

/// <summary>
/// A table over n dimensions with every marginal: a cell for each combination of codes (totals included), holding the
/// number of contributors, the sums of the measures, and the largest contributions of each sum (for dominance rules).
/// Cells are addressed by a flat index (row-major over the dimensions).
/// </summary>
public sealed class Table
{
    internal Table(IReadOnlyList<Dimension> dimensions, IReadOnlyList<string> measures, int topContributions)
    {
        Dimensions = dimensions;
        Measures = measures;
        TopContributions = topContributions;
        Strides = new int[dimensions.Count];
        var size = 1L;
        for (var d = dimensions.Count - 1; d >= 0; d--)
        {
            Strides[d] = (int)size;
            size *= dimensions[d].Hierarchy.Count;
            if (size > 50_000_000)
            {
                throw new ArgumentException("The table would have more than 50 million cells.", nameof(dimensions));
            }
        }

        CellCount = (int)size;
        Counts = new long[CellCount];
        Sums = [.. measures.Select(_ => new double[CellCount])];
        Top = [.. measures.Select(_ => new double[topContributions == 0 ? 0 : CellCount * topContributions])];
    }

    /// <summary>Dimensions, in cell-index order.</summary>
    public IReadOnlyList<Dimension> Dimensions { get; }

    /// <summary>Names of the sum measures.</summary>
    public IReadOnlyList<string> Measures { get; }

    /// <summary>How many largest contributions are kept per cell and measure.</summary>
    public int TopContributions { get; }

    /// <summary>Number of cells (every combination of codes, totals included).</summary>
    public int CellCount { get; }

    /// <summary>Contributors per cell.</summary>
    public long[] Counts { get; }

    /// <summary>Sum of each measure per cell.</summary>
    public double[][] Sums { get; }

    /// <summary>Largest contributions per measure, <see cref="TopContributions"/> per cell, in decreasing order.</summary>
    internal double[][] Top { get; }

    internal int[] Strides { get; }

    /// <summary>The flat index of a cell from its code indexes.</summary>
    public int IndexOf(ReadOnlySpan<int> codes)
    {
        var index = 0;
        for (var d = 0; d < codes.Length; d++)
        {
            index += codes[d] * Strides[d];
        }

        return index;
    }

    /// <summary>The code index of a cell along a dimension.</summary>
    public int CodeOf(int cell, int dimension) => cell / Strides[dimension] % Dimensions[dimension].Hierarchy.Count;

    /// <summary>The codes of a cell (one per dimension).</summary>
    public string[] CodesOf(int cell)
    {
        var codes = new string[Dimensions.Count];
        for (var d = 0; d < codes.Length; d++)
        {
            codes[d] = Dimensions[d].Hierarchy.Codes[CodeOf(cell, d)];
        }

        return codes;
    }

    /// <summary>The largest contributions of a measure in a cell, in decreasing order.</summary>
    public ReadOnlySpan<double> TopOf(int measure, int cell) =>
        TopContributions == 0 ? [] : Top[measure].AsSpan(cell * TopContributions, TopContributions);
}

/// <summary>
/// Builds a <see cref="Table"/>: data are added at the leaves (from microdata records or from aggregates), then every
/// marginal is computed by rolling up each dimension's hierarchy.
/// </summary>
public sealed class TableBuilder
{
    private readonly Table _table;
    private readonly int[] _codes;
    private bool _built;

    /// <summary>Starts a table over dimensions and sum measures, keeping <paramref name="topContributions"/> per cell for dominance.</summary>
    public TableBuilder(IReadOnlyList<Dimension> dimensions, IReadOnlyList<string>? measures = null, int topContributions = 0)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentOutOfRangeException.ThrowIfNegative(topContributions);
        if (dimensions.Count == 0)
        {
            throw new ArgumentException("A table needs at least one dimension.", nameof(dimensions));
        }

        _table = new Table(dimensions, measures ?? [], topContributions);
        _codes = new int[dimensions.Count];
    }

    /// <summary>Adds one contributor (a microdata record) with its value for each measure.</summary>
    public void AddRecord(IReadOnlyList<string> codes, ReadOnlySpan<double> values = default)
    {
        var cell = LeafCell(codes);
        _table.Counts[cell]++;
        for (var m = 0; m < _table.Measures.Count; m++)
        {
            var value = m < values.Length ? values[m] : 0;
            _table.Sums[m][cell] += value;
            if (_table.TopContributions > 0)
            {
                InsertTop(_table.Top[m].AsSpan(cell * _table.TopContributions, _table.TopContributions), value);
            }
        }
    }

    /// <summary>Adds an aggregate for a leaf cell: contributors, sums, and the largest contributions of each sum.</summary>
    public void AddAggregate(IReadOnlyList<string> codes, long count, ReadOnlySpan<double> sums = default, IReadOnlyList<double[]>? largest = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var cell = LeafCell(codes);
        _table.Counts[cell] += count;
        for (var m = 0; m < _table.Measures.Count; m++)
        {
            _table.Sums[m][cell] += m < sums.Length ? sums[m] : 0;
            if (_table.TopContributions > 0 && largest is not null && m < largest.Count)
            {
                var top = _table.Top[m].AsSpan(cell * _table.TopContributions, _table.TopContributions);
                foreach (var value in largest[m])
                {
                    InsertTop(top, value);
                }
            }
        }
    }

    /// <summary>Computes every marginal and returns the table (once).</summary>
    public Table Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("The table is already built.");
        }

        _built = true;
        var table = _table;
        for (var d = 0; d < table.Dimensions.Count; d++)
        {
            var hierarchy = table.Dimensions[d].Hierarchy;
            var stride = table.Strides[d];
            var block = stride * hierarchy.Count;
            foreach (var node in hierarchy.BottomUp)
            {
                var parent = hierarchy.Parents[node];
                if (parent < 0)
                {
                    continue;
                }

                // Add every cell with this code along d into the cell with the parent code (other codes unchanged).
                for (var outer = 0; outer < table.CellCount; outer += block)
                {
                    var from = outer + (node * stride);
                    var to = outer + (parent * stride);
                    for (var inner = 0; inner < stride; inner++)
                    {
                        table.Counts[to + inner] += table.Counts[from + inner];
                        for (var m = 0; m < table.Measures.Count; m++)
                        {
                            table.Sums[m][to + inner] += table.Sums[m][from + inner];
                            if (table.TopContributions > 0)
                            {
                                var k = table.TopContributions;
                                var target = table.Top[m].AsSpan((to + inner) * k, k);
                                var source = table.Top[m].AsSpan((from + inner) * k, k);
                                foreach (var value in source)
                                {
                                    InsertTop(target, value);
                                }
                            }
                        }
                    }
                }
            }
        }

        return table;
    }

    private int LeafCell(IReadOnlyList<string> codes)
    {
        if (_built)
        {
            throw new InvalidOperationException("The table is already built.");
        }

        if (codes.Count != _table.Dimensions.Count)
        {
            throw new ArgumentException($"Expected {_table.Dimensions.Count} codes, got {codes.Count}.", nameof(codes));
        }

        for (var d = 0; d < codes.Count; d++)
        {
            var hierarchy = _table.Dimensions[d].Hierarchy;
            var index = hierarchy.IndexOf(codes[d]);
            if (index < 0)
            {
                throw new ArgumentException($"Unknown code '{codes[d]}' in dimension '{_table.Dimensions[d].Name}'.", nameof(codes));
            }

            if (!hierarchy.IsLeaf(index))
            {
                throw new ArgumentException($"Code '{codes[d]}' of dimension '{_table.Dimensions[d].Name}' is not a leaf: data are given at the finest level.", nameof(codes));
            }

            _codes[d] = index;
        }

        return _table.IndexOf(_codes);
    }

    private static void InsertTop(Span<double> top, double value)
    {
        // Keep the k largest in decreasing order (k is 1 to 3 in practice).
        for (var i = 0; i < top.Length; i++)
        {
            if (value > top[i])
            {
                for (var j = top.Length - 1; j > i; j--)
                {
                    top[j] = top[j - 1];
                }

                top[i] = value;
                return;
            }
        }
    }
}
