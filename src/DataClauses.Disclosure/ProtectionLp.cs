namespace DataClauses.Disclosure;

/// <summary>
/// An exact protection check, without hypercubes: does the attacker's feasible set let a cell move? With the
/// suppressed cells as unknowns, the table is x + d for any d with A·d = 0 (every additivity equation, published cells
/// fixed), d_c ≥ 0 for the cells that cannot decrease (<see cref="AttackerBounds"/>), and small enough steps. The cell
/// is protected (its interval is wider than a point) exactly when such a d moves it. The directions are parametrised
/// by a basis of the null space of A (Gaussian elimination), then a simplex (Bland's rule, so no cycling) maximises
/// d_p and −d_p under the sign constraints. Dense: meant for tables with at most a few hundred suppressed cells.
/// </summary>
internal sealed class ProtectionLp
{
    private const double Epsilon = 1e-9;
    private readonly int _variables;
    private readonly double[][] _nullSpace; // per variable, its coefficients on the null-space basis

    private ProtectionLp(int variables, double[][] nullSpace)
    {
        _variables = variables;
        _nullSpace = nullSpace;
    }

    /// <summary>The dimension of the space of directions.</summary>
    public int Freedom => _variables == 0 ? 0 : _nullSpace[0].Length;

    /// <summary>Prepares the directions allowed by <paramref name="equations"/> over <paramref name="variables"/> unknowns.</summary>
    /// <param name="variables">Number of unknowns (0..n−1).</param>
    /// <param name="equations">Each equation as (unknown, coefficient) terms, = 0.</param>
    public static ProtectionLp Create(int variables, IReadOnlyList<(int Variable, double Coefficient)[]> equations)
    {
        var rows = new List<double[]>();
        foreach (var equation in equations)
        {
            if (equation.Length == 0)
            {
                continue;
            }

            var row = new double[variables];
            foreach (var (variable, coefficient) in equation)
            {
                row[variable] += coefficient;
            }

            rows.Add(row);
        }

        // Reduced row echelon form; the free columns span the null space.
        var pivotOfColumn = new int[variables];
        Array.Fill(pivotOfColumn, -1);
        var rank = 0;
        for (var column = 0; column < variables && rank < rows.Count; column++)
        {
            var best = -1;
            var bestValue = Epsilon;
            for (var r = rank; r < rows.Count; r++)
            {
                if (Math.Abs(rows[r][column]) > bestValue)
                {
                    best = r;
                    bestValue = Math.Abs(rows[r][column]);
                }
            }

            if (best < 0)
            {
                continue;
            }

            (rows[rank], rows[best]) = (rows[best], rows[rank]);
            var pivot = rows[rank];
            var scale = pivot[column];
            for (var k = column; k < variables; k++)
            {
                pivot[k] /= scale;
            }

            for (var r = 0; r < rows.Count; r++)
            {
                var factor = rows[r][column];
                if (r == rank || Math.Abs(factor) <= Epsilon)
                {
                    continue;
                }

                var target = rows[r];
                for (var k = column; k < variables; k++)
                {
                    target[k] -= factor * pivot[k];
                }
            }

            pivotOfColumn[column] = rank++;
        }

        var free = Enumerable.Range(0, variables).Where(c => pivotOfColumn[c] < 0).ToArray();
        var nullSpace = new double[variables][];
        for (var v = 0; v < variables; v++)
        {
            var coefficients = new double[free.Length];
            if (pivotOfColumn[v] < 0)
            {
                coefficients[Array.IndexOf(free, v)] = 1;
            }
            else
            {
                var row = rows[pivotOfColumn[v]];
                for (var f = 0; f < free.Length; f++)
                {
                    coefficients[f] = Math.Abs(row[free[f]]) <= Epsilon ? 0 : -row[free[f]];
                }
            }

            nullSpace[v] = coefficients;
        }

        return new ProtectionLp(variables, nullSpace);
    }

    /// <summary>The same directions with one more unknown held at 0 (a cell published, or known to an insider).</summary>
    public ProtectionLp Without(int variable)
    {
        var row = _nullSpace[variable];
        var k = row.Length;
        var pivot = -1;
        for (var j = 0; j < k; j++)
        {
            if (Math.Abs(row[j]) > Epsilon && (pivot < 0 || Math.Abs(row[j]) > Math.Abs(row[pivot])))
            {
                pivot = j;
            }
        }

        if (pivot < 0)
        {
            return this; // already fixed by the others
        }

        // t_pivot = −Σ_{j≠pivot} row_j t_j / row_pivot: substitute and drop that coordinate.
        var next = new double[_variables][];
        var r = row[pivot];
        for (var v = 0; v < _variables; v++)
        {
            var source = _nullSpace[v];
            var target = new double[k - 1];
            var factor = source[pivot] / r;
            for (int j = 0, t = 0; j < k; j++)
            {
                if (j == pivot)
                {
                    continue;
                }

                var value = source[j] - (factor * row[j]);
                target[t++] = Math.Abs(value) <= Epsilon ? 0 : value;
            }

            next[v] = target;
        }

        return new ProtectionLp(_variables, next);
    }

    /// <summary>
    /// A direction that moves <paramref name="target"/>, the unknowns flagged in <paramref name="cannotDecrease"/> not
    /// decreasing (its value per unknown), or null when there is none: the target is then pinned.
    /// </summary>
    public double[]? Direction(int target, IReadOnlyList<bool> cannotDecrease)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, _variables);
        var row = _nullSpace[target];
        if (row.All(v => Math.Abs(v) <= Epsilon))
        {
            return null; // determined by the equations alone
        }

        var bounded = Enumerable.Range(0, _variables).Where(v => cannotDecrease[v]).ToList();
        var t = Maximise(row, 1, bounded) ?? Maximise(row, -1, bounded);
        if (t is null)
        {
            return null;
        }

        var direction = new double[_variables];
        for (var v = 0; v < _variables; v++)
        {
            var sum = 0.0;
            var coefficients = _nullSpace[v];
            for (var j = 0; j < t.Length; j++)
            {
                sum += coefficients[j] * t[j];
            }

            direction[v] = Math.Abs(sum) <= 1e-7 ? 0 : sum;
        }

        return direction;
    }

    /// <summary>
    /// max sign·(N·t)_target subject to sign·(N·t)_target ≤ 1 and (N·t)_v ≥ 0 for the bounded unknowns, t free. The
    /// origin is feasible; the optimum is 1 when a direction exists, else 0. Returns an optimal t when it is 1.
    /// </summary>
    private double[]? Maximise(double[] targetRow, int sign, List<int> bounded)
    {
        var k = targetRow.Length;
        var m = bounded.Count + 1;
        var n = k + m; // free variables, then one slack per row
        var tableau = new double[m][];
        var rhs = new double[m];
        var basis = new int[m];
        for (var i = 0; i < m; i++)
        {
            var row = new double[n];
            var source = i < bounded.Count ? _nullSpace[bounded[i]] : targetRow;
            var factor = i < bounded.Count ? -1 : sign; // −(N t)_v ≤ 0, sign·(N t)_target ≤ 1
            for (var j = 0; j < k; j++)
            {
                row[j] = factor * source[j];
            }

            row[k + i] = 1;
            tableau[i] = row;
            rhs[i] = i < bounded.Count ? 0 : 1;
            basis[i] = k + i;
        }

        var profit = new double[n];
        for (var j = 0; j < k; j++)
        {
            profit[j] = sign * targetRow[j];
        }

        var isBasic = new bool[n];
        for (var i = 0; i < m; i++)
        {
            isBasic[basis[i]] = true;
        }

        var value = 0.0;
        var flipped = new bool[k];
        for (var iteration = 0; iteration < 50 * (n + m); iteration++)
        {
            // Bland's rule: the lowest-index improving variable enters; a free one may enter decreasing (flip it).
            var entering = -1;
            for (var j = 0; j < n && entering < 0; j++)
            {
                if (!isBasic[j] && (profit[j] > Epsilon || (j < k && profit[j] < -Epsilon)))
                {
                    entering = j;
                }
            }

            if (entering < 0)
            {
                break;
            }

            if (profit[entering] < 0)
            {
                flipped[entering] = !flipped[entering];
                profit[entering] = -profit[entering];
                for (var i = 0; i < m; i++)
                {
                    tableau[i][entering] = -tableau[i][entering];
                }
            }

            // Ratio test over the rows whose basic variable is bounded (a slack); ties: the lowest basic index.
            var leaving = -1;
            var bestRatio = double.MaxValue;
            for (var i = 0; i < m; i++)
            {
                var a = tableau[i][entering];
                if (basis[i] < k || a <= Epsilon)
                {
                    continue;
                }

                var ratio = rhs[i] / a;
                if (ratio < bestRatio - Epsilon || (ratio <= bestRatio + Epsilon && leaving >= 0 && basis[i] < basis[leaving]))
                {
                    bestRatio = ratio;
                    leaving = i;
                }
            }

            if (leaving < 0)
            {
                break; // cannot happen: the target's row bounds the objective
            }

            var pivotRow = tableau[leaving];
            var pivot = pivotRow[entering];
            for (var j = 0; j < n; j++)
            {
                pivotRow[j] /= pivot;
            }

            rhs[leaving] /= pivot;
            for (var i = 0; i < m; i++)
            {
                var factor = tableau[i][entering];
                if (i == leaving || Math.Abs(factor) <= Epsilon)
                {
                    continue;
                }

                var target = tableau[i];
                for (var j = 0; j < n; j++)
                {
                    target[j] -= factor * pivotRow[j];
                }

                rhs[i] -= factor * rhs[leaving];
            }

            var gain = profit[entering];
            value += gain * rhs[leaving];
            for (var j = 0; j < n; j++)
            {
                profit[j] -= gain * pivotRow[j];
            }

            isBasic[basis[leaving]] = false;
            basis[leaving] = entering;
            isBasic[entering] = true;
        }

        if (value < 0.5)
        {
            return null;
        }

        var t = new double[k];
        for (var i = 0; i < m; i++)
        {
            if (basis[i] < k)
            {
                t[basis[i]] = flipped[basis[i]] ? -rhs[i] : rhs[i];
            }
        }

        return t;
    }
}
