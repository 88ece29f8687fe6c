namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// The additivity equations of a table, derived from its dimensions alone (independently of the library's internals):
/// for every dimension, every code with children, and every combination of the other dimensions' codes (totals
/// included), the cell with that code equals the sum of the cells with its children.
/// </summary>
internal static class Additivity
{
    /// <summary>One equation: <c>Parent = Σ Children</c>, as flat cell indexes.</summary>
    internal sealed record Equation(int Parent, int[] Children);

    public static List<Equation> Equations(Table table)
    {
        var dimensions = table.Dimensions;
        var equations = new List<Equation>();
        var codes = new int[dimensions.Count];
        for (var d = 0; d < dimensions.Count; d++)
        {
            var hierarchy = dimensions[d].Hierarchy;
            foreach (var others in Combinations(dimensions, skip: d))
            {
                others.CopyTo(codes, 0);
                for (var code = 0; code < hierarchy.Count; code++)
                {
                    if (hierarchy.Children[code].Length == 0)
                    {
                        continue;
                    }

                    codes[d] = code;
                    var parent = table.IndexOf(codes);
                    var children = new int[hierarchy.Children[code].Length];
                    for (var i = 0; i < children.Length; i++)
                    {
                        codes[d] = hierarchy.Children[code][i];
                        children[i] = table.IndexOf(codes);
                    }

                    equations.Add(new Equation(parent, children));
                }
            }
        }

        return equations;
    }

    /// <summary>Every combination of code indexes over the dimensions, dimension <paramref name="skip"/> held at 0.</summary>
    private static IEnumerable<int[]> Combinations(IReadOnlyList<Dimension> dimensions, int skip)
    {
        var codes = new int[dimensions.Count];
        while (true)
        {
            yield return (int[])codes.Clone();
            var d = dimensions.Count - 1;
            while (d >= 0 && (d == skip || ++codes[d] == dimensions[d].Hierarchy.Count))
            {
                if (d != skip)
                {
                    codes[d] = 0;
                }

                d--;
            }

            if (d < 0)
            {
                yield break;
            }
        }
    }
}
