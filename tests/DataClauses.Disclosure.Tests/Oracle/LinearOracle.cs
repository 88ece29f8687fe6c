namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// An in-process, exact-linear-algebra oracle (no solver, no hypercubes): which suppressed cells the additivity
/// equations alone determine, whatever the bounds. It reduces the equations restricted to the suppressed cells to
/// row-echelon form (Gaussian elimination with partial pivoting); a cell is determined when its column is a pivot
/// whose row has no free column left. Cheaper than glpsol, so it runs on thousands of tables; glpsol adds the bounds.
/// </summary>
internal static class LinearOracle
{
    public static HashSet<int> DeterminedCells(Table table, IReadOnlyList<bool> suppressed)
    {
        var cells = Enumerable.Range(0, table.CellCount).Where(c => suppressed[c]).ToArray();
        var column = new Dictionary<int, int>();
        for (var i = 0; i < cells.Length; i++)
        {
            column[cells[i]] = i;
        }

        var rows = new List<double[]>();
        foreach (var equation in Additivity.Equations(table))
        {
            var row = new double[cells.Length];
            var any = false;
            if (column.TryGetValue(equation.Parent, out var p))
            {
                row[p] += 1;
                any = true;
            }

            foreach (var child in equation.Children)
            {
                if (column.TryGetValue(child, out var c))
                {
                    row[c] -= 1;
                    any = true;
                }
            }

            if (any)
            {
                rows.Add(row);
            }
        }

        const double Epsilon = 1e-9;
        var pivotRowOf = new int[cells.Length];
        Array.Fill(pivotRowOf, -1);
        var rank = 0;
        for (var col = 0; col < cells.Length && rank < rows.Count; col++)
        {
            var best = -1;
            var bestValue = Epsilon;
            for (var r = rank; r < rows.Count; r++)
            {
                if (Math.Abs(rows[r][col]) > bestValue)
                {
                    best = r;
                    bestValue = Math.Abs(rows[r][col]);
                }
            }

            if (best < 0)
            {
                continue;
            }

            (rows[rank], rows[best]) = (rows[best], rows[rank]);
            var pivot = rows[rank];
            var scale = pivot[col];
            for (var k = 0; k < cells.Length; k++)
            {
                pivot[k] /= scale;
            }

            for (var r = 0; r < rows.Count; r++)
            {
                if (r == rank || Math.Abs(rows[r][col]) <= Epsilon)
                {
                    continue;
                }

                var factor = rows[r][col];
                var target = rows[r];
                for (var k = 0; k < cells.Length; k++)
                {
                    target[k] -= factor * pivot[k];
                }
            }

            pivotRowOf[col] = rank;
            rank++;
        }

        var determined = new HashSet<int>();
        for (var col = 0; col < cells.Length; col++)
        {
            if (pivotRowOf[col] < 0)
            {
                continue;
            }

            var row = rows[pivotRowOf[col]];
            var alone = true;
            for (var k = 0; k < cells.Length && alone; k++)
            {
                alone = k == col || pivotRowOf[k] >= 0 || Math.Abs(row[k]) <= Epsilon;
            }

            if (alone)
            {
                determined.Add(cells[col]);
            }
        }

        return determined;
    }
}
