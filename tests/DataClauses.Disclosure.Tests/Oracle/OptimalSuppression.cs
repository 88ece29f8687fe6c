namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>What an optimal secondary suppression costs.</summary>
internal enum LossWeight
{
    /// <summary>Every suppressed cell costs 1: the fewest cells.</summary>
    Cells,

    /// <summary>A suppressed cell costs its count: the least value.</summary>
    Value,
}

/// <summary>
/// The optimal secondary suppression of a small table, as a mixed-integer programme solved by glpsol, in the style of
/// Fischetti and Salazar-González (restricted to a strictly positive protection width, which is exactly the
/// library's criterion). A binary z_c says that non-primary cell c is suppressed. For each primary p, a perturbation
/// f^p of the whole table keeps every additivity equation (A·f^p = 0), moves p by f^p_p = 1 − 2·s_p (up or down,
/// s_p binary), moves a non-primary cell only if it is suppressed (|f^p_c| ≤ M·z_c), cannot take a cell below what
/// the attacker knows of it (a zero, a zero sum, a primary at 1 when zeros are published: f ≥ 0). Insiders are not
/// modelled: the comparison runs on tables of counts. Then x + ε·f^p is a table the attacker cannot tell from x, so p's interval has a positive width; conversely
/// any positive width yields such a direction. Minimises Σ w_c·z_c.
/// </summary>
internal static class OptimalSuppression
{
    /// <summary>
    /// Bound on a perturbation's entries (f^p_p = ±1). 1 loses nothing on flat two-dimensional tables (totally
    /// unimodular); elsewhere it may overestimate the optimum slightly (docs/BENCHMARKS.md); callers may raise it.
    /// </summary>
    public const double DefaultBigM = 1;

    /// <summary>The optimal set of secondary cells, or null when glpsol did not prove optimality in time.</summary>
    public static HashSet<int>? Optimum(Table table, DisclosureRules rules, LossWeight weight, double bigM = DefaultBigM, int timeLimitSeconds = 300)
    {
        var reasons = PrimarySuppression.Find(table, rules);
        var primaries = Enumerable.Range(0, table.CellCount).Where(c => reasons[c] != SensitivityReasons.None).ToArray();
        if (primaries.Length == 0)
        {
            return [];
        }

        var isPrimary = new bool[table.CellCount];
        foreach (var p in primaries)
        {
            isPrimary[p] = true;
        }

        var equations = Additivity.Equations(table);
        var model = new LpModel();
        var z = new int[table.CellCount];
        for (var c = 0; c < table.CellCount; c++)
        {
            z[c] = -1;
            if (!isPrimary[c])
            {
                z[c] = model.AddBinary();
                model.AddObjective(z[c], weight == LossWeight.Cells ? 1 : table.Counts[c]);
                if (rules.PublicCells.Contains(c))
                {
                    model.AddConstraint([(z[c], 1)], "=", 0);
                }
            }
        }

        foreach (var p in primaries)
        {
            var f = new int[table.CellCount];
            for (var c = 0; c < table.CellCount; c++)
            {
                var (canDecrease, canIncrease) = Freedom(table, rules, isPrimary, c);
                var lower = canDecrease ? -bigM : 0;
                var upper = canIncrease ? bigM : 0;
                f[c] = model.AddVariable(lower, upper);
                if (!isPrimary[c])
                {
                    model.AddConstraint([(f[c], 1), (z[c], -bigM)], "<=", 0);
                    model.AddConstraint([(f[c], 1), (z[c], bigM)], ">=", 0);
                }
            }

            var s = model.AddBinary();
            model.AddConstraint([(f[p], 1), (s, 2)], "=", 1);
            foreach (var equation in equations)
            {
                model.AddConstraint([(f[equation.Parent], 1), .. equation.Children.Select(child => (f[child], -1.0))], "=", 0);
            }
        }

        var solution = Glpsol.Solve(model, timeLimitSeconds);
        if (solution.Status == "infeasible" && rules.PublicCells.Count > 0)
        {
            // Protection wins over a public cell (as in the library).
            return Optimum(table, rules with { PublicCells = new HashSet<int>() }, weight, bigM, timeLimitSeconds);
        }

        if (!solution.IsOptimal)
        {
            return solution.Status == "time-limit" ? null
                : throw new InvalidOperationException($"The optimal suppression programme is {solution.Status}.\n{solution.Log}");
        }

        return [.. Enumerable.Range(0, table.CellCount).Where(c => z[c] >= 0 && solution.Values[z[c]] > 0.5)];
    }

    /// <summary>The information loss of a set of secondary cells.</summary>
    public static double Loss(Table table, IEnumerable<int> secondaries, LossWeight weight) =>
        secondaries.Sum(c => weight == LossWeight.Cells ? 1.0 : table.Counts[c]);

    /// <summary>Whether a cell can move down / up from its true value as far as the attacker knows.</summary>
    private static (bool CanDecrease, bool CanIncrease) Freedom(Table table, DisclosureRules rules, bool[] isPrimary, int cell)
    {
        var lower = AttackerKnowledge.CountLowerBound(table, rules, isPrimary[cell]);
        var sumsPositive = Enumerable.Range(0, table.Measures.Count).All(m => table.Sums[m][cell] > 0);
        return (table.Counts[cell] > lower && sumsPositive, true);
    }
}
