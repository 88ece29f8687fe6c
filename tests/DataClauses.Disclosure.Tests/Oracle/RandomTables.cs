using System.Globalization;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>A generated table with the rules it is protected under, and a short description for failure messages.</summary>
internal sealed record TableCase(Table Table, DisclosureRules Rules, string Description)
{
    public override string ToString() => Description;
}

/// <summary>What <see cref="RandomTables"/> may generate.</summary>
internal sealed record TableShape
{
    public int MinDimensions { get; init; } = 2;

    public int MaxDimensions { get; init; } = 4;

    /// <summary>Tables with more cells (totals included) are drawn again.</summary>
    public int MaxCells { get; init; } = 300;

    /// <summary>Probability that a dimension is hierarchical (2 or 3 levels below its total).</summary>
    public double HierarchyProbability { get; init; } = 0.4;

    /// <summary>Whether sums (and so dominance and p% rules) may be drawn.</summary>
    public bool Sums { get; init; } = true;

    /// <summary>Whether zeros may be protected.</summary>
    public bool ProtectZeros { get; init; } = true;

    /// <summary>Probability that the grand total is listed as public.</summary>
    public double PublicTotalProbability { get; init; } = 0.5;
}

/// <summary>
/// Random tables for property tests: 2 to 4 dimensions, some hierarchical (QPV ⊂ commune ⊂ EPCI style), skewed small
/// counts with many zeros and ones, microdata records with skewed values (so dominance happens), and random rules.
/// Deterministic for a given <see cref="Random"/> seed.
/// </summary>
internal static class RandomTables
{
    public static TableCase Generate(Random random, TableShape shape)
    {
        while (true)
        {
            var dimensionCount = random.Next(shape.MinDimensions, shape.MaxDimensions + 1);
            var dimensions = new List<Dimension>();
            var shapeText = new List<string>();
            for (var d = 0; d < dimensionCount; d++)
            {
                var (hierarchy, text) = RandomHierarchy(random, d, dimensionCount, shape.HierarchyProbability);
                dimensions.Add(new Dimension($"d{d}", hierarchy));
                shapeText.Add(text);
            }

            var cells = dimensions.Aggregate(1L, (n, dimension) => n * dimension.Hierarchy.Count);
            if (cells > shape.MaxCells)
            {
                continue;
            }

            var measureCount = shape.Sums ? random.Next(10) switch { < 5 => 0, < 9 => 1, _ => 2 } : 0;
            var rules = RandomRules(random, measureCount, shape);
            return Fill(random, dimensions, measureCount, rules, string.Join(" × ", shapeText));
        }
    }

    /// <summary>A table over given dimensions with random skewed counts (and values for the measures), under given rules.</summary>
    public static TableCase Fill(Random random, IReadOnlyList<Dimension> dimensions, int measureCount, DisclosureRules rules, string shapeText)
    {
        var builder = new TableBuilder(dimensions, [.. Enumerable.Range(0, measureCount).Select(m => $"m{m}")], rules.TopContributionsNeeded);
        var leaves = dimensions.Select(dimension => Enumerable.Range(0, dimension.Hierarchy.Count).Where(dimension.Hierarchy.IsLeaf).ToArray()).ToArray();
        var skew = random.NextDouble();
        foreach (var combination in Product(leaves))
        {
            var count = RandomCount(random, skew);
            var codes = combination.Select((code, d) => dimensions[d].Hierarchy.Codes[code]).ToArray();
            var values = new double[measureCount];
            for (var i = 0; i < count; i++)
            {
                for (var m = 0; m < measureCount; m++)
                {
                    // Mostly modest amounts, sometimes a large one that dominates its cell.
                    values[m] = random.Next(20) == 0 ? random.Next(1_000, 20_000) : random.Next(0, 400);
                }

                builder.AddRecord(codes, values);
            }
        }

        var table = builder.Build();
        var description = string.Create(CultureInfo.InvariantCulture,
            $"{shapeText} ({table.CellCount} cells), measures {measureCount}, min {rules.MinCount}, dominance {rules.Dominance?.ToString() ?? "-"}, p% {rules.PPercent?.ToString(CultureInfo.InvariantCulture) ?? "-"}, zeros {(rules.ProtectZeros ? "protected" : "published")}, public total {rules.PublicCells.Count > 0}");
        return new TableCase(table, rules, description);
    }

    private static (Hierarchy Hierarchy, string Text) RandomHierarchy(Random random, int dimension, int dimensionCount, double hierarchyProbability)
    {
        var maxLeaves = dimensionCount switch { 2 => 6, 3 => 4, _ => 3 };
        if (random.NextDouble() >= hierarchyProbability)
        {
            var n = random.Next(2, maxLeaves + 1);
            return (Hierarchy.Flat(Enumerable.Range(0, n).Select(i => $"c{dimension}{i}")), $"{n}");
        }

        // Two or three levels below the total; some groups with a single child (a commune with one QPV).
        var pairs = new List<(string, string?)>();
        var levels = random.Next(2, 4);
        var groups = random.Next(1, 3);
        var leaves = 0;
        for (var g = 0; g < groups; g++)
        {
            var group = $"g{dimension}{g}";
            pairs.Add((group, null));
            var subgroups = levels == 3 ? random.Next(1, 3) : 1;
            for (var s = 0; s < subgroups; s++)
            {
                var parent = group;
                if (levels == 3)
                {
                    parent = $"{group}s{s}";
                    pairs.Add((parent, group));
                }

                var n = random.Next(1, Math.Max(2, maxLeaves - 1));
                for (var i = 0; i < n; i++)
                {
                    pairs.Add(($"{parent}l{i}", parent));
                    leaves++;
                }
            }
        }

        return leaves < 2
            ? RandomHierarchy(random, dimension, dimensionCount, hierarchyProbability)
            : (Hierarchy.FromParents(pairs), $"h{levels}({leaves})");
    }

    private static long RandomCount(Random random, double skew)
    {
        // skew near 1: mostly tiny counts; near 0: mostly comfortable ones.
        var draw = random.NextDouble();
        return draw switch
        {
            _ when draw < 0.12 + (0.2 * skew) => 0,
            _ when draw < 0.25 + (0.3 * skew) => 1,
            _ when draw < 0.45 + (0.3 * skew) => random.Next(2, 5),
            _ when draw < 0.85 => random.Next(5, 16),
            _ => random.Next(16, 60),
        };
    }

    private static DisclosureRules RandomRules(Random random, int measureCount, TableShape shape)
    {
        (int, double)? dominance = measureCount > 0 && random.Next(3) > 0
            ? (random.Next(1, 3), random.Next(60, 95))
            : null;
        double? pPercent = measureCount > 0 && random.Next(4) == 0 ? random.Next(5, 30) : null;
        return new DisclosureRules
        {
            MinCount = random.Next(3, 7),
            Dominance = dominance,
            PPercent = pPercent,
            ProtectZeros = shape.ProtectZeros && random.Next(5) == 0,
            PublicCells = random.NextDouble() < shape.PublicTotalProbability ? new HashSet<int> { 0 } : new HashSet<int>(),
        };
    }

    /// <summary>Every combination of one element per array.</summary>
    internal static IEnumerable<int[]> Product(int[][] choices)
    {
        var index = new int[choices.Length];
        if (choices.Any(c => c.Length == 0))
        {
            yield break;
        }

        while (true)
        {
            yield return [.. index.Select((i, d) => choices[d][i])];
            var d = choices.Length - 1;
            while (d >= 0 && ++index[d] == choices[d].Length)
            {
                index[d] = 0;
                d--;
            }

            if (d < 0)
            {
                yield break;
            }
        }
    }
}
