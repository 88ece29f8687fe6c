using System.Numerics;
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
    private readonly List<int> _path = [];

    // DownChains' results for the primary's own code and for a sibling (both in use at once in MovesFor).
    private readonly List<int[]> _ownChains = [];
    private readonly List<int[]> _siblingChains = [];
    private readonly Checks _checks;
    private readonly bool[] _public;
    private readonly double[] _penalties;
    private readonly double[] _openScores;

    // Per cell, kept with _suppressed (read far more often than it changes, one array read each): its Score, and
    // what suppressing it would cost (0 once suppressed).
    private readonly double[] _scores;
    private readonly double[] _newCosts;

    // The moves in _moveLists were made for this key (primary, breadth of the mode, suppressed cells' version): the
    // searches of one SearchBest and of one Recheck share them instead of generating them again.
    private (int Primary, bool AllCandidates, bool CheckOnly, int Chains, long Version) _movesKey = (-1, false, false, 0, -1);
    private bool _movesReady;
    private long _version;

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
        _checks = new Checks(this);
        _public = new bool[table.CellCount];
        foreach (var cell in rules.PublicCells.Where(c => c >= 0 && c < table.CellCount))
        {
            _public[cell] = true;
        }

        // With sums, the sole contributor of a cell knows its value: such cells cannot hide another cell.
        _insiders = table.Measures.Count > 0 ? Insiders.Strict : Insiders.Ignored;
        _rooms = [.. Enum.GetValues<Guarantee>().Select(model => AttackerBounds.Rooms(table, rules, reasons, model, released))];
        (_upRoom, _downRoom) = _rooms[0];
        _sumsCanDecrease = AttackerBounds.SumsCanDecrease(table);
        _withSums = table.Measures.Count > 0;
        _cellWeight = CellWeightOf(table);
        (_penalties, _openScores) = Scores();
        _scores = new double[table.CellCount];
        _newCosts = new double[table.CellCount];
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            _scores[cell] = suppressed[cell] ? _penalties[cell] : _openScores[cell];
            _newCosts[cell] = suppressed[cell] ? 0 : Weight(table.Counts[cell]);
        }
    }

    /// <summary>
    /// What suppressing one more cell costs besides its count: the median count of the non-empty leaf cells (at least
    /// 1), so that the cost weighs the number of suppressed cells and their value alike, whatever the table's scale.
    /// </summary>
    internal static double CellWeightOf(Table table)
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

        var users = new List<int>?[table.CellCount];
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
            SetSuppressed(cell, false);
            if (!primaries.TrueForAll(IsProtectedNow))
            {
                SetSuppressed(cell, true);
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

    /// <summary>Sets a cell's suppression; every change makes the moves generated so far stale.</summary>
    private void SetSuppressed(int cell, bool value)
    {
        _suppressed[cell] = value;
        _scores[cell] = value ? _penalties[cell] : _openScores[cell];
        _newCosts[cell] = value ? 0 : Weight(_table.Counts[cell]);
        _version++;
    }

    private void Suppress(int[] cells)
    {
        foreach (var cell in cells)
        {
            SetSuppressed(cell, true);
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
    private void Cleanup(IReadOnlyList<SensitivityReasons> reasons, Dictionary<int, Candidate> protection, List<int>?[] users)
    {
        var secondaries = Enumerable.Range(0, _table.CellCount)
            .Where(c => _suppressed[c] && reasons[c] == SensitivityReasons.None && IsReleased(c))
            .OrderByDescending(c => _rules.PublicCells.Contains(c))
            .ThenByDescending(c => _table.Counts[c])
            .ThenBy(c => c)
            .ToList();
        var replacements = new List<Candidate>();
        var failedLast = new bool[_table.CellCount];
        var order = new List<int>();
        foreach (var secondary in secondaries)
        {
            var dependants = users[secondary] ?? [];

            SetSuppressed(secondary, false);
            replacements.Clear();
            var released = true;
            var thorough = _rules.PublicCells.Contains(secondary);

            // The cell is released when every dependant keeps a protection. Each recheck reads the same suppressions,
            // so their order changes only the time: those whose last recheck failed go first, as they often fail again.
            order.Clear();
            for (var i = 0; i < dependants.Count; i++)
            {
                if (failedLast[dependants[i]])
                {
                    order.Add(i);
                }
            }

            for (var i = 0; i < dependants.Count; i++)
            {
                if (!failedLast[dependants[i]])
                {
                    order.Add(i);
                }

                replacements.Add(default);
            }

            foreach (var i in order)
            {
                var primary = dependants[i];
                var other = Recheck(primary, protection[primary], thorough);
                failedLast[primary] = other is null;
                if (other is null)
                {
                    released = false;
                    break;
                }

                replacements[i] = other.Value;
            }

            if (!released)
            {
                SetSuppressed(secondary, true);
                continue;
            }

            users[secondary] = null;
            for (var i = 0; i < dependants.Count; i++)
            {
                var (primary, candidate) = (dependants[i], replacements[i]);
                foreach (var cell in protection[primary].Cells)
                {
                    RemoveUser(users, cell, primary);
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
    private bool Improve(IReadOnlyList<SensitivityReasons> reasons, List<int> order, Dictionary<int, Candidate> protection, List<int>?[] users)
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
                    if (reasons[c] == SensitivityReasons.None && IsReleased(c) && users[c] is { Count: 1 })
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
                    SetSuppressed(cell, false);
                }

                var candidate = SearchBest(primary, new Mode(false, AllowPublic: false, current.Insiders, false, SearchLimit));
                if (candidate is { } better && better.Cost < released - 1e-9)
                {
                    foreach (var cell in current.Cells)
                    {
                        RemoveUser(users, cell, primary);
                    }

                    foreach (var cell in exclusive)
                    {
                        users[cell] = null;
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
                        SetSuppressed(cell, true);
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

    /// <summary>
    /// Removes a primary from a cell's users. The order of a cell's users does not matter (its dependants are all
    /// rechecked before anything changes): the last one takes the removed one's place instead of the list shifting.
    /// </summary>
    private static void RemoveUser(List<int>?[] users, int cell, int primary)
    {
        if (users[cell] is { } list && list.IndexOf(primary) is var at and >= 0)
        {
            list[at] = list[^1];
            list.RemoveAt(list.Count - 1);
        }
    }

    private static void AddUser(List<int>?[] users, int primary, int[] cells)
    {
        foreach (var cell in cells)
        {
            (users[cell] ??= []).Add(primary);
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
        if (!PrepareMoves(primary, mode))
        {
            return null;
        }

        _dfs.Run(primary, mode);
        return _dfs.Best;
    }

    /// <summary>
    /// Sets the primary's attacker and each dimension's moves for <paramref name="mode"/>; false when a dimension has
    /// none. The moves depend only on the primary, the mode's breadth and the suppressed cells, so they are generated
    /// again only when one of these changed since the last search.
    /// </summary>
    private bool PrepareMoves(int primary, Mode mode)
    {
        _model = _weaker.GetValueOrDefault(primary, Guarantee.Full);
        (_upRoom, _downRoom) = _rooms[(int)_model];
        SetPrimaryCodes(primary);
        var key = (primary, mode.AllCandidates, mode.CheckOnly, mode.Chains, _version);
        if (key == _movesKey)
        {
            return _movesReady;
        }

        _movesKey = key;
        _movesReady = false;
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
                return false;
            }
        }

        _movesReady = true;
        return true;
    }

    /// <summary>
    /// The cheaper of the best single hypercube and the best pair of hypercubes, one taking the primary up by a and one
    /// down by width − a: the attacker's range then spans both (two integer tables consistent with everything known).
    /// </summary>
    private Candidate? SearchBest(int primary, Mode mode)
    {
        if (mode.CheckOnly)
        {
            return CheckBest(primary, mode);
        }

        var single = Search(primary, mode);
        if (single is { Cost: 0 })
        {
            // Nothing is cheaper: a pair replaces the best only when it costs strictly less.
            return single;
        }

        var width = AttackerBounds.RequiredWidth(_table, _rules, _table.Counts[primary], _weaker.GetValueOrDefault(primary, Guarantee.Full));
        var best = single;
        var added = new List<int>();
        for (var up = 1L; up < width; up++)
        {
            if (Search(primary, mode with { NeedUp = up }) is not { } rise || rise.Cost >= best?.Cost)
            {
                // No rise, or one that costs as much as the best already: no pair with it can be cheaper.
                continue;
            }

            // The second hypercube is costed with the first one's cells suppressed.
            added.Clear();
            foreach (var cell in rise.Cells)
            {
                if (!_suppressed[cell])
                {
                    SetSuppressed(cell, true);
                    added.Add(cell);
                }
            }

            var fall = Search(primary, mode with { NeedDown = width - up });
            foreach (var cell in added)
            {
                SetSuppressed(cell, false);
            }

            if (fall is { } down && (best is null || rise.Cost + down.Cost < best.Value.Cost))
            {
                best = new Candidate(rise.Cost + down.Cost, [.. rise.Cells.Union(down.Cells)], mode.Insiders);
            }
        }

        return best;
    }

    /// <summary>
    /// <see cref="SearchBest"/> for a check (suppressed cells only): the single hypercube if there is one, else the
    /// first pair (by how far up its first hypercube goes) of which both hypercubes exist. Every search involved
    /// (the single one, each pair's up and down one) is run together in one walk of the moves' product
    /// (<see cref="Checks"/>), each exactly as it would run alone, so the result is that of the searches one by one.
    /// </summary>
    private Candidate? CheckBest(int primary, Mode mode)
    {
        if (!PrepareMoves(primary, mode))
        {
            return null;
        }

        var width = AttackerBounds.RequiredWidth(_table, _rules, _table.Counts[primary], _model);
        for (var first = 0L; first == 0 || first < width; first += Checks.MaxPairs)
        {
            // Pairs by batches (a wide protection level has many): the first batch carries the single hypercube.
            var from = Math.Max(1, first);
            var to = Math.Min(width - 1, first + Checks.MaxPairs - 1);
            _checks.Run(primary, mode, width, single: first == 0, from, to);
            if (_checks.Result is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The state of one depth-first search over the moves' product.</summary>
    private sealed class Dfs(SecondarySuppression owner)
    {
        private readonly SecondarySuppression _engine = owner;
        private readonly List<Move>[] _moves = owner._moveLists;
        private readonly List<int> _bestCells = new(64);
        private int[] _cells = new int[64];
        private int[] _signs = new int[64];
        private int _count;
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
            _cells[0] = _primary;
            _signs[0] = 1;
            _count = 1;
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
                    _bestCells.AddRange(_cells.AsSpan(0, _count));
                    _found = true;
                    _bestCost = cost;
                    _done = cost == 0;
                }

                return;
            }

            var engine = _engine;
            var stride = engine._table.Strides[depth];
            var own = engine._primaryCodes[depth];
            var count = _count;
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
                Reserve(ref _cells, ref _signs, count * codes.Length);
                var cells = _cells;
                var signs = _signs;
                var at = count;
                for (var k = 1; k < codes.Length && valid; k++)
                {
                    var offset = (codes[k] - own) * stride;
                    var moveSign = move.Signs[k];
                    for (var i = 0; i < count && valid; i++)
                    {
                        var cell = cells[i] + offset;
                        var sign = signs[i] * moveSign;
                        valid = engine.Admit(_primary, cell, sign, _mode, ref moveCost, ref moveRoom, _required)
                            && moveCost <= _bestCost
                            && (!_found || moveCost < _bestCost || _mode.CheckOnly);
                        cells[at] = cell;
                        signs[at++] = sign;
                    }
                }

                if (valid)
                {
                    _count = at;
                    Visit(depth + 1, moveCost, moveRoom);
                }

                _count = count;
            }
        }
    }

    /// <summary>
    /// Several check-only searches of one primary over the same moves, walked together: the single hypercube's (the
    /// whole width) and, for each u of a batch, a pair's first (up by u) and second (down by width − u). A search sees
    /// exactly the nodes, the visit count and the stop it would alone — the same moves in the same order, each node
    /// entered when its cells are suppressed and its room meets that search's need — so each finds what it would
    /// alone; the walk only shares the nodes they have in common and stops the searches whose result can no longer
    /// be chosen (everything once the single one is found; a pair whose other half failed; the pairs after a found one).
    /// </summary>
    private sealed class Checks(SecondarySuppression owner)
    {
        /// <summary>Pairs per walk (two searches each, and the single one: at most 63 searches, one bit each).</summary>
        public const int MaxPairs = 31;

        private readonly SecondarySuppression _engine = owner;
        private readonly List<Move>[] _moves = owner._moveLists;
        private int[] _cells = new int[64];
        private int[] _signs = new int[64];
        private int _count;
        private readonly Need[] _needs = new Need[(2 * MaxPairs) + 1];
        private readonly int[] _visited = new int[(2 * MaxPairs) + 1];
        private readonly List<int>[] _found = [.. Enumerable.Range(0, (2 * MaxPairs) + 1).Select(_ => new List<int>(64))];
        private int _primary;
        private Mode _mode;
        private int _searches;
        private ulong _done;
        private ulong _reached;

        /// <summary>The single hypercube, else the first pair found, else null.</summary>
        public Candidate? Result { get; private set; }

        /// <summary>
        /// Runs the single search (when <paramref name="single"/>) and the pairs' searches for u in
        /// [<paramref name="from"/>, <paramref name="to"/>]. Search 0 is the single one; pair u's up and down searches
        /// are 1 + 2(u − from) and the next.
        /// </summary>
        public void Run(int primary, Mode mode, long width, bool single, long from, long to)
        {
            _primary = primary;
            _mode = mode;
            _searches = 1 + (2 * (int)Math.Max(0, to - from + 1));
            _needs[0] = new Need(width, 0, 0);
            for (var u = from; u <= to; u++)
            {
                var s = 1 + (2 * (int)(u - from));
                _needs[s] = new Need(0, u, 0);
                _needs[s + 1] = new Need(0, 0, width - u);
            }

            Array.Clear(_visited, 0, _searches);
            _reached = 0;
            _done = single ? 0 : 1UL;
            _cells[0] = primary;
            _signs[0] = 1;
            _count = 1;
            var engine = _engine;
            var room = new Room(engine._upRoom[primary], engine._downRoom[primary], true, engine._sumsCanDecrease[primary]);
            var active = Meeting(room, ~_done & Mask(_searches));
            if (active != 0)
            {
                Visit(0, room, active);
            }

            Result = null;
            if ((_reached & 1) != 0)
            {
                Result = new Candidate(0, [.. _found[0]], mode.Insiders);
                return;
            }

            for (var s = 1; s < _searches; s += 2)
            {
                if (((_reached >> s) & 3) == 3)
                {
                    Result = new Candidate(0, [.. _found[s].Union(_found[s + 1])], mode.Insiders);
                    return;
                }
            }
        }

        private static ulong Mask(int searches) => searches >= 64 ? ulong.MaxValue : (1UL << searches) - 1;

        /// <summary>The searches among <paramref name="searches"/> whose need <paramref name="room"/> meets.</summary>
        private ulong Meeting(Room room, ulong searches)
        {
            var meeting = 0UL;
            for (var bits = searches; bits != 0; bits &= bits - 1)
            {
                var s = BitOperations.TrailingZeroCount(bits);
                if (room.Suffices(_needs[s], _engine._withSums))
                {
                    meeting |= 1UL << s;
                }
            }

            return meeting;
        }

        private void Visit(int depth, Room room, ulong active)
        {
            if (depth == _moves.Length)
            {
                for (var bits = active & ~_done; bits != 0; bits &= bits - 1)
                {
                    var s = BitOperations.TrailingZeroCount(bits);
                    _found[s].Clear();
                    _found[s].AddRange(_cells.AsSpan(0, _count));
                    _reached |= 1UL << s;
                    Stop(s);
                }

                return;
            }

            var engine = _engine;
            var stride = engine._table.Strides[depth];
            var own = engine._primaryCodes[depth];
            var count = _count;
            foreach (var move in _moves[depth])
            {
                // Each search still going counts the move, and stops one past its limit, as it would alone.
                for (var bits = active & ~_done; bits != 0; bits &= bits - 1)
                {
                    var s = BitOperations.TrailingZeroCount(bits);
                    if (++_visited[s] > _mode.Limit)
                    {
                        Stop(s);
                    }
                }

                var live = active & ~_done;
                if (live == 0)
                {
                    return;
                }

                var moveRoom = room;
                var valid = true;
                var codes = CollectionsMarshal.AsSpan(engine._codeBuffers[depth]).Slice(move.Start, move.Length);
                Reserve(ref _cells, ref _signs, count * codes.Length);
                var cells = _cells;
                var signs = _signs;
                var at = count;
                for (var k = 1; k < codes.Length && valid; k++)
                {
                    var offset = (codes[k] - own) * stride;
                    var moveSign = move.Signs[k];
                    for (var i = 0; i < count && valid; i++)
                    {
                        var cell = cells[i] + offset;
                        var sign = signs[i] * moveSign;
                        valid = engine.AdmitSuppressed(_primary, cell, sign, _mode, ref moveRoom);
                        cells[at] = cell;
                        signs[at++] = sign;
                    }

                    // The room only narrows: once it meets no search's need, no later cell helps.
                    valid = valid && Meeting(moveRoom, live) != 0;
                }

                var next = valid ? Meeting(moveRoom, live) : 0;
                if (next != 0)
                {
                    _count = at;
                    Visit(depth + 1, moveRoom, next);
                }

                _count = count;
            }
        }

        /// <summary>Stops a search, and those whose result can no longer be chosen.</summary>
        private void Stop(int s)
        {
            _done |= 1UL << s;
            if (s == 0)
            {
                if ((_reached & 1) != 0)
                {
                    // The single hypercube wins over any pair.
                    _done = ulong.MaxValue;
                }

                return;
            }

            var pair = s - ((s - 1) % 2);
            var partner = s == pair ? s + 1 : pair;
            if (((_reached >> s) & 1) == 0)
            {
                // Not found: the pair cannot be completed.
                _done |= 1UL << partner;
            }
            else if (((_reached >> partner) & 1) != 0)
            {
                // A complete pair: the later pairs cannot be chosen.
                _done |= ~Mask(pair + 2);
            }
        }
    }

    /// <summary>Grows a walk's cell and sign stacks to hold <paramref name="size"/> entries.</summary>
    private static void Reserve(ref int[] cells, ref int[] signs, int size)
    {
        if (cells.Length < size)
        {
            var length = Math.Max(size, 2 * cells.Length);
            Array.Resize(ref cells, length);
            Array.Resize(ref signs, length);
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
            if (mode.CheckOnly || (!mode.AllowPublic && _public[cell]))
            {
                return false;
            }

            cost += Weight(_table.Counts[cell]);
        }

        return mode.Insiders == Insiders.Ignored || _table.Counts[cell] != 1 || InsiderHarmless(primary, cell);
    }

    /// <summary>
    /// <see cref="Admit"/> for a check (the cell must be suppressed already), without the need: narrows the room by the
    /// cell and returns false when the cell cannot serve.
    /// </summary>
    private bool AdmitSuppressed(int primary, int cell, int sign, Mode mode, ref Room room)
    {
        var (up, down) = sign > 0 ? (_upRoom[cell], _downRoom[cell]) : (_downRoom[cell], _upRoom[cell]);
        var sumsDown = _sumsCanDecrease[cell];
        room = new Room(
            Math.Min(room.Up, up),
            Math.Min(room.Down, down),
            room.SumsUp && (sign > 0 || sumsDown),
            room.SumsDown && (sign < 0 || sumsDown));
        return cell != mode.Avoid
            && _suppressed[cell]
            && (mode.Insiders == Insiders.Ignored || _table.Counts[cell] != 1 || InsiderHarmless(primary, cell));
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

    /// <summary>The cost of suppressing a cell: few cells and small ones (see <see cref="CellWeightOf"/>).</summary>
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
        foreach (var chain in DownChains(hierarchy, line, stride, code, mode, mode.Chains, _ownChains))
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
                    KeepCheapest(siblings, SiblingsPerLevel);
                }

                foreach (var (_, sibling) in siblings)
                {
                    foreach (var siblingChain in DownChains(hierarchy, line, stride, sibling, mode, siblingChoices, _siblingChains))
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

        SortMoves(moves, limited ? perDimension : int.MaxValue);
        return moves;
    }

    /// <summary>
    /// Sorts moves by proxy, then order of generation — a total order, so any sort gives the same sequence — keeping
    /// the first <paramref name="keep"/> only when the search keeps no more (the others are never used).
    /// </summary>
    private static void SortMoves(List<Move> moves, int keep)
    {
        var span = CollectionsMarshal.AsSpan(moves);
        if (span.Length > 64 && keep >= span.Length)
        {
            span.Sort(static (a, b) => Before(a, b) ? -1 : Before(b, a) ? 1 : 0);
            return;
        }

        // Few moves: an insertion sort, bounded to the first `keep` kept in order.
        var kept = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var item = span[i];
            var at = Math.Min(kept, keep);
            if (at == keep && !Before(item, span[keep - 1]))
            {
                continue;
            }

            var last = Math.Min(kept, keep - 1);
            while (at > 0 && Before(item, span[at - 1]))
            {
                at--;
            }

            for (var j = last; j > at; j--)
            {
                span[j] = span[j - 1];
            }

            span[at] = item;
            kept = Math.Min(kept + 1, keep);
        }

        if (kept < moves.Count)
        {
            moves.RemoveRange(kept, moves.Count - kept);
        }

        static bool Before(Move a, Move b) => a.Proxy != b.Proxy ? a.Proxy < b.Proxy : a.Order < b.Order;
    }

    /// <summary>
    /// Keeps the <paramref name="keep"/> cheapest siblings by score, then code, in that order: what sorting them all
    /// and keeping the first would give, without sorting the others.
    /// </summary>
    private static void KeepCheapest(List<(double Score, int Sibling)> siblings, int keep)
    {
        var span = CollectionsMarshal.AsSpan(siblings);
        for (var i = 1; i < span.Length; i++)
        {
            var item = span[i];
            var at = Math.Min(i, keep);
            if (at == keep && !Before(item, span[keep - 1]))
            {
                continue;
            }

            // Insert among the first ones kept (sorted), the last of them falling out when they are full.
            var last = Math.Min(i, keep - 1);
            while (at > 0 && Before(item, span[at - 1]))
            {
                at--;
            }

            for (var j = last; j > at; j--)
            {
                span[j] = span[j - 1];
            }

            span[at] = item;
        }

        siblings.RemoveRange(keep, siblings.Count - keep);

        static bool Before((double Score, int Sibling) a, (double Score, int Sibling) b) =>
            a.Score != b.Score ? a.Score < b.Score : a.Sibling < b.Sibling;
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
    private List<int[]> DownChains(Hierarchy hierarchy, int line, int stride, int code, Mode mode, int choices, List<int[]> chains)
    {
        if (hierarchy.IsLeaf(code))
        {
            return LeafChain;
        }

        chains.Clear();
        if (mode.CheckOnly)
        {
            var path = _path;
            path.Clear();
            SuppressedChains(hierarchy, line, stride, code, path, chains, choices);
            return chains;
        }

        if (mode.Chains > ChainChoices)
        {
            // A wide search (an insider to avoid): every chain, cheapest first, up to a bound.
            var all = new List<(double Score, int[] Chain)>();
            AllChains(hierarchy, line, stride, code, [], 0, all);
            chains.AddRange(all.OrderBy(c => c.Score).Take(WideChainChoices).Select(c => c.Chain));
            return chains;
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
            var path = _path;
            path.Clear();
            for (var c = firsts[f]; c >= 0; c = hierarchy.IsLeaf(c) ? -1 : CheapestChild(hierarchy, line, stride, c))
            {
                path.Add(c);
            }

            chains.Add([.. path]);
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
    private double PrefixWeight(int cell) => _newCosts[cell];

    /// <summary>How unattractive a cell is as a step of a chain down.</summary>
    private double Score(int cell) => _scores[cell];

    /// <summary>
    /// The parts of <see cref="Score"/> that do not change (read for every child of every chain, so computed once): a
    /// suppressed cell's score, its penalty alone, and a published cell's, its weight as well (integers: exact sums).
    /// </summary>
    private (double[] Penalties, double[] OpenScores) Scores()
    {
        var penalties = new double[_table.CellCount];
        var open = new double[_table.CellCount];
        for (var cell = 0; cell < penalties.Length; cell++)
        {
            var score = 0.0;
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

            penalties[cell] = score;
            open[cell] = Weight(_table.Counts[cell]) + score;
        }

        return (penalties, open);
    }

    /// <summary>The weight of the move's new suppressions along the line through the primary (a cheap estimate).</summary>
    private double Proxy(int line, int stride, ReadOnlySpan<int> codes, int[] signs)
    {
        var cost = 0.0;
        for (var i = 1; i < codes.Length; i++)
        {
            var cell = line + (codes[i] * stride);
            cost += _newCosts[cell];

            if ((signs[i] < 0 && _rooms[0].Down[cell] == 0) || _rooms[0].Up[cell] == 0)
            {
                cost += 1_000;
            }
        }

        return cost;
    }
}
