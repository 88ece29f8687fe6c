namespace DataClauses.Disclosure;

/// <summary>
/// The codes of one dimension as a tree rooted at a total (e.g. Total ⊃ EPCI ⊃ commune ⊃ QPV, or Total ⊃ categories).
/// Index 0 is the root; every other code has a parent; a parent's value is the sum of its children's.
/// </summary>
public sealed class Hierarchy
{
    private readonly Dictionary<string, int> _index;

    private Hierarchy(string[] codes, int[] parents)
    {
        Codes = codes;
        Parents = parents;
        _index = new Dictionary<string, int>(codes.Length, StringComparer.Ordinal);
        for (var i = 0; i < codes.Length; i++)
        {
            _index.Add(codes[i], i);
        }

        var children = new List<int>[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            children[i] = [];
        }

        for (var i = 1; i < codes.Length; i++)
        {
            children[parents[i]].Add(i);
        }

        Children = [.. children.Select(c => c.ToArray())];
        var depths = new int[codes.Length];
        for (var i = 1; i < codes.Length; i++)
        {
            // Parents may be declared after their children: walk up to the root.
            for (var p = parents[i]; p > 0; p = parents[p])
            {
                depths[i]++;
            }

            depths[i]++;
        }

        Depths = depths;

        // Deepest first, so that rolling up visits a child before its parent.
        BottomUp = [.. Enumerable.Range(0, codes.Length).OrderByDescending(i => depths[i]).ThenBy(i => i)];
    }

    /// <summary>The name of the root (total) code.</summary>
    public const string DefaultTotal = "Total";

    /// <summary>Codes; index 0 is the total.</summary>
    public IReadOnlyList<string> Codes { get; }

    /// <summary>Parent index of each code (-1 for the root).</summary>
    public IReadOnlyList<int> Parents { get; }

    /// <summary>Children indexes of each code.</summary>
    public IReadOnlyList<int[]> Children { get; }

    /// <summary>Depth of each code (root 0).</summary>
    public IReadOnlyList<int> Depths { get; }

    /// <summary>Code indexes, deepest first.</summary>
    internal int[] BottomUp { get; }

    /// <summary>Number of codes including the total.</summary>
    public int Count => Codes.Count;

    /// <summary>True when the code has no children (a leaf: data are given at that level).</summary>
    public bool IsLeaf(int index) => Children[index].Length == 0;

    /// <summary>The index of a code, or -1.</summary>
    public int IndexOf(string code) => _index.TryGetValue(code, out var index) ? index : -1;

    /// <summary>A flat hierarchy: a total over the given categories.</summary>
    public static Hierarchy Flat(IEnumerable<string> categories, string total = DefaultTotal)
    {
        ArgumentNullException.ThrowIfNull(categories);
        return FromParents(categories.Select(c => (c, (string?)total)), total);
    }

    /// <summary>
    /// A hierarchy from (code, parent) pairs; a null parent means the total. Parents must be declared codes; codes
    /// must be unique and differ from the total.
    /// </summary>
    public static Hierarchy FromParents(IEnumerable<(string Code, string? Parent)> pairs, string total = DefaultTotal)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var list = pairs.ToList();
        var codes = new List<string> { total };
        var seen = new HashSet<string>(StringComparer.Ordinal) { total };
        foreach (var (code, _) in list)
        {
            if (string.IsNullOrEmpty(code))
            {
                throw new ArgumentException("A code must not be empty.", nameof(pairs));
            }

            if (!seen.Add(code))
            {
                throw new ArgumentException($"Code '{code}' appears twice (or equals the total's name).", nameof(pairs));
            }

            codes.Add(code);
        }

        var index = codes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var parents = new int[codes.Count];
        parents[0] = -1;
        for (var i = 0; i < list.Count; i++)
        {
            var parent = list[i].Parent ?? total;
            if (!index.TryGetValue(parent, out var p))
            {
                throw new ArgumentException($"Code '{list[i].Code}' names parent '{parent}', which is not a code.", nameof(pairs));
            }

            parents[i + 1] = p;
        }

        // Every code must reach the root: no cycles.
        for (var i = 1; i < codes.Count; i++)
        {
            var steps = 0;
            for (var p = parents[i]; p != 0; p = parents[p])
            {
                if (p == i || ++steps > codes.Count)
                {
                    throw new ArgumentException($"Code '{codes[i]}' is its own ancestor.", nameof(pairs));
                }
            }
        }

        return new Hierarchy([.. codes], parents);
    }
}
