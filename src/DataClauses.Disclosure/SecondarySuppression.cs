namespace DataClauses.Disclosure;

/// <summary>
/// Secondary suppression by hypercubes generalised to hierarchies (see docs/adr/0004). For each sensitive cell it
/// chooses, in every dimension, a "move" — the cell's code paired with a sibling (+1/−1), or with its ancestors
/// (+1 up to the total) — extended downwards to a leaf so that every additivity constraint of that dimension holds.
/// The product of the moves is a perturbation of the whole table that keeps every marginal unchanged; once all its
/// cells are suppressed, the sensitive cell can move by ±ε without contradicting any published value. Choosing the
/// sign so that only positive cells decrease keeps non-negativity: the attacker's interval is strictly wider than a
/// point. Among the candidate hypercubes the cheapest (fewest and smallest new suppressions) wins.
/// </summary>
internal sealed class SecondarySuppression
{
    private const int MaxCombinations = 256;
    private readonly Table _table;
    private readonly DisclosureRules _rules;
    private readonly bool[] _suppressed;
    private readonly bool _insiders;
    private readonly int _dims;

    private SecondarySuppression(Table table, DisclosureRules rules, bool[] suppressed)
    {
        _table = table;
        _rules = rules;
        _suppressed = suppressed;
        _dims = table.Dimensions.Count;

        // With sums, the sole contributor of a cell knows its value: such cells cannot hide another cell.
        _insiders = table.Measures.Count > 0;
    }

    /// <summary>Adds secondary suppressions to <paramref name="suppressed"/> (true for primaries on entry); returns false if a cell could not be protected.</summary>
    public static bool Apply(Table table, DisclosureRules rules, bool[] suppressed, IReadOnlyList<int> primaries)
    {
        var engine = new SecondarySuppression(table, rules, suppressed);

        // Marginal primaries first: their hypercubes go through high-level cells that leaf primaries can then reuse.
        var order = primaries
            .OrderByDescending(engine.NonLeafCodes)
            .ThenByDescending(p => table.Counts[p])
            .ThenBy(p => p)
            .ToList();
        var allProtected = true;
        foreach (var primary in order)
        {
            allProtected &= engine.Protect(primary);
        }

        return allProtected;
    }

    /// <summary>Whether a sensitive cell already has a protecting hypercube made only of suppressed cells.</summary>
    public static bool IsProtected(Table table, DisclosureRules rules, bool[] suppressed, int primary)
    {
        var engine = new SecondarySuppression(table, rules, suppressed);
        var best = engine.Search(primary, allCandidates: true, allowPublic: true, insiders: engine._insiders, maxCost: 0);
        return best is not null && best.Value.Cost == 0;
    }

    private int NonLeafCodes(int cell)
    {
        var n = 0;
        for (var d = 0; d < _dims; d++)
        {
            if (!_table.Dimensions[d].Hierarchy.IsLeaf(_table.CodeOf(cell, d)))
            {
                n++;
            }
        }

        return n;
    }

    private bool Protect(int primary)
    {
        // Widen the search step by step; protection always wins over publication of public cells or over the insider rule.
        var best = Search(primary, allCandidates: false, allowPublic: false, insiders: _insiders, double.MaxValue)
            ?? Search(primary, allCandidates: true, allowPublic: false, insiders: _insiders, double.MaxValue)
            ?? Search(primary, allCandidates: true, allowPublic: true, insiders: _insiders, double.MaxValue)
            ?? Search(primary, allCandidates: true, allowPublic: true, insiders: false, double.MaxValue);
        if (best is null)
        {
            return false;
        }

        foreach (var cell in best.Value.Cells)
        {
            _suppressed[cell] = true;
        }

        return true;
    }

    private readonly record struct Candidate(double Cost, int[] Cells);

    /// <summary>One dimension's move: codes and their signs (+1/−1), the first being the cell's own code.</summary>
    private sealed record Move(int[] Codes, int[] Signs, double Proxy);

    private Candidate? Search(int primary, bool allCandidates, bool allowPublic, bool insiders, double maxCost)
    {
        var codes = new int[_dims];
        for (var d = 0; d < _dims; d++)
        {
            codes[d] = _table.CodeOf(primary, d);
        }

        var perDimension = Math.Max(2, (int)Math.Floor(Math.Pow(MaxCombinations, 1.0 / _dims)));
        var moves = new Move[_dims][];
        for (var d = 0; d < _dims; d++)
        {
            var all = MovesFor(primary, d, codes[d]);
            moves[d] = allCandidates || all.Count <= perDimension ? [.. all] : [.. all.Take(perDimension)];
            if (moves[d].Length == 0)
            {
                return null;
            }
        }

        Candidate? best = null;
        var choice = new int[_dims];
        var corners = new List<int>(16);
        var cornerSigns = new List<int>(16);
        var combinations = 0;
        while (true)
        {
            if (++combinations > 20_000 && best is not null)
            {
                break;
            }

            if (Evaluate(primary, moves, choice, corners, cornerSigns, allowPublic, insiders) is { } cost
                && cost <= maxCost
                && (best is null || cost < best.Value.Cost))
            {
                best = new Candidate(cost, [.. corners]);
                if (cost == 0)
                {
                    break;
                }
            }

            // Next combination (odometer over the dimensions).
            var d = _dims - 1;
            while (d >= 0 && ++choice[d] == moves[d].Length)
            {
                choice[d] = 0;
                d--;
            }

            if (d < 0)
            {
                break;
            }
        }

        return best;
    }

    /// <summary>The cost of the hypercube (new suppressions' weight), or null when it is not a valid protection.</summary>
    private double? Evaluate(int primary, Move[][] moves, int[] choice, List<int> corners, List<int> signs, bool allowPublic, bool insiders)
    {
        corners.Clear();
        signs.Clear();
        corners.Add(0);
        signs.Add(1);
        for (var d = 0; d < _dims; d++)
        {
            var move = moves[d][choice[d]];
            var stride = _table.Strides[d];
            var existing = corners.Count;
            for (var i = 0; i < existing; i++)
            {
                var baseCell = corners[i];
                var baseSign = signs[i];
                corners[i] = baseCell + (move.Codes[0] * stride);
                signs[i] = baseSign * move.Signs[0];
                for (var k = 1; k < move.Codes.Length; k++)
                {
                    corners.Add(baseCell + (move.Codes[k] * stride));
                    signs.Add(baseSign * move.Signs[k]);
                }
            }
        }

        var cost = 0.0;
        var upFeasible = true;   // the primary goes up: cells with sign −1 go down and must be positive
        var downFeasible = true; // the primary goes down: cells with sign +1 go down and must be positive
        for (var i = 0; i < corners.Count; i++)
        {
            var cell = corners[i];
            var count = _table.Counts[cell];
            if (count == 0)
            {
                if (signs[i] < 0)
                {
                    upFeasible = false;
                }
                else
                {
                    downFeasible = false;
                }
            }

            if (cell == primary)
            {
                continue;
            }

            if (insiders && count == 1)
            {
                return null;
            }

            if (!_suppressed[cell])
            {
                if (!allowPublic && _rules.PublicCells.Contains(cell))
                {
                    return null;
                }

                cost += Weight(count);
            }
        }

        return upFeasible || downFeasible ? cost : null;
    }

    /// <summary>Prefer suppressing few and small cells.</summary>
    private static double Weight(long count) => 1 + count;

    /// <summary>The moves of one dimension for a code, cheapest first along the line through the primary.</summary>
    private List<Move> MovesFor(int primary, int dimension, int code)
    {
        var hierarchy = _table.Dimensions[dimension].Hierarchy;
        var stride = _table.Strides[dimension];
        var line = primary - (code * stride);
        var moves = new List<Move>();
        var down = DownChain(hierarchy, line, stride, code);
        var parent = hierarchy.Parents[code];
        if (parent >= 0)
        {
            foreach (var sibling in hierarchy.Children[parent])
            {
                if (sibling == code)
                {
                    continue;
                }

                var siblingDown = DownChain(hierarchy, line, stride, sibling);
                var codes = new int[1 + down.Count + 1 + siblingDown.Count];
                var signs = new int[codes.Length];
                var n = 0;
                codes[n] = code;
                signs[n++] = 1;
                foreach (var c in down)
                {
                    codes[n] = c;
                    signs[n++] = 1;
                }

                codes[n] = sibling;
                signs[n++] = -1;
                foreach (var c in siblingDown)
                {
                    codes[n] = c;
                    signs[n++] = -1;
                }

                moves.Add(new Move(codes, signs, Proxy(line, stride, codes, signs)));
            }
        }

        // Up to the total: every ancestor moves with the cell (always sign-consistent, but touches the marginals).
        var up = new List<int> { code };
        up.AddRange(down);
        for (var a = parent; a >= 0; a = hierarchy.Parents[a])
        {
            up.Add(a);
        }

        var upSigns = Enumerable.Repeat(1, up.Count).ToArray();
        moves.Add(new Move([.. up], upSigns, Proxy(line, stride, [.. up], upSigns) + 0.5));
        moves.Sort((a, b) => a.Proxy.CompareTo(b.Proxy));
        return moves;
    }

    /// <summary>From an internal code down to a leaf, through the smallest positive child along the line (so that the move stays additive).</summary>
    private List<int> DownChain(Hierarchy hierarchy, int line, int stride, int code)
    {
        var chain = new List<int>();
        var current = code;
        while (!hierarchy.IsLeaf(current))
        {
            var children = hierarchy.Children[current];
            var pick = children[0];
            var pickCount = long.MaxValue;
            foreach (var child in children)
            {
                var count = _table.Counts[line + (child * stride)];
                if (count > 0 && count < pickCount)
                {
                    pick = child;
                    pickCount = count;
                }
            }

            chain.Add(pick);
            current = pick;
        }

        return chain;
    }

    /// <summary>The weight of the move's new suppressions along the line through the primary (a cheap estimate).</summary>
    private double Proxy(int line, int stride, int[] codes, int[] signs)
    {
        var cost = 0.0;
        for (var i = 1; i < codes.Length; i++)
        {
            var cell = line + (codes[i] * stride);
            if (!_suppressed[cell])
            {
                cost += Weight(_table.Counts[cell]);
            }

            if (signs[i] < 0 && _table.Counts[cell] == 0)
            {
                cost += 1_000;
            }
        }

        return cost;
    }
}
