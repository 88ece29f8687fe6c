using System.Runtime.InteropServices;

namespace DataClauses.Disclosure;

/// <summary>
/// Secondary suppression by hypercubes generalised to hierarchies (see docs/adr/0004). For each sensitive cell it
/// chooses, in every dimension, a "move": the cell's code (with a chain down to a leaf) and its ancestors up to some
/// level, against a sibling at that level (with its own chain down), or with all its ancestors up to the total. Each
/// move keeps every additivity constraint of its dimension; their product is a perturbation of the whole table that
/// keeps every marginal unchanged. Once all its cells are suppressed, the sensitive cell can move in integer steps
/// along it without contradicting any published value; the hypercube is valid when every cell stays within what the
/// attacker knows of it (<see cref="AttackerBounds"/>: a primary in [1, k−1], a secondary 0 or at least k, so a zero
/// never serves) for a range of the primary at least the protection level wide.
/// <para>
/// The steps: marginal cells first, each sensitive cell gets the cheapest hypercube given the suppressions so far
/// (few and small new cells; with sums, none through another cell with a single contributor, or else one hypercube
/// per such insider that avoids it); each then searches again without the cells only it uses (local improvement);
/// secondary cells that no hypercube needs are released, largest first; public cells are published again when the
/// others protect. Every step is deterministic.
/// </para>
/// </summary>
internal sealed class SecondarySuppression
{
    private const int MaxCombinations = 256;
    private const int SearchLimit = 20_000;
    private const int CleanupSearchLimit = 2_000;
    private const int UnfoundLimitFactor = 4;
    private const int ChainChoices = 2;
    private const int CheckChainChoices = 64;
    private const int WideChainChoices = 16;
    private const int WideChains = int.MaxValue;
    private const int ImproveRounds = 3;
    private const int SiblingsPerLevel = 6;
    private static readonly List<int[]> LeafChain = [[]];

    private readonly Table _table;
    private readonly DisclosureRules _rules;
    private readonly bool[] _suppressed;
    private readonly (long[] Up, long[] Down)[] _rooms;
    private readonly Dictionary<int, Guarantee> _weaker = [];
    private readonly IReadOnlyList<bool>? _released;
    private long[] _upRoom;
    private long[] _downRoom;
    private Guarantee _model;
    private readonly bool[] _sumsCanDecrease;
    private readonly bool _withSums;
    private readonly Insiders _insiders;
    private readonly int _dims;
    private readonly int[] _primaryCodes;
    private readonly double _cellWeight;
    private readonly Dictionary<int, int[]> _signsCache = [];
    private readonly List<Move>[] _moveLists;
    private readonly List<int>[] _codeBuffers;
    private readonly Dfs _dfs;
    private readonly List<(double Score, int Sibling)> _siblings = [];
    private readonly List<int> _up = [];

    private SecondarySuppression(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IReadOnlyList<bool>? released = null)
    {
        _released = released;
        _table = table;
        _rules = rules;
        _suppressed = suppressed;
        _dims = table.Dimensions.Count;
        _primaryCodes = new int[_dims];
        _moveLists = [.. Enumerable.Range(0, _dims).Select(_ => new List<Move>())];
        _codeBuffers = [.. Enumerable.Range(0, _dims).Select(_ => new List<int>())];
        _dfs = new Dfs(this);

        // With sums, the sole contributor of a cell knows its value: such cells cannot hide another cell.
        _insiders = table.Measures.Count > 0 ? Insiders.Strict : Insiders.Ignored;
        _rooms = [.. Enum.GetValues<Guarantee>().Select(model => AttackerBounds.Rooms(table, rules, reasons, model, released))];
        (_upRoom, _downRoom) = _rooms[0];
        _sumsCanDecrease = AttackerBounds.SumsCanDecrease(table);
        _withSums = table.Measures.Count > 0;
        _cellWeight = CellWeight(table);
    }

    /// <summary>
    /// What suppressing one more cell costs besides its count: the median count of the non-empty leaf cells (at least
    /// 1), so that the cost weighs the number of suppressed cells and their value alike, whatever the table's scale.
    /// </summary>
    private static double CellWeight(Table table)
    {
        var counts = new List<long>();
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            if (table.Counts[cell] > 0 && IsLeafCell(table, cell))
            {
                counts.Add(table.Counts[cell]);
            }
        }

        if (counts.Count == 0)
        {
            return 1;
        }

        counts.Sort();
        return Math.Max(1, counts[counts.Count / 2]);
    }

    private static bool IsLeafCell(Table table, int cell)
    {
        for (var d = 0; d < table.Dimensions.Count; d++)
        {
            if (!table.Dimensions[d].Hierarchy.IsLeaf(table.CodeOf(cell, d)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Which cells with a single contributor (an insider, who knows the cell's sums) may serve in a hypercube. When the
    /// primary has at most one contributor, a cell that contains it or lies inside it always may: its contributor is
    /// the primary's own, or the primary is empty, which the contributor of a containing cell knows anyway.
    /// </summary>
    internal enum Insiders
    {
        /// <summary>No insider's cell: protected even against insiders who pool what they know.</summary>
        Strict,

        /// <summary>Any cell (counts only; or one of several hypercubes, each insider missing from one of them).</summary>
        Ignored,
    }

    /// <summary>What <see cref="Run"/> did.</summary>
    /// <param name="AllProtected">False when a sensitive cell could not be protected.</param>
    /// <param name="InsiderAlternatives">Primaries that needed several hypercubes so that each insider misses one.</param>
    /// <param name="Unprotectable">The first sensitive cell that could not be protected, or -1.</param>
    internal readonly record struct Outcome(bool AllProtected, int InsiderAlternatives, int Unprotectable = -1);

    /// <summary>A protection: the hypercube's cells (several hypercubes' when <paramref name="Alternatives"/>).</summary>
    private readonly record struct Candidate(double Cost, int[] Cells, Insiders Insiders, bool Alternatives = false);

    /// <summary>
    /// One dimension's move: its codes (a range of the dimension's code buffer, the first being the cell's own code)
    /// and their signs (+1/−1).
    /// </summary>
    private readonly record struct Move(int Start, int Length, int[] Signs, double Proxy, int Order = 0);

    /// <summary>How widely to search.</summary>
    /// <param name="AllCandidates">Every move of every dimension, else the cheapest few per dimension.</param>
    /// <param name="AllowPublic">Whether public cells may be suppressed.</param>
    /// <param name="Insiders">Which single-contributor cells may serve.</param>
    /// <param name="CheckOnly">Only hypercubes already suppressed (cost 0) are of interest.</param>
    /// <param name="Limit">Combinations tried before settling for the best found.</param>
    /// <param name="Avoid">A cell the hypercube must not go through (an insider's), or -1.</param>
    /// <param name="Chains">How many first steps down from a code with children are tried.</param>
    /// <param name="NeedUp">For one of two hypercubes (see <see cref="SearchBest"/>): how far up it must take the primary (0: the whole width in one).</param>
    /// <param name="NeedDown">The same, down.</param>
    private readonly record struct Mode(bool AllCandidates, bool AllowPublic, Insiders Insiders, bool CheckOnly, int Limit, int Avoid = -1, int Chains = ChainChoices, long NeedUp = 0, long NeedDown = 0);

    /// <summary>
    /// Adds secondary suppressions to <paramref name="suppressed"/> (true for primaries on entry); returns false if a
    /// sensitive cell could not be protected.
    /// </summary>
    public static bool Apply(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IDictionary<int, Guarantee> weaker, IReadOnlyList<bool>? released) =>
        Run(table, rules, reasons, suppressed, weaker, released).AllProtected;

    /// <summary>As <see cref="Apply"/>, with diagnostics.</summary>
    /// <param name="table">The table (the joint table of linked tables).</param>
    /// <param name="rules">Its rules.</param>
    /// <param name="reasons">Why each cell is sensitive (None for the cells no table releases).</param>
    /// <param name="suppressed">In: the primaries and the cells no table releases; out: with the secondaries.</param>
    /// <param name="weaker">Receives the primaries protected against a weaker attacker.</param>
    /// <param name="released">The cells some table releases (null: all); the others are unknown to the attacker and stay suppressed.</param>
    internal static Outcome Run(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IDictionary<int, Guarantee>? weaker = null, IReadOnlyList<bool>? released = null)
    {
        var engine = new SecondarySuppression(table, rules, reasons, suppressed, released);
        var primaries = Enumerable.Range(0, table.CellCount).Where(c => reasons[c] != SensitivityReasons.None);

        // Marginal primaries first: their hypercubes go through high-level cells that leaf primaries can then reuse.
        var order = primaries
            .OrderByDescending(engine.NonLeafCodes)
            .ThenByDescending(p => table.Counts[p])
            .ThenBy(p => p)
            .ToList();
        var protection = new Dictionary<int, Candidate>();
        foreach (var primary in order)
        {
            if (engine.Protect(primary) is not { } candidate)
            {
                return new Outcome(false, 0, primary);
            }

            protection[primary] = candidate;
        }

        var users = new Dictionary<int, List<int>>();
        foreach (var (primary, candidate) in protection)
        {
            AddUser(users, primary, candidate.Cells);
        }

        engine.Improve(reasons, order, protection, users);
        engine.Cleanup(reasons, protection, users);

        var alternatives = protection.Values.Count(c => c.Alternatives);
        foreach (var (cell, model) in engine._weaker)
        {
            weaker?.Add(cell, model);
        }

        engine.ReleasePublic(reasons, order);

        return new Outcome(true, alternatives);
    }

    /// <summary>
    /// Whether a sensitive cell is protected by suppressed cells: a hypercube without insiders' cells, or, for every
    /// insider, a hypercube without that insider's cell.
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="rules">Its rules.</param>
    /// <param name="reasons">Why each cell is sensitive.</param>
    /// <param name="suppressed">The suppressed cells.</param>
    /// <param name="weaker">The primaries protected against a weaker attacker (see <see cref="Protect"/>).</param>
    /// <param name="released">The cells some table releases (null: all).</param>
    /// <param name="primary">The cell to check.</param>
    public static bool IsProtected(Table table, DisclosureRules rules, IReadOnlyList<SensitivityReasons> reasons, bool[] suppressed, IReadOnlyDictionary<int, Guarantee> weaker, IReadOnlyList<bool>? released, int primary)
    {
        var engine = new SecondarySuppression(table, rules, reasons, suppressed, released);
        foreach (var (cell, model) in weaker)
        {
            engine._weaker[cell] = model;
        }

        return engine.IsProtectedNow(primary);
    }

    private bool IsProtectedNow(int primary)
    {
        if (SearchBest(primary, new Mode(true, true, _insiders, CheckOnly: true, SearchLimit, Chains: CheckChainChoices)) is not null)
        {
            return true;
        }

        return Search(primary, new Mode(true, true, Insiders.Ignored, CheckOnly: true, SearchLimit, Chains: CheckChainChoices)) is { } any
            && InsidersIn(primary, any.Cells).All(insider =>
                Search(primary, new Mode(true, true, Insiders.Ignored, CheckOnly: true, SearchLimit, insider, CheckChainChoices)) is not null);
    }

    /// <summary>Publishes again each public cell suppressed as secondary if every sensitive cell stays protected without it.</summary>
    private void ReleasePublic(IReadOnlyList<SensitivityReasons> reasons, List<int> primaries)
    {
        foreach (var cell in _rules.PublicCells.Where(c => c >= 0 && c < _table.CellCount && _suppressed[c] && reasons[c] == SensitivityReasons.None && IsReleased(c)).Order().ToList())
        {
            _suppressed[cell] = false;
            if (!primaries.TrueForAll(IsProtectedNow))
            {
                _suppressed[cell] = true;
            }
        }
    }

    private bool IsReleased(int cell) => _released is null || _released[cell];

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

    /// <summary>
    /// Suppresses the cheapest protection of <paramref name="primary"/> and returns it, or null. When no hypercube
    /// protects it against the full attacker — the statuses themselves may pin it (a primary total under k whose k−1
    /// children are primary, each at least 1), or, with sums, single contributors' cells and zeros leave no room — it
    /// is protected against the next weaker attacker (<see cref="Guarantee"/>), rather than taking the whole table.
    /// </summary>
    private Candidate? Protect(int primary)
    {
        foreach (var model in Enum.GetValues<Guarantee>())
        {
            if (model != Guarantee.Full)
            {
                _weaker[primary] = model;
            }

            if (ProtectWithin(primary) is { } candidate)
            {
                return candidate;
            }
        }

        return null;
    }

    private Candidate? ProtectWithin(int primary)
    {
        // Widen the search step by step; protection always wins over the publication of public cells. Under the
        // stronger attackers the search stays narrow (the cheapest moves per dimension): a primary it cannot protect
        // falls back to the next attacker rather than searching every move (which made the large table ten times
        // slower); the last resort searches widely, as before issue 11.
        var wide = _weaker.GetValueOrDefault(primary, Guarantee.Full) == Guarantee.NonNegativityOnly;
        var best = SearchBest(primary, new Mode(false, false, _insiders, false, SearchLimit))
            ?? (wide ? SearchBest(primary, new Mode(true, false, _insiders, false, SearchLimit, Chains: WideChains)) : null)
            ?? SearchBest(primary, new Mode(wide, true, _insiders, false, SearchLimit, Chains: wide ? WideChains : ChainChoices));
        if (best is not null)
        {
            Suppress(best.Value.Cells);
            return best;
        }

        // Every hypercube goes through some insider's cell. Take the cheapest, then for each insider in it a hypercube
        // without that insider's cell: whichever single insider attacks, one hypercube stays out of its knowledge.
        if (Search(primary, new Mode(true, true, Insiders.Ignored, false, SearchLimit)) is not { } first)
        {
            return null;
        }

        Suppress(first.Cells);
        var cells = new HashSet<int>(first.Cells);
        foreach (var insider in InsidersIn(primary, first.Cells))
        {
            if (Search(primary, new Mode(true, true, Insiders.Ignored, false, SearchLimit, insider, WideChains)) is not { } alternative)
            {
                return null;
            }

            Suppress(alternative.Cells);
            cells.UnionWith(alternative.Cells);
        }

        return new Candidate(first.Cost, [.. cells], Insiders.Ignored, Alternatives: true);
    }

    private void Suppress(int[] cells)
    {
        foreach (var cell in cells)
        {
            _suppressed[cell] = true;
        }
    }

    /// <summary>The cells of a hypercube known to an insider other than the primary's own.</summary>
    private List<int> InsidersIn(int primary, int[] cells)
    {
        var insiders = new List<int>();
        if (_insiders == Insiders.Ignored)
        {
            return insiders;
        }

        SetPrimaryCodes(primary);
        foreach (var cell in cells)
        {
            if (cell != primary && _table.Counts[cell] == 1 && !InsiderHarmless(primary, cell))
            {
                insiders.Add(cell);
            }
        }

        return insiders;
    }

    private void SetPrimaryCodes(int primary)
    {
        for (var d = 0; d < _dims; d++)
        {
            _primaryCodes[d] = _table.CodeOf(primary, d);
        }
    }

    /// <summary>
    /// Releases secondary cells, largest first, when every sensitive cell whose hypercube went through them still has
    /// a protecting hypercube among the other suppressed cells.
    /// </summary>
    private void Cleanup(IReadOnlyList<SensitivityReasons> reasons, Dictionary<int, Candidate> protection, Dictionary<int, List<int>> users)
    {
        var secondaries = Enumerable.Range(0, _table.CellCount)
            .Where(c => _suppressed[c] && reasons[c] == SensitivityReasons.None && IsReleased(c))
            .OrderByDescending(c => _rules.PublicCells.Contains(c))
            .ThenByDescending(c => _table.Counts[c])
            .ThenBy(c => c)
            .ToList();
        var replacements = new List<(int Primary, Candidate Candidate)>();
        foreach (var secondary in secondaries)
        {
            var dependants = users.GetValueOrDefault(secondary) ?? [];

            _suppressed[secondary] = false;
            replacements.Clear();
            var released = true;
            foreach (var primary in dependants)
            {
                var other = Recheck(primary, protection[primary], thorough: _rules.PublicCells.Contains(secondary));
                if (other is null)
                {
                    released = false;
                    break;
                }

                replacements.Add((primary, other.Value));
            }

            if (!released)
            {
                _suppressed[secondary] = true;
                continue;
            }

            users.Remove(secondary);
            foreach (var (primary, candidate) in replacements)
            {
                foreach (var cell in protection[primary].Cells)
                {
                    users.GetValueOrDefault(cell)?.Remove(primary);
                }

                protection[primary] = candidate;
                AddUser(users, primary, candidate.Cells);
            }
        }
    }

    /// <summary>
    /// Local improvement: for each sensitive cell, release the secondary cells only its hypercube uses and search
    /// again with the others' suppressions as they now are; keep the new hypercube when it is cheaper. Returns whether
    /// anything changed.
    /// </summary>
    private bool Improve(IReadOnlyList<SensitivityReasons> reasons, List<int> order, Dictionary<int, Candidate> protection, Dictionary<int, List<int>> users)
    {
        var changed = false;
        var exclusive = new List<int>();
        for (var round = 0; round < ImproveRounds; round++)
        {
            var improved = false;
            foreach (var primary in order)
            {
                var current = protection[primary];
                if (current.Alternatives)
                {
                    continue;
                }

                exclusive.Clear();
                var released = 0.0;
                foreach (var c in current.Cells)
                {
                    if (reasons[c] == SensitivityReasons.None && IsReleased(c) && users.TryGetValue(c, out var list) && list.Count == 1)
                    {
                        exclusive.Add(c);
                        released += Weight(_table.Counts[c]);
                    }
                }

                if (exclusive.Count == 0)
                {
                    continue;
                }

                foreach (var cell in exclusive)
                {
                    _suppressed[cell] = false;
                }

                var candidate = SearchBest(primary, new Mode(false, AllowPublic: false, current.Insiders, false, SearchLimit));
                if (candidate is { } better && better.Cost < released - 1e-9)
                {
                    foreach (var cell in current.Cells)
                    {
                        users.GetValueOrDefault(cell)?.Remove(primary);
                    }

                    foreach (var cell in exclusive)
                    {
                        users.Remove(cell);
                    }

                    Suppress(better.Cells);
                    protection[primary] = better;
                    AddUser(users, primary, better.Cells);
                    improved = true;
                }
                else
                {
                    foreach (var cell in exclusive)
                    {
                        _suppressed[cell] = true;
                    }
                }
            }

            changed |= improved;
            if (!improved)
            {
                break;
            }
        }

        return changed;
    }

    /// <summary>
    /// A protection made of suppressed cells only (a hypercube without insiders, else — for a cell already protected
    /// that way, or in a thorough recheck — one per insider), or null; a thorough recheck (every move, more chains)
    /// when releasing a public cell.
    /// </summary>
    private Candidate? Recheck(int primary, Candidate current, bool thorough)
    {
        var (limit, chains) = thorough ? (SearchLimit, CheckChainChoices) : (CleanupSearchLimit, ChainChoices);
        if (SearchBest(primary, new Mode(thorough, true, _insiders, CheckOnly: true, limit, Chains: chains)) is { } strict)
        {
            return strict;
        }

        if (!current.Alternatives && !thorough)
        {
            return null;
        }

        if (Search(primary, new Mode(thorough, true, Insiders.Ignored, CheckOnly: true, limit, Chains: chains)) is not { } any)
        {
            return null;
        }

        var cells = new HashSet<int>(any.Cells);
        foreach (var insider in InsidersIn(primary, any.Cells))
        {
            if (Search(primary, new Mode(thorough, true, Insiders.Ignored, CheckOnly: true, limit, insider, chains)) is not { } alternative)
            {
                return null;
            }

            cells.UnionWith(alternative.Cells);
        }

        return new Candidate(0, [.. cells], Insiders.Ignored, Alternatives: true);
    }

    private static void AddUser(Dictionary<int, List<int>> users, int primary, int[] cells)
    {
        foreach (var cell in cells)
        {
            if (!users.TryGetValue(cell, out var list))
            {
                users[cell] = list = [];
            }

            list.Add(primary);
        }
    }

    /// <summary>
    /// The cheapest valid hypercube for <paramref name="primary"/> (in a check, one made of suppressed cells only), or
    /// null. A depth-first product of the dimensions' moves: the cells a move adds are actual cells of the hypercube
    /// (the other dimensions still at the primary's codes), so a prefix that is already invalid, or already costs more
    /// than the best found, is pruned with everything below it.
    /// </summary>
    private Candidate? Search(int primary, Mode mode)
    {
        _model = _weaker.GetValueOrDefault(primary, Guarantee.Full);
        (_upRoom, _downRoom) = _rooms[(int)_model];
        SetPrimaryCodes(primary);
        var perDimension = Math.Max(2, (int)Math.Floor(Math.Pow(MaxCombinations, 1.0 / _dims)));
        var moves = _moveLists;
        for (var d = 0; d < _dims; d++)
        {
            var all = MovesFor(primary, d, _primaryCodes[d], mode, perDimension, moves[d]);
            if (!mode.AllCandidates && !mode.CheckOnly && all.Count > perDimension)
            {
                all.RemoveRange(perDimension, all.Count - perDimension);
            }

            if (all.Count == 0)
            {
                return null;
            }
        }

        _dfs.Run(primary, mode);
        return _dfs.Best;
    }

    /// <summary>
    /// The cheaper of the best single hypercube and the best pair of hypercubes, one taking the primary up by a and one
    /// down by width − a: the attacker's range then spans both (two integer tables consistent with everything known).
    /// </summary>
    private Candidate? SearchBest(int primary, Mode mode)
    {
        var single = Search(primary, mode);
        if (single is { Cost: 0 } && mode.CheckOnly)
        {
            return single;
        }

        var width = AttackerBounds.RequiredWidth(_table, _rules, _table.Counts[primary], _weaker.GetValueOrDefault(primary, Guarantee.Full));
        var best = single;
        var added = new List<int>();
        for (var up = 1L; up < width; up++)
        {
            if (Search(primary, mode with { NeedUp = up }) is not { } rise)
            {
                continue;
            }

            // The second hypercube is costed with the first one's cells suppressed.
            added.Clear();
            foreach (var cell in rise.Cells)
            {
                if (!_suppressed[cell])
                {
                    _suppressed[cell] = true;
                    added.Add(cell);
                }
            }

            var fall = Search(primary, mode with { NeedDown = width - up });
            foreach (var cell in added)
            {
                _suppressed[cell] = false;
            }

            if (fall is { } down && (best is null || rise.Cost + down.Cost < best.Value.Cost))
            {
                best = new Candidate(rise.Cost + down.Cost, [.. rise.Cells.Union(down.Cells)], mode.Insiders);
            }
        }

        return best;
    }

    /// <summary>The state of one depth-first search over the moves' product.</summary>
    private sealed class Dfs(SecondarySuppression owner)
    {
        private readonly SecondarySuppression _engine = owner;
        private readonly List<Move>[] _moves = owner._moveLists;
        private readonly List<int> _cells = new(64);
        private readonly List<int> _signs = new(64);
        private readonly List<int> _bestCells = new(64);
        private bool _found;
        private int _primary;
        private Mode _mode;
        private double _bestCost;
        private int _visited;
        private bool _done;
        private Need _required;

        public Candidate? Best { get; private set; }

        /// <summary>Searches the product of the engine's current moves for <paramref name="primary"/>.</summary>
        public void Run(int primary, Mode mode)
        {
            _primary = primary;
            _mode = mode;
            _bestCost = mode.CheckOnly ? 0 : double.MaxValue;
            _visited = 0;
            _done = false;
            Best = null;
            _cells.Clear();
            _signs.Clear();
            _cells.Add(_primary);
            _signs.Add(1);
            _found = false;
            _required = mode.NeedUp > 0 || mode.NeedDown > 0
                ? new Need(0, mode.NeedUp, mode.NeedDown)
                : new Need(AttackerBounds.RequiredWidth(_engine._table, _engine._rules, _engine._table.Counts[_primary], _engine._model), 0, 0);
            var room = new Room(_engine._upRoom[_primary], _engine._downRoom[_primary], true, _engine._sumsCanDecrease[_primary]);
            if (room.Suffices(_required, _engine._withSums))
            {
                Visit(0, 0, room);
            }

            Best = _found ? new Candidate(_bestCost, [.. _bestCells], _mode.Insiders) : null;
        }

        private void Visit(int depth, double cost, Room room)
        {
            if (depth == _moves.Length)
            {
                if (!_found || cost < _bestCost)
                {
                    // Keep the cells in a buffer: only the final best becomes a candidate.
                    _bestCells.Clear();
                    _bestCells.AddRange(_cells);
                    _found = true;
                    _bestCost = cost;
                    _done = cost == 0;
                }

                return;
            }

            var engine = _engine;
            var stride = engine._table.Strides[depth];
            var own = engine._primaryCodes[depth];
            var count = _cells.Count;
            foreach (var move in _moves[depth])
            {
                // A search that found nothing goes on, but not forever unless it is the last resort (the weakest
                // attacker): under the stronger ones a primary that no bounded search protects falls back instead.
                if (_done || (++_visited > _mode.Limit && (_found || _mode.CheckOnly || (_visited > UnfoundLimitFactor * _mode.Limit && _engine._model != Guarantee.NonNegativityOnly))))
                {
                    _done = true;
                    return;
                }

                var moveCost = cost;
                var moveRoom = room;
                var valid = true;
                var codes = CollectionsMarshal.AsSpan(engine._codeBuffers[depth]).Slice(move.Start, move.Length);
                for (var k = 1; k < codes.Length && valid; k++)
                {
                    var offset = (codes[k] - own) * stride;
                    for (var i = 0; i < count && valid; i++)
                    {
                        var cell = _cells[i] + offset;
                        var sign = _signs[i] * move.Signs[k];
                        valid = engine.Admit(_primary, cell, sign, _mode, ref moveCost, ref moveRoom, _required)
                            && moveCost <= _bestCost
                            && (!_found || moveCost < _bestCost || _mode.CheckOnly);
                        _cells.Add(cell);
                        _signs.Add(sign);
                    }
                }

                if (valid)
                {
                    Visit(depth + 1, moveCost, moveRoom);
                }

                _cells.RemoveRange(count, _cells.Count - count);
                _signs.RemoveRange(count, _signs.Count - count);
            }
        }
    }

    /// <summary>
    /// How far a hypercube's direction may take its primary: up and down in integer steps of the count (every cell
    /// within <see cref="AttackerBounds"/>), and, with sums, whether the sums may move up or down at all (reals).
    /// </summary>
    private readonly record struct Room(long Up, long Down, bool SumsUp, bool SumsDown)
    {
        /// <summary>Whether the primary moves as far as <paramref name="need"/> says (and its sums can move).</summary>
        public bool Suffices(Need need, bool withSums) =>
            Up + Down >= need.Width && Up >= need.Up && Down >= need.Down && (!withSums || SumsUp || SumsDown);
    }

    /// <summary>What a hypercube must give its primary: a range at least <paramref name="Width"/> wide, or at least <paramref name="Up"/> up and <paramref name="Down"/> down.</summary>
    private readonly record struct Need(long Width, long Up, long Down)
    {
    }

    /// <summary>
    /// Adds a cell of a hypercube to its evaluation: its cost if newly suppressed, and how far the primary may still
    /// move; false when the cell makes the hypercube invalid (the range gets narrower than required).
    /// </summary>
    private bool Admit(int primary, int cell, int sign, Mode mode, ref double cost, ref Room room, Need required)
    {
        var (up, down) = sign > 0 ? (_upRoom[cell], _downRoom[cell]) : (_downRoom[cell], _upRoom[cell]);
        var sumsDown = _sumsCanDecrease[cell];
        room = new Room(
            Math.Min(room.Up, up),
            Math.Min(room.Down, down),
            room.SumsUp && (sign > 0 || sumsDown),
            room.SumsDown && (sign < 0 || sumsDown));
        if (!room.Suffices(required, _withSums) || cell == mode.Avoid)
        {
            return false;
        }

        if (!_suppressed[cell])
        {
            if (mode.CheckOnly || (!mode.AllowPublic && _rules.PublicCells.Contains(cell)))
            {
                return false;
            }

            cost += Weight(_table.Counts[cell]);
        }

        return mode.Insiders == Insiders.Ignored || _table.Counts[cell] != 1 || InsiderHarmless(primary, cell);
    }

    /// <summary>
    /// Whether the sole contributor of <paramref name="cell"/> (who knows its sums) is the primary's own or learns
    /// nothing from it (see <see cref="Insiders"/>): the primary has at most one contributor and one cell contains
    /// the other. Containment is that of the leaves covered: a code with a single child covers what the child covers.
    /// </summary>
    private bool InsiderHarmless(int primary, int cell)
    {
        if (_table.Counts[primary] > 1)
        {
            return false;
        }

        var inside = true;
        var outside = true;
        for (var d = 0; d < _dims && (inside || outside); d++)
        {
            var hierarchy = _table.Dimensions[d].Hierarchy;
            var a = Covering(hierarchy, _primaryCodes[d]);
            var b = Covering(hierarchy, _table.CodeOf(cell, d));
            outside &= IsAncestorOrSelf(hierarchy, b, a);
            inside &= IsAncestorOrSelf(hierarchy, a, b);
        }

        return inside || outside;
    }

    /// <summary>The lowest code covering the same leaves (down through single children).</summary>
    private static int Covering(Hierarchy hierarchy, int code)
    {
        while (hierarchy.Children[code].Length == 1)
        {
            code = hierarchy.Children[code][0];
        }

        return code;
    }

    private static bool IsAncestorOrSelf(Hierarchy hierarchy, int ancestor, int code)
    {
        for (var c = code; c >= 0; c = hierarchy.Parents[c])
        {
            if (c == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The cost of suppressing a cell: few cells and small ones (see <see cref="CellWeight"/>).</summary>
    private double Weight(long count) => _cellWeight + count;


    /// <summary>
    /// The moves of one dimension for a code, cheapest first along the line through the primary: the code (with a
    /// chain down to a leaf) and its ancestors up to some level, against a sibling at that level (with its own chain
    /// down); or the code with all its ancestors up to the total.
    /// </summary>
    private List<Move> MovesFor(int primary, int dimension, int code, Mode mode, int perDimension, List<Move> moves)
    {
        var hierarchy = _table.Dimensions[dimension].Hierarchy;
        var stride = _table.Strides[dimension];
        var line = primary - (code * stride);
        moves.Clear();
        var buffer = _codeBuffers[dimension];
        buffer.Clear();
        var siblings = _siblings;
        var limited = !mode.AllCandidates && !mode.CheckOnly;
        var siblingChoices = limited ? 1 : mode.Chains;
        var wanted = mode.CheckOnly ? int.MaxValue : perDimension;
        foreach (var chain in DownChains(hierarchy, line, stride, code, mode, mode.Chains))
        {
            var up = _up;
            up.Clear();
            up.Add(code);
            up.AddRange(chain);
            var reachable = true;
            var prefix = 0.0;
            foreach (var c in chain)
            {
                prefix += PrefixWeight(line + (c * stride));
            }

            for (var level = code; hierarchy.Parents[level] >= 0 && reachable; level = hierarchy.Parents[level])
            {
                if (level != code)
                {
                    // A check only looks at suppressed cells: nothing above an unsuppressed ancestor can serve.
                    reachable = !mode.CheckOnly || _suppressed[line + (level * stride)];
                    if (!reachable)
                    {
                        break;
                    }

                    up.Add(level);
                    prefix += PrefixWeight(line + (level * stride));

                    // A search keeps the cheapest few moves: a move at this level or above costs at least the prefix.
                    if (limited && CountAtMost(moves, prefix) >= wanted)
                    {
                        break;
                    }
                }

                // The siblings at this level, cheapest first (a search keeps the few cheapest; a check, the suppressed).
                siblings.Clear();
                foreach (var sibling in hierarchy.Children[hierarchy.Parents[level]])
                {
                    var cell = line + (sibling * stride);
                    if (sibling != level && (!mode.CheckOnly || _suppressed[cell]))
                    {
                        siblings.Add((Score(cell), sibling));
                    }
                }

                if (!mode.AllCandidates && siblings.Count > SiblingsPerLevel)
                {
                    siblings.Sort((a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Sibling.CompareTo(b.Sibling));
                    siblings.RemoveRange(SiblingsPerLevel, siblings.Count - SiblingsPerLevel);
                }

                foreach (var (_, sibling) in siblings)
                {
                    foreach (var siblingChain in DownChains(hierarchy, line, stride, sibling, mode, siblingChoices))
                    {
                        var start = buffer.Count;
                        var signs = Signs(up.Count, 1 + siblingChain.Length);
                        buffer.AddRange(up);
                        buffer.Add(sibling);
                        buffer.AddRange(siblingChain);
                        moves.Add(new Move(start, buffer.Count - start, signs, Proxy(line, stride, CollectionsMarshal.AsSpan(buffer)[start..], signs)));
                    }
                }
            }

            if (!reachable)
            {
                continue;
            }

            // Up to the total: every ancestor moves with the cell (always sign-consistent, but touches the marginals).
            for (var a = hierarchy.Parents[code]; a >= 0; a = hierarchy.Parents[a])
            {
                if (!up.Contains(a))
                {
                    up.Add(a);
                }
            }

            if (mode.CheckOnly && !_suppressed[line])
            {
                continue;
            }

            var upStart = buffer.Count;
            var upSigns = Signs(up.Count, 0);
            buffer.AddRange(up);
            moves.Add(new Move(upStart, up.Count, upSigns, Proxy(line, stride, CollectionsMarshal.AsSpan(buffer)[upStart..], upSigns) + 0.5));
        }

        // A stable order: equal proxies keep the order of generation, so the pattern is deterministic.
        for (var i = 0; i < moves.Count; i++)
        {
            moves[i] = moves[i] with { Order = i };
        }

        moves.Sort(static (a, b) => a.Proxy != b.Proxy ? a.Proxy.CompareTo(b.Proxy) : a.Order.CompareTo(b.Order));
        return moves;
    }

    /// <summary>The signs of a move: <paramref name="plus"/> times +1, then <paramref name="minus"/> times −1 (shared, read-only).</summary>
    private int[] Signs(int plus, int minus)
    {
        var key = (plus * 64) + minus;
        if (!_signsCache.TryGetValue(key, out var signs))
        {
            signs = new int[plus + minus];
            Array.Fill(signs, 1, 0, plus);
            Array.Fill(signs, -1, plus, minus);
            _signsCache[key] = signs;
        }

        return signs;
    }

    private static int CountAtMost(List<Move> moves, double proxy)
    {
        var n = 0;
        foreach (var move in moves)
        {
            if (move.Proxy <= proxy)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>
    /// Chains from a code down to a leaf along the line through the primary, so that a move stays additive: for a
    /// search, the few cheapest first steps (already suppressed, else small; free to decrease; not a single
    /// contributor's cell when sums are protected), each continued by the cheapest child; for a check, every chain of
    /// suppressed cells (up to a few). A leaf has one empty chain.
    /// </summary>
    private List<int[]> DownChains(Hierarchy hierarchy, int line, int stride, int code, Mode mode, int choices)
    {
        if (hierarchy.IsLeaf(code))
        {
            return LeafChain;
        }

        var chains = new List<int[]>();
        if (mode.CheckOnly)
        {
            var path = new List<int>();
            SuppressedChains(hierarchy, line, stride, code, path, chains, choices);
            return chains;
        }

        if (mode.Chains > ChainChoices)
        {
            // A wide search (an insider to avoid): every chain, cheapest first, up to a bound.
            var all = new List<(double Score, int[] Chain)>();
            AllChains(hierarchy, line, stride, code, [], 0, all);
            return [.. all.OrderBy(c => c.Score).Take(WideChainChoices).Select(c => c.Chain)];
        }

        var children = hierarchy.Children[code];
        Span<int> firsts = stackalloc int[Math.Min(choices, children.Length)];
        Span<double> scores = stackalloc double[firsts.Length];
        var taken = 0;
        foreach (var child in children)
        {
            // Keep the `choices` cheapest first steps, in order (ties: the lower code first).
            var score = Score(line + (child * stride));
            var at = taken;
            while (at > 0 && scores[at - 1] > score)
            {
                at--;
            }

            if (at >= firsts.Length)
            {
                continue;
            }

            for (var j = Math.Min(taken, firsts.Length - 1); j > at; j--)
            {
                firsts[j] = firsts[j - 1];
                scores[j] = scores[j - 1];
            }

            firsts[at] = child;
            scores[at] = score;
            taken = Math.Min(taken + 1, firsts.Length);
        }

        for (var f = 0; f < taken; f++)
        {
            var depth = 1;
            for (var c = firsts[f]; !hierarchy.IsLeaf(c); c = CheapestChild(hierarchy, line, stride, c))
            {
                depth++;
            }

            var chain = new int[depth];
            chain[0] = firsts[f];
            for (var i = 1; i < depth; i++)
            {
                chain[i] = CheapestChild(hierarchy, line, stride, chain[i - 1]);
            }

            chains.Add(chain);
        }

        return chains;
    }

    private int CheapestChild(Hierarchy hierarchy, int line, int stride, int code)
    {
        var best = -1;
        var bestScore = double.MaxValue;
        foreach (var child in hierarchy.Children[code])
        {
            var score = Score(line + (child * stride));
            if (score < bestScore)
            {
                best = child;
                bestScore = score;
            }
        }

        return best;
    }

    private void AllChains(Hierarchy hierarchy, int line, int stride, int code, List<int> path, double score, List<(double, int[])> chains)
    {
        foreach (var child in hierarchy.Children[code])
        {
            if (chains.Count >= 4 * WideChainChoices)
            {
                return;
            }

            path.Add(child);
            var childScore = score + Score(line + (child * stride));
            if (hierarchy.IsLeaf(child))
            {
                chains.Add((childScore, [.. path]));
            }
            else
            {
                AllChains(hierarchy, line, stride, child, path, childScore, chains);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private void SuppressedChains(Hierarchy hierarchy, int line, int stride, int code, List<int> path, List<int[]> chains, int choices)
    {
        foreach (var child in hierarchy.Children[code])
        {
            if (chains.Count >= choices)
            {
                return;
            }

            if (!_suppressed[line + (child * stride)])
            {
                continue;
            }

            path.Add(child);
            if (hierarchy.IsLeaf(child))
            {
                chains.Add([.. path]);
            }
            else
            {
                SuppressedChains(hierarchy, line, stride, child, path, chains, choices);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>What a cell adds to any move that goes through it (a lower bound of its part in <see cref="Proxy"/>).</summary>
    private double PrefixWeight(int cell) => _suppressed[cell] ? 0 : Weight(_table.Counts[cell]);

    /// <summary>How unattractive a cell is as a step of a chain down.</summary>
    private double Score(int cell)
    {
        var score = _suppressed[cell] ? 0 : Weight(_table.Counts[cell]);
        var down = _rooms[0].Down[cell];
        if (down == 0)
        {
            score += 1_000;
        }
        else if (down < _rules.ProtectionLevel)
        {
            // Little room above the threshold: it would narrow the primary's range.
            score += 300;
        }

        if (_insiders != Insiders.Ignored && _table.Counts[cell] == 1)
        {
            score += 500;
        }

        return score;
    }

    /// <summary>The weight of the move's new suppressions along the line through the primary (a cheap estimate).</summary>
    private double Proxy(int line, int stride, ReadOnlySpan<int> codes, int[] signs)
    {
        var cost = 0.0;
        for (var i = 1; i < codes.Length; i++)
        {
            var cell = line + (codes[i] * stride);
            if (!_suppressed[cell])
            {
                cost += Weight(_table.Counts[cell]);
            }

            if ((signs[i] < 0 && _rooms[0].Down[cell] == 0) || _rooms[0].Up[cell] == 0)
            {
                cost += 1_000;
            }
        }

        return cost;
    }
}
