namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>The interval an attacker can compute for a primary cell's count or sum.</summary>
/// <param name="Cell">The primary cell.</param>
/// <param name="Measure">-1 for the count, else the index of the sum measure.</param>
/// <param name="Min">Its smallest feasible value.</param>
/// <param name="Max">Its largest feasible value (capped at a large bound when unbounded).</param>
/// <param name="Insider">The cell whose sole contributor attacks (its sums known), or -1 for an outsider.</param>
internal sealed record AttackInterval(int Cell, int Measure, double Min, double Max, int Insider = -1)
{
    public double Width => Max - Min;
}

/// <summary>
/// The attacker's linear programmes, solved with glpsol: the unknowns are the suppressed cells' values; the
/// constraints are every additivity equation of the table (published cells as constants) and what the attacker
/// knows (<see cref="AttackerKnowledge"/>). For each primary cell and each of the count and the sums, min and max of
/// that cell; for the sums, also as seen by the insiders nearest the cell (up to <c>insidersPerPrimary</c>). The programmes are independent blocks; several are solved as one LP (the sum of their objectives is
/// minimised, which minimises each), so that a small table costs one glpsol run.
/// </summary>
internal static class AttackerOracle
{
    /// <summary>Columns per glpsol run: bigger LPs are split (the simplex does not exploit the block structure).</summary>
    private const int MaxColumns = 8_000;

    public static IReadOnlyList<AttackInterval> Intervals(ProtectedTable table, int insidersPerPrimary = 2)
    {
        var raw = table.Table;
        var suppressed = Enumerable.Range(0, raw.CellCount).Where(c => AttackerKnowledge.IsSuppressed(table, c)).ToArray();
        var primaries = suppressed.Where(c => AttackerKnowledge.IsPrimary(table, c)).ToArray();
        if (primaries.Length == 0)
        {
            return [];
        }

        var column = new Dictionary<int, int>();
        for (var i = 0; i < suppressed.Length; i++)
        {
            column[suppressed[i]] = i;
        }

        var equations = Additivity.Equations(raw);
        var values = new double[raw.Measures.Count + 1][];
        for (var measure = -1; measure < raw.Measures.Count; measure++)
        {
            values[measure + 1] = measure < 0 ? [.. raw.Counts.Select(c => (double)c)] : raw.Sums[measure];

            // Published equations must hold: a sanity check of the table and of the equations.
            foreach (var equation in equations.Where(e => !column.ContainsKey(e.Parent) && e.Children.All(c => !column.ContainsKey(c))))
            {
                var v = values[measure + 1];
                var difference = v[equation.Parent] - equation.Children.Sum(c => v[c]);
                if (Math.Abs(difference) > 1e-6 * Math.Max(1, Math.Abs(v[equation.Parent])))
                {
                    throw new InvalidOperationException($"The table is not additive at cell {equation.Parent}.");
                }
            }
        }

        var blocks = (from measure in Enumerable.Range(-1, raw.Measures.Count + 1)
                      from primary in primaries
                      from insider in measure < 0 ? [-1] : AttackerKnowledge.NearestInsiders(table, primary).Take(insidersPerPrimary).Prepend(-1)
                      select (Primary: primary, Measure: measure, Insider: insider)).ToList();
        var perRun = Math.Max(1, MaxColumns / (2 * suppressed.Length));
        var intervals = new List<AttackInterval>();
        for (var start = 0; start < blocks.Count; start += perRun)
        {
            var model = new LpModel();
            var targets = new List<(int Primary, int Measure, int Insider, int Min, int Max)>();
            foreach (var (primary, measure, insider) in blocks.Skip(start).Take(perRun))
            {
                var min = AddBlock(model, table, suppressed, column, equations, values[measure + 1], primary, measure, insider);
                var max = AddBlock(model, table, suppressed, column, equations, values[measure + 1], primary, measure, insider);
                model.AddObjective(min, 1);
                model.AddObjective(max, -1);
                targets.Add((primary, measure, insider, min, max));
            }

            var solution = Glpsol.Solve(model);
            if (!solution.IsOptimal)
            {
                throw new InvalidOperationException($"The attacker's LP is {solution.Status}: the true table should be feasible.\n{solution.Log}");
            }

            intervals.AddRange(targets.Select(t => new AttackInterval(t.Primary, t.Measure, solution.Values[t.Min], solution.Values[t.Max], t.Insider)));
        }

        return intervals;
    }

    /// <summary>Adds one copy of the attacker's unknowns and constraints; returns the variable of the primary.</summary>
    private static int AddBlock(LpModel model, ProtectedTable table, int[] suppressed, Dictionary<int, int> column,
        List<Additivity.Equation> equations, double[] values, int primary, int measure, int insider)
    {
        var big = (2 * Math.Abs(values[0])) + 10; // the grand total is cell 0
        var first = model.VariableCount;
        foreach (var cell in suppressed)
        {
            var lower = measure < 0 ? AttackerKnowledge.CountLowerBound(table.Table, table.Rules, AttackerKnowledge.IsPrimary(table, cell)) : 0;
            var upper = big;
            if (cell == insider)
            {
                // The sole contributor of this cell knows its sums.
                lower = upper = values[cell];
            }

            model.AddVariable(lower, upper);
        }

        foreach (var equation in equations)
        {
            var terms = new List<(int, double)>();
            var rhs = 0.0;
            Accumulate(equation.Parent, 1);
            foreach (var child in equation.Children)
            {
                Accumulate(child, -1);
            }

            if (terms.Count > 0)
            {
                model.AddConstraint(terms, "=", rhs);
            }

            void Accumulate(int cell, double sign)
            {
                if (column.TryGetValue(cell, out var c))
                {
                    terms.Add((first + c, sign));
                }
                else
                {
                    rhs -= sign * values[cell];
                }
            }
        }

        return first + column[primary];
    }
}
