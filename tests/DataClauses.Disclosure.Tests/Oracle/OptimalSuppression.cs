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
/// The optimal secondary suppression of a small table for the protection model of issue 11, as a mixed-integer
/// programme solved by glpsol, in the style of Fischetti and Salazar-González with a sliding protection level. A
/// binary z_c says that non-primary cell c is suppressed. For each primary p, two perturbations f^p↑ and f^p↓ of the
/// whole table keep every additivity equation (A·f = 0) and stay within what the attacker knows of each cell around
/// its true value x_c: a primary in [1, k−1], a non-primary suppressed cell 0 or at least k — so in [k, ∞) around a
/// count of at least k, and never moving at all when it is 0 — and a published cell not moving
/// (−(x_c − lower_c)·z_c ≤ f_c ≤ (upper_c − x_c)·z_c). f^p↑ raises p by u_p, f^p↓ lowers it by l_p, and
/// u_p + l_p ≥ the required width (the protection level, capped by [1, k−1]). The perturbations are continuous: the
/// programme's optimum is a lower bound of the optimum against the integer attacker (a relaxation), which the
/// library's integer hypercubes satisfy. Counts only. Minimises Σ w_c·z_c; null when even the full suppression of the
/// table cannot give every primary its width (the statuses pin a primary).
/// </summary>
internal static class OptimalSuppression
{
    /// <summary>The optimal set of secondary cells, or null when glpsol did not prove optimality in time or no pattern exists.</summary>
    public static HashSet<int>? Optimum(Table table, DisclosureRules rules, LossWeight weight, int timeLimitSeconds = 30)
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

        var big = (double)table.Counts[0];
        var ceiling = IntegerAttacker.PrimaryUnderMinimum(table, rules);
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
            var required = Math.Max(1, Math.Min(
                Math.Max(rules.ProtectionLevel, Math.Ceiling(rules.ProtectionPercent * table.Counts[p] / 100)),
                ceiling ? rules.MinCount - 1 - (rules.ProtectZeros ? 0 : 1) : double.MaxValue));
            var moves = new int[2];
            for (var direction = 0; direction < 2; direction++)
            {
                var f = new int[table.CellCount];
                for (var c = 0; c < table.CellCount; c++)
                {
                    var (down, up) = Room(table, rules, isPrimary, ceiling, c, big);
                    f[c] = model.AddVariable(-down, up);
                    if (!isPrimary[c])
                    {
                        model.AddConstraint([(f[c], 1), (z[c], -up)], "<=", 0);
                        model.AddConstraint([(f[c], 1), (z[c], down)], ">=", 0);
                    }
                }

                foreach (var equation in equations)
                {
                    model.AddConstraint([(f[equation.Parent], 1), .. equation.Children.Select(child => (f[child], -1.0))], "=", 0);
                }

                moves[direction] = f[p];
            }

            // f↑_p − f↓_p ≥ required, f↑_p ≥ 0 ≥ f↓_p: the range between the two tables.
            model.AddConstraint([(moves[0], 1), (moves[1], -1)], ">=", required);
            model.AddConstraint([(moves[0], 1)], ">=", 0);
            model.AddConstraint([(moves[1], 1)], "<=", 0);
        }

        // Cuts (Gomory, MIR, cover, clique) close the big-M relaxation's gap much faster on these programmes.
        var solution = Glpsol.Solve(model, timeLimitSeconds, "--cuts");
        if (solution.Status == "infeasible" && rules.PublicCells.Count > 0)
        {
            // Protection wins over a public cell (as in the library).
            return Optimum(table, rules with { PublicCells = new HashSet<int>() }, weight, timeLimitSeconds);
        }

        return solution.IsOptimal ? [.. Enumerable.Range(0, table.CellCount).Where(c => z[c] >= 0 && solution.Values[z[c]] > 0.5)] : null;
    }

    /// <summary>The information loss of a set of secondary cells.</summary>
    public static double Loss(Table table, IEnumerable<int> secondaries, LossWeight weight) =>
        secondaries.Sum(c => weight == LossWeight.Cells ? 1.0 : table.Counts[c]);

    /// <summary>How far a cell may move down and up around its true count within what the attacker knows (capped at <paramref name="big"/>).</summary>
    private static (double Down, double Up) Room(Table table, DisclosureRules rules, bool[] isPrimary, bool ceiling, int cell, double big)
    {
        var x = table.Counts[cell];
        if (isPrimary[cell])
        {
            var lower = rules.ProtectZeros ? 0 : 1;
            return (x - lower, ceiling ? rules.MinCount - 1 - x : big);
        }

        return x == 0 ? (0, 0) : (x - rules.MinCount, big);
    }
}
