namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>What one release tells the attacker about one cell's count, restated from its status and rules.</summary>
internal enum Knowledge
{
    /// <summary>Published as computed: a constant.</summary>
    Exact,

    /// <summary>Published rounded: an interval around the published value, and not under k unless 0.</summary>
    Rounded,

    /// <summary>Secret as primary: in [1, k−1] ([0, k−1] when zeros are protected; no ceiling with dominance or p%).</summary>
    Primary,

    /// <summary>Secret as secondary: 0 or at least k (at least k when zeros are protected).</summary>
    Secondary,

    /// <summary>Released by no table: only non-negativity and integrality.</summary>
    Unknown,
}

/// <summary>One cell of the attacker's programme: what is known of it and, when published, its published value.</summary>
internal readonly record struct CellKnowledge(Knowledge Knowledge, long Published, Rounding Rounding);

/// <summary>
/// The integer attacker of issue 11, as a mixed-integer programme solved with glpsol, written from the published
/// statuses, values and rules only (not from the library's internals): counts are non-negative integers; every
/// additivity equation holds; a published cell is a constant, a rounded one lies in its rounding interval; a primary
/// lies in [1, k−1] (when the attacker knows that ceiling), a secondary and any published cell is 0
/// or at least k (a binary per cell). For each target cell, its smallest and largest feasible count.
/// </summary>
internal static class IntegerAttacker
{
    /// <summary>The interval of counts a rounded published value stands for.</summary>
    public static (long Lower, long Upper) RoundingInterval(long published, Rounding rounding) => rounding switch
    {
        Rounding.Base5 => (Math.Max(0, published - 2), published + 2),
        Rounding.Midpoint6 => published == 0 ? (0, 0) : (published - 2, published + 3),
        _ => (published, published),
    };

    /// <summary>What the attacker knows of every cell of one protected table (of linked tables, of their union).</summary>
    public static CellKnowledge[] Of(ProtectedTable table) =>
        [.. Enumerable.Range(0, table.Table.CellCount).Select(cell => table.Released is { } released && !released[cell]
            ? new CellKnowledge(Knowledge.Unknown, 0, Rounding.None)
            : table.Statuses[cell] switch
        {
            CellStatus.Published => new CellKnowledge(Knowledge.Exact, table.PublishedCounts[cell], Rounding.None),
            CellStatus.Rounded => new CellKnowledge(Knowledge.Rounded, table.PublishedCounts[cell], table.Rules.Rounding),
            CellStatus.SuppressedPrimary => new CellKnowledge(Knowledge.Primary, 0, Rounding.None),
            _ => new CellKnowledge(Knowledge.Secondary, 0, Rounding.None),
        })];

    /// <summary>Whether a primary's count is known to be under k: no dominance nor p% rule can make a larger cell primary.</summary>
    public static bool PrimaryUnderMinimum(Table table, DisclosureRules rules) =>
        table.Measures.Count == 0 || (rules.Dominance is null && rules.PPercent is null);

    /// <summary>The smallest and largest feasible count of each target, for an attacker who knows <paramref name="cells"/>.</summary>
    /// <param name="equations">The additivity equations over the cells.</param>
    /// <param name="cells">What is known of each cell.</param>
    /// <param name="minCount">The threshold k.</param>
    /// <param name="protectZeros">Whether zeros are protected (no published or secondary zero).</param>
    /// <param name="ceiling">Whether primaries are known to be under k.</param>
    /// <param name="big">A bound above every count.</param>
    /// <param name="targets">The cells to attack.</param>
    public static Dictionary<int, (long Min, long Max)> Ranges(IReadOnlyList<Additivity.Equation> equations, CellKnowledge[] cells, int minCount, bool protectZeros, bool ceiling, long big, IEnumerable<int> targets)
    {
        var ranges = new Dictionary<int, (long, long)>();
        foreach (var target in targets)
        {
            var model = new LpModel();
            var min = AddBlock(model, equations, cells, minCount, protectZeros, ceiling, big, target);
            var max = AddBlock(model, equations, cells, minCount, protectZeros, ceiling, big, target);
            model.AddObjective(min, 1);
            model.AddObjective(max, -1);
            var solution = Glpsol.Solve(model, timeLimitSeconds: 60);
            if (!solution.IsOptimal)
            {
                throw new InvalidOperationException($"The attacker's MILP is {solution.Status}: the true table should be feasible.\n{solution.Log}");
            }

            ranges[target] = ((long)Math.Round(solution.Values[min]), (long)Math.Round(solution.Values[max]));
        }

        return ranges;
    }

    private static int AddBlock(LpModel model, IReadOnlyList<Additivity.Equation> equations, CellKnowledge[] cells, int k, bool protectZeros, bool ceiling, long big, int target)
    {
        var variable = new int[cells.Length];
        for (var cell = 0; cell < cells.Length; cell++)
        {
            var known = cells[cell];
            if (known.Knowledge == Knowledge.Exact)
            {
                variable[cell] = -1;
                continue;
            }

            var (lower, upper) = known.Knowledge switch
            {
                Knowledge.Rounded => RoundingInterval(known.Published, known.Rounding),
                Knowledge.Primary => (protectZeros ? 0L : 1L, ceiling ? k - 1L : big),
                _ => (0L, big),
            };
            if (known.Knowledge is Knowledge.Primary or Knowledge.Unknown)
            {
                variable[cell] = model.AddInteger(lower, upper);
                continue;
            }

            // Not primary: 0 or at least k.
            if (protectZeros || lower > 0)
            {
                variable[cell] = model.AddInteger(Math.Max(lower, k), upper);
            }
            else
            {
                var x = model.AddInteger(0, upper);
                var nonZero = model.AddBinary();
                model.AddConstraint([(x, 1), (nonZero, -k)], ">=", 0);
                model.AddConstraint([(x, 1), (nonZero, -upper)], "<=", 0);
                variable[cell] = x;
            }
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
                if (variable[cell] >= 0)
                {
                    terms.Add((variable[cell], sign));
                }
                else
                {
                    rhs -= sign * cells[cell].Published;
                }
            }
        }

        return variable[target];
    }
}
