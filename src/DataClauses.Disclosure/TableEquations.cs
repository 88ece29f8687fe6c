namespace DataClauses.Disclosure;

/// <summary>The additivity equations of a table: parent = Σ children along one dimension, the other codes fixed.</summary>
internal static class TableEquations
{
    /// <summary>Every equation of the table, as the parent cell and its children cells.</summary>
    public static IEnumerable<(int Parent, int[] Children)> Of(Table table)
    {
        var dimensions = table.Dimensions;
        for (var d = 0; d < dimensions.Count; d++)
        {
            var hierarchy = dimensions[d].Hierarchy;
            var stride = table.Strides[d];
            var block = stride * hierarchy.Count;
            for (var outer = 0; outer < table.CellCount; outer += block)
            {
                for (var inner = 0; inner < stride; inner++)
                {
                    var line = outer + inner;
                    for (var code = 0; code < hierarchy.Count; code++)
                    {
                        var children = hierarchy.Children[code];
                        if (children.Length == 0)
                        {
                            continue;
                        }

                        var cells = new int[children.Length];
                        for (var i = 0; i < children.Length; i++)
                        {
                            cells[i] = line + (children[i] * stride);
                        }

                        yield return (line + (code * stride), cells);
                    }
                }
            }
        }
    }
}
