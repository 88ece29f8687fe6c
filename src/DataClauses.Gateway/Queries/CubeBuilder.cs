using System.Data.Common;
using System.Globalization;
using System.Text;
using DataClauses.Disclosure;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// Builds a protected cube: aggregation pushed down to SQL at the leaves (one <c>GROUP BY</c> over the leaf geography
/// and the categorical dimensions; the largest contributions by <c>ROW_NUMBER()</c> when dominance or p% needs them),
/// every marginal rolled up by the Disclosure library, then primary and secondary suppression and rounding over the
/// whole table. SQL is parameter-free: the table name is a generated one and the columns are the validated schema's,
/// checked again here and quoted.
/// </summary>
internal static partial class CubeBuilder
{
    public static async Task<ProtectedCube> BuildAsync(
        GatewayDbContext db, CubeDefinition definition, PublishedVersion version, DateTimeOffset builtAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(version);
        if (definition.Linked is { } linked)
        {
            return await BuildLinkedAsync(db, definition, linked, version, builtAt, cancellationToken);
        }

        var sql = new CubeSql(definition, version);
        var top = definition.Rules.TopContributionsNeeded;

        await db.Database.OpenConnectionAsync(cancellationToken);
        List<LeafAggregate> aggregates;
        Dictionary<string, List<double>[]>? largest = null;
        try
        {
            aggregates = await ReadAggregatesAsync(db, sql, cancellationToken);
            if (top > 0 && sql.Sums.Count > 0)
            {
                largest = await ReadLargestAsync(db, sql, top, cancellationToken);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return FromAggregates(definition, version.Version, aggregates, largest, builtAt);
    }

    /// <summary>
    /// The protected cube of leaf aggregates (codes: the leaf geography when the cube has a geographic column, then the
    /// categories in order): every marginal rolled up, then protected under the definition's rules.
    /// </summary>
    internal static ProtectedCube FromAggregates(
        CubeDefinition definition, string version, IReadOnlyList<LeafAggregate> aggregates, IReadOnlyDictionary<string, List<double>[]>? largest, DateTimeOffset builtAt)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(aggregates);
        var rules = definition.Rules with { PublicCells = definition.PublicTotal ? new HashSet<int> { 0 } : new HashSet<int>() };
        var top = rules.TopContributionsNeeded;
        var sums = definition.Measures.Where(m => m.Kind == MeasureKind.Sum).Select(m => m.Name).ToList();
        var hasGeoColumn = definition.Geo.LeafColumn is not null;
        var dimensions = DimensionsOf(definition, aggregates);
        var geo = dimensions[0].Hierarchy;
        var offset = hasGeoColumn ? 1 : 0;

        var builder = new TableBuilder([.. dimensions.Select(d => new Dimension(d.Name, d.Hierarchy))], sums, top);
        var codes = new string[dimensions.Count];
        foreach (var aggregate in aggregates)
        {
            codes[0] = hasGeoColumn ? aggregate.Codes[0] : geo.Codes[0];
            for (var d = 1; d < codes.Length; d++)
            {
                codes[d] = aggregate.Codes[d - 1 + offset];
            }

            IReadOnlyList<double[]>? contributions = null;
            if (largest is not null && largest.TryGetValue(aggregate.Key, out var lists))
            {
                contributions = [.. lists.Select(l => l.ToArray())];
            }

            // A code outside the contract (a value the contract no longer declares) makes the builder throw: fail closed.
            builder.AddAggregate(codes, aggregate.Count, aggregate.Sums, contributions);
        }

        var table = builder.Build();
        var protectedTable = TableProtector.Protect(table, rules);
        return ProtectedCube.From(definition.KeyFor(version), builtAt, protectedTable, dimensions, definition.Measures);
    }

    /// <summary>
    /// A cube's dimensions for its leaf aggregates: the geographic hierarchy (IRIS codes from the data), then each
    /// category's declared values, or the values met in the data when the contract declares none.
    /// </summary>
    private static List<CubeDimension> DimensionsOf(CubeDefinition definition, IReadOnlyList<LeafAggregate> aggregates)
    {
        var hasGeoColumn = definition.Geo.LeafColumn is not null;
        var (geo, levels) = definition.GeoHierarchy(hasGeoColumn ? aggregates.Select(a => a.Codes[0]) : []);
        var dimensions = new List<CubeDimension> { new(GeoDefinition.DimensionName, geo, levels, definition.Geo.Columns) };
        var offset = hasGeoColumn ? 1 : 0;
        dimensions.AddRange(definition.Categories.Select((c, i) => new CubeDimension(
            c.Name,
            Hierarchy.Flat(c.Values.Count > 0 ? c.Values : aggregates.Select(a => a.Codes[i + offset]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)))));
        return dimensions;
    }

    private static async Task<List<LeafAggregate>> ReadAggregatesAsync(GatewayDbContext db, CubeSql sql, CancellationToken cancellationToken)
    {
        await using var command = Command(db, sql.AggregateSql());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<LeafAggregate>();
        var groups = sql.GroupColumns.Count;
        while (await reader.ReadAsync(cancellationToken))
        {
            var codes = new string[groups];
            for (var g = 0; g < groups; g++)
            {
                codes[g] = reader.GetString(g);
            }

            var count = Convert.ToInt64(reader.GetValue(groups), CultureInfo.InvariantCulture);
            var sums = new double[sql.Sums.Count];
            for (var s = 0; s < sums.Length; s++)
            {
                sums[s] = reader.IsDBNull(groups + 1 + s) ? 0 : Convert.ToDouble(reader.GetValue(groups + 1 + s), CultureInfo.InvariantCulture);
            }

            rows.Add(new LeafAggregate(codes, count, sums));
        }

        return rows;
    }

    private static async Task<Dictionary<string, List<double>[]>> ReadLargestAsync(GatewayDbContext db, CubeSql sql, int top, CancellationToken cancellationToken)
    {
        var largest = new Dictionary<string, List<double>[]>(StringComparer.Ordinal);
        for (var s = 0; s < sql.Sums.Count; s++)
        {
            await using var command = Command(db, sql.LargestSql(sql.Sums[s], top));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var groups = sql.GroupColumns.Count;
            var codes = new string?[groups];
            while (await reader.ReadAsync(cancellationToken))
            {
                for (var g = 0; g < groups; g++)
                {
                    // Null only in a linked cube's aggregation, which keeps rows some column lacks (to check them).
                    codes[g] = reader.IsDBNull(g) ? null : reader.GetString(g);
                }

                var key = LeafAggregate.KeyOfNullable(codes);
                if (!largest.TryGetValue(key, out var lists))
                {
                    largest[key] = lists = [.. Enumerable.Range(0, sql.Sums.Count).Select(_ => new List<double>(top))];
                }

                lists[s].Add(Convert.ToDouble(reader.GetValue(groups), CultureInfo.InvariantCulture));
            }
        }

        return largest;
    }

    private static DbCommand Command(GatewayDbContext db, string text)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = text;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return command;
    }


    /// <summary>The SQL of one cube: group columns (leaf geography first, then categories) and sum columns, quoted.</summary>
    private sealed class CubeSql
    {
        private readonly string _table;

        private readonly bool _keepNulls;

        public CubeSql(CubeDefinition definition, PublishedVersion version)
            : this(version, [.. definition.Geo.LeafColumn is { } leaf ? new[] { leaf } : [], .. definition.Categories.Select(c => c.Name)],
                  [.. definition.Measures.Where(m => m.Kind == MeasureKind.Sum).Select(m => m.Name)], keepNulls: false)
        {
        }

        /// <summary>The SQL over given group and sum columns; <paramref name="keepNulls"/> keeps the rows a group column lacks, as a null group.</summary>
        public CubeSql(PublishedVersion version, IReadOnlyList<string> groups, IReadOnlyList<string> sums, bool keepNulls)
        {
            _table = DatasetTables.IsValidName(version.TableName)
                ? Quote(version.TableName)
                : throw new InvalidOperationException($"'{version.TableName}' is not a dataset version table.");
            var columns = version.Columns.ToHashSet(StringComparer.Ordinal);
            GroupColumns = groups;
            Sums = sums;
            _keepNulls = keepNulls;
            foreach (var column in groups.Concat(Sums))
            {
                if (!Identifiers.IsValidColumnName(column) || !columns.Contains(column))
                {
                    throw new InvalidOperationException($"Column '{column}' is not in the schema of {version.DatasetId} {version.Version}.");
                }
            }
        }

        public IReadOnlyList<string> GroupColumns { get; }

        public IReadOnlyList<string> Sums { get; }

        /// <summary><c>SELECT g…, COUNT(*), SUM(m)… FROM t WHERE g IS NOT NULL… GROUP BY g…</c>: one row per non-empty leaf cell.</summary>
        public string AggregateSql()
        {
            var groups = string.Join(", ", GroupColumns.Select(Quote));
            var sql = new StringBuilder("SELECT ");
            if (GroupColumns.Count > 0)
            {
                sql.Append(groups).Append(", ");
            }

            sql.Append("COUNT(*)");
            foreach (var sum in Sums)
            {
                sql.Append(", SUM(").Append(Quote(sum)).Append(')');
            }

            sql.Append(" FROM ").Append(_table).Append(Where(null));
            if (GroupColumns.Count > 0)
            {
                sql.Append(" GROUP BY ").Append(groups);
            }

            return sql.ToString();
        }

        /// <summary>The <paramref name="top"/> largest values of a sum column in each leaf cell (window function, both databases).</summary>
        public string LargestSql(string sum, int top)
        {
            var groups = string.Join(", ", GroupColumns.Select(Quote));
            var partition = GroupColumns.Count > 0 ? "PARTITION BY " + groups + " " : string.Empty;
            var select = GroupColumns.Count > 0 ? groups + ", " : string.Empty;
            return $"SELECT {select}v FROM (SELECT {select}{Quote(sum)} AS v, ROW_NUMBER() OVER ({partition}ORDER BY {Quote(sum)} DESC) AS rn FROM {_table}{Where(sum)}) ranked WHERE rn <= {top.ToString(CultureInfo.InvariantCulture)}";
        }

        /// <summary>Rows lacking a code at a cube dimension are outside the cube (they belong to no leaf cell); a linked aggregation keeps them, to check them.</summary>
        private string Where(string? nonNull)
        {
            var conditions = (_keepNulls ? [] : GroupColumns).Concat(nonNull is null ? [] : [nonNull]).Select(c => Quote(c) + " IS NOT NULL").ToList();
            return conditions.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", conditions);
        }

        private static string Quote(string identifier) => "\"" + identifier + "\"";
    }
}

/// <summary>One leaf cell as SQL returns it: its codes (group columns in order), rows and sums (sum measures in order).</summary>
/// <param name="Codes">Codes of the group columns.</param>
/// <param name="Count">Rows (units).</param>
/// <param name="Sums">Sum of each sum measure.</param>
internal sealed record LeafAggregate(string[] Codes, long Count, double[] Sums)
{
    /// <summary>The key joining a leaf cell's largest contributions to it.</summary>
    public string Key { get; } = KeyOf(Codes);

    public static string KeyOf(IEnumerable<string> codes) => string.Join('\u001f', codes);

    /// <summary>As <see cref="KeyOf"/>; a missing code (only in a linked cube's aggregation) is a character no code contains.</summary>
    public static string KeyOfNullable(IReadOnlyList<string?> codes) =>
        codes.Contains(null) ? string.Join('\u001f', codes.Select(c => c ?? "\u0000")) : string.Join('\u001f', codes);
}
