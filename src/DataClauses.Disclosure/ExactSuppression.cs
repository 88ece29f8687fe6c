using Google.OrTools.Sat;

namespace DataClauses.Disclosure;

/// <summary>
/// The cheapest pattern of a small table against the full integer attacker (docs/adr/0004, "Exact patterns on small
/// tables"), solved with CP-SAT: a binary per cell that may be suppressed and, for each primary, two integer
/// perturbations of the whole table that keep every additivity equation, move only suppressed cells, stay within
/// what the attacker knows of each cell and move the primary by at least the required width between them. Such a
/// pair exhibits tables the attacker cannot tell from the true one, so the primary's feasible range is at least that
/// wide: the pattern is protected by construction, as a hypercube's is, only with any integer perturbation instead of
/// a hypercube's ±1 moves. Used after the hypercube heuristic, whose pattern is the starting point and the bound to
/// beat: the result is never worse.
/// <para>
/// Deterministic: one worker, a fixed seed and a deterministic time budget (not a wall-clock one), so the same table
/// and rules give the same pattern on every run and machine with this library version — linked clauses rely on it.
/// </para>
/// </summary>
internal static class ExactSuppression
{
    /// <summary>Tables larger than this keep the heuristic's pattern (the model grows with cells × primaries).</summary>
    public const int MaxCells = 400;

    /// <summary>Primaries × cells above which the model is not built (about 25,000 integer variables).</summary>
    public const int MaxWitnessCells = 12_500;

    /// <summary>The solver's budget in its deterministic time units (about seconds of one core).</summary>
    /// <remarks>
    /// Measured on the information-loss sample (docs/BENCHMARKS.md): 0.1, 0.5 and 2 give the same patterns there; 0.1
    /// solves a table of up to a hundred cells in about 0.15 s of one core.
    /// </remarks>
    private const double DeterministicBudget = 0.1;

    /// <summary>Whether the exact model applies: counts only (no sums, whose insiders it does not model), small enough.</summary>
    public static bool Applies(Table table, IReadOnlyList<SensitivityReasons> reasons)
    {
        var primaries = 0;
        for (var cell = 0; cell < reasons.Count; cell++)
        {
            primaries += reasons[cell] != SensitivityReasons.None ? 1 : 0;
        }

        return table.Measures.Count == 0 && table.CellCount <= MaxCells && primaries > 0
            && (long)primaries * table.CellCount <= MaxWitnessCells;
    }

    /// <summary>
    /// Replaces the secondary cells of <paramref name="suppressed"/> with the cheapest protected pattern the solver
    /// finds within its budget, when it is strictly cheaper than the given one (the heuristic's, fully protected).
    /// </summary>
    /// <returns>Whether the pattern changed.</returns>
    public static bool Improve(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IReadOnlyList<bool>? released)
    {
        if (!HasChoice(table, reasons, suppressed, released))
        {
            // No secondary cell: nothing is cheaper than the heuristic's pattern (most tables of the tests, many of real ones).
            return false;
        }

        var weights = Weights(table, rules);
        var model = new Model(table, rules, reasons, released, fixedPattern: null);
        var current = 0L;
        var terms = new List<LinearExpr>();
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (model.Choice[cell] is { } choice)
            {
                terms.Add(choice * weights[cell]);
                model.Cp.AddHint(choice, suppressed[cell]);
                current += suppressed[cell] ? weights[cell] : 0;
            }
        }

        if (terms.Count == 0)
        {
            return false;
        }

        // Strictly cheaper than the starting pattern, or nothing: ties keep the heuristic's pattern.
        var cost = LinearExpr.Sum(terms);
        model.Cp.Add(cost <= current - 1);
        model.Cp.Minimize(cost);
        var solver = Solver();
        var status = solver.Solve(model.Cp);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
        {
            return false;
        }

        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (model.Choice[cell] is { } choice)
            {
                suppressed[cell] = solver.BooleanValue(choice);
            }
        }

        return true;
    }

    /// <summary>Whether the pattern has a secondary cell the model may drop (a suppressed cell neither primary nor unreleased).</summary>
    private static bool HasChoice(Table table, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IReadOnlyList<bool>? released)
    {
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (suppressed[cell] && reasons[cell] == SensitivityReasons.None && (released is null || released[cell]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a primary of a small table is protected by <paramref name="suppressed"/> against the full attacker: a
    /// pair of integer perturbations as above exists (within the model's bound on each cell's move, so a cell
    /// protected only by larger moves is reported unprotected — a self-check errs on the safe side).
    /// </summary>
    public static bool Protects(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IReadOnlyList<bool>? released, int primary)
    {
        var model = new Model(table, rules, reasons, released, suppressed, only: primary);
        var status = Solver().Solve(model.Cp);
        return status is CpSolverStatus.Optimal or CpSolverStatus.Feasible;
    }

    private static CpSolver Solver() => new()
    {
        StringParameters = string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"num_workers:1 random_seed:11 max_deterministic_time:{DeterministicBudget} log_search_progress:false"),
    };

    /// <summary>
    /// The cost of suppressing a cell, as the heuristic weighs it: the median non-empty leaf count plus its own count
    /// (few cells and small ones), a public cell (e.g. the grand total) far above any other pattern.
    /// </summary>
    private static long[] Weights(Table table, DisclosureRules rules)
    {
        var weights = new long[table.CellCount];
        var baseWeight = (long)Math.Round(SecondarySuppression.CellWeightOf(table));
        var total = 0L;
        for (var cell = 0; cell < weights.Length; cell++)
        {
            weights[cell] = baseWeight + table.Counts[cell];
            total += weights[cell];
        }

        foreach (var cell in rules.PublicCells.Where(c => c >= 0 && c < weights.Length))
        {
            weights[cell] += total;
        }

        return weights;
    }

    /// <summary>The CP-SAT model: choices (or a fixed pattern) and one pair of witnesses per primary.</summary>
    private sealed class Model
    {
        public Model(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, IReadOnlyList<bool>? released, bool[]? fixedPattern, int only = -1)
        {
            var (up, down) = AttackerBounds.Rooms(table, rules, reasons, Guarantee.Full, released);
            var primaries = Enumerable.Range(0, table.CellCount).Where(c => reasons[c] != SensitivityReasons.None && (only < 0 || c == only)).ToList();

            // No witness moves a cell further than this: enough for any width asked, bounded so the model stays small.
            var cap = 2 * primaries.Select(p => AttackerBounds.RequiredWidth(table, rules, table.Counts[p])).DefaultIfEmpty(1).Max() + rules.MinCount;
            Choice = new BoolVar?[table.CellCount];
            var movable = new bool[table.CellCount];
            for (var cell = 0; cell < table.CellCount; cell++)
            {
                var forced = reasons[cell] != SensitivityReasons.None || (released is not null && !released[cell]);
                var useful = up[cell] > 0 || down[cell] > 0;
                if (fixedPattern is not null)
                {
                    movable[cell] = fixedPattern[cell] && useful;
                }
                else if (forced)
                {
                    movable[cell] = useful;
                }
                else if (useful)
                {
                    // A cell with no room (a zero secondary) protects nothing: it is never chosen.
                    Choice[cell] = Cp.NewBoolVar($"s{cell}");
                    movable[cell] = true;
                }
            }

            var equations = TableEquations.Of(table).ToList();
            foreach (var primary in primaries)
            {
                var width = AttackerBounds.RequiredWidth(table, rules, table.Counts[primary]);
                var high = Witness(table, equations, movable, up, down, cap);
                var low = Witness(table, equations, movable, up, down, cap);
                if (high[primary] is not { } h || low[primary] is not { } l)
                {
                    // The primary itself cannot move: no pattern protects it.
                    Cp.Add(Cp.NewConstant(0) == 1);
                    return;
                }

                // The true table is one the attacker cannot exclude: the witnesses may as well lie on either side of it.
                Cp.Add(h >= 0);
                Cp.Add(l <= 0);
                Cp.Add(h - l >= width);
            }

            // A primary moves in some witness, so each of its equations needs another cell able to move (a valid cut
            // that the solver's relaxation lacks: it prunes most patterns with a lone suppression on a line).
            var isPrimary = new HashSet<int>(primaries);
            foreach (var (parent, children) in equations)
            {
                foreach (var primary in children.Append(parent).Where(isPrimary.Contains))
                {
                    var others = children.Append(parent).Where(c => c != primary).ToList();
                    if (others.Any(c => movable[c] && Choice[c] is null))
                    {
                        continue;
                    }

                    var choices = others.Where(c => Choice[c] is not null).Select(c => (ILiteral)Choice[c]!).ToList();
                    Cp.AddBoolOr(choices);
                }
            }
        }

        /// <summary>The solver's model.</summary>
        public CpModel Cp { get; } = new();

        /// <summary>Per cell, the binary "suppressed" when the solver chooses it (null: fixed).</summary>
        public BoolVar?[] Choice { get; }

        /// <summary>One perturbation: a variable per movable cell (null: the cell does not move), every equation kept.</summary>
        private IntVar?[] Witness(Table table, List<(int Parent, int[] Children)> equations, bool[] movable, long[] up, long[] down, long cap)
        {
            var moves = new IntVar?[table.CellCount];
            for (var cell = 0; cell < moves.Length; cell++)
            {
                if (movable[cell])
                {
                    var move = Cp.NewIntVar(-Math.Min(down[cell], cap), Math.Min(up[cell], cap), string.Empty);
                    if (Choice[cell] is { } choice)
                    {
                        Cp.Add(move == 0).OnlyEnforceIf(choice.Not());
                    }

                    moves[cell] = move;
                }
            }

            foreach (var (parent, children) in equations)
            {
                var sum = children.Where(c => moves[c] is not null).Select(c => (LinearExpr)moves[c]!).ToList();
                if (moves[parent] is { } p)
                {
                    Cp.Add(LinearExpr.Sum(sum) == p);
                }
                else if (sum.Count > 0)
                {
                    Cp.Add(LinearExpr.Sum(sum) == 0);
                }
            }

            return moves;
        }
    }
}
