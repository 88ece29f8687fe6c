using System.Globalization;
using DataClauses.Disclosure;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Queries;

/// <summary>One group of a linked cube's aggregation: a code per group column (null when the row lacks it), rows, sums.</summary>
/// <param name="Codes">Codes of <see cref="LinkedGroup.GroupColumns"/>, null where missing.</param>
/// <param name="Count">Rows.</param>
/// <param name="Sums">Sum of each of <see cref="LinkedGroup.Sums"/>.</param>
internal sealed record JointRow(string?[] Codes, long Count, double[] Sums)
{
    /// <summary>The key joining the group's largest contributions to it.</summary>
    public string Key { get; } = LeafAggregate.KeyOfNullable(Codes);
}

/// <summary>
/// The cube of a clause with linked clauses (docs/adr/0004, "Linked tables"): one aggregation over every member's
/// columns, one joint table at the finest geography among them, protected once under the group's rules with the
/// cells some member releases flagged, and the clause's cube read out of that pattern with the clause's own rounding.
/// Every member builds the same joint table and pattern (the group is the same whichever member asks, and protection
/// is deterministic), so the cubes of linked clauses never disagree on a shared cell.
/// </summary>
internal static partial class CubeBuilder
{
    /// <summary>The joint table's dimension splitting rows in a QPV from rows outside every QPV (never in an answer).</summary>
    private const string ZoneDimension = "zone";

    /// <summary>The zone of rows in a QPV: a QPV member's cells.</summary>
    private const string InQpvs = "in";

    /// <summary>The zone of rows outside every QPV.</summary>
    private const string OutsideQpvs = "out";

    /// <summary>The prefix of the synthetic leaf "outside the QPVs of commune C" (no commune or QPV code has a colon).</summary>
    private const string OutsidePrefix = "hors-qpv:";

    private static async Task<ProtectedCube> BuildLinkedAsync(
        GatewayDbContext db, CubeDefinition definition, LinkedGroup linked, PublishedVersion version, DateTimeOffset builtAt, CancellationToken cancellationToken)
    {
        var sql = new CubeSql(version, linked.GroupColumns, linked.Sums, keepNulls: true);
        var top = linked.Rules.TopContributionsNeeded;
        await db.Database.OpenConnectionAsync(cancellationToken);
        var rows = new List<JointRow>();
        Dictionary<string, List<double>[]>? largest = null;
        try
        {
            await using (var command = Command(db, sql.AggregateSql()))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                var groups = sql.GroupColumns.Count;
                while (await reader.ReadAsync(cancellationToken))
                {
                    var codes = new string?[groups];
                    for (var g = 0; g < groups; g++)
                    {
                        codes[g] = reader.IsDBNull(g) ? null : reader.GetString(g);
                    }

                    var sums = new double[sql.Sums.Count];
                    for (var s = 0; s < sums.Length; s++)
                    {
                        sums[s] = reader.IsDBNull(groups + 1 + s) ? 0 : Convert.ToDouble(reader.GetValue(groups + 1 + s), CultureInfo.InvariantCulture);
                    }

                    rows.Add(new JointRow(codes, Convert.ToInt64(reader.GetValue(groups), CultureInfo.InvariantCulture), sums));
                }
            }

            if (top > 0 && sql.Sums.Count > 0)
            {
                largest = await ReadLargestAsync(db, sql, top, cancellationToken);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return FromJointRows(definition, linked, version.Version, rows, largest, builtAt);
    }

    /// <summary>
    /// The protected cube of a linked clause from the joint aggregation's groups. Rows with a commune but no QPV (outside
    /// every QPV: a commune member counts them, a QPV member does not) go to a "zone" dimension of the joint table:
    /// QPV rows in <see cref="InQpvs"/>, the others in <see cref="OutsideQpvs"/> under a synthetic leaf per commune, so
    /// that a QPV member reads its cells at zone "in" and a coarser member at the zone total. Fails closed
    /// (<see cref="CubeDefinitionException"/>) when the members would count some rows differently otherwise — a row
    /// lacking a code that one member groups by and another does not, or a coarser code that is not the ancestor of the
    /// row's finest one (a commune that is not its QPV's) — or when rows outside QPVs meet protected zeros.
    /// </summary>
    internal static ProtectedCube FromJointRows(
        CubeDefinition definition, LinkedGroup linked, string version, IReadOnlyList<JointRow> rows, IReadOnlyDictionary<string, List<double>[]>? largest, DateTimeOffset builtAt)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(linked);
        ArgumentNullException.ThrowIfNull(rows);
        var column = linked.GroupColumns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var leaf = linked.LeafColumn is { } leafColumn ? column[leafColumn] : -1;
        var categories = linked.Categories.Select(c => column[c.Name]).ToArray();
        var members = linked.Members.Select(m => new MemberColumns(
            m.Geo.LeafColumn is { } l ? column[l] : -1,
            m.Geo.LeafLevel,
            [.. m.Categories.Select(c => column[c.Name])],
            [.. m.Measures.Where(x => x.Kind == MeasureKind.Sum).Select(x => linked.Sums.ToList().IndexOf(x.Name))])).ToArray();

        // Rows outside every QPV have a place only when the leaves are QPVs and a member groups by commune (it counts them).
        var commune = linked.LeafLevel == GeoLevel.Qpv
            ? linked.GeoColumns.Where(c => c.Value == GeoLevel.Commune && column.ContainsKey(c.Key)).Select(c => column[c.Key]).DefaultIfEmpty(-1).Single()
            : -1;

        // 1. Every member must count exactly the rows the joint table counts, each in the cell the joint geography gives
        // it: a row in a QPV is counted by every member, a row outside QPVs by the members coarser than QPVs only.
        var counted = new List<JointRow>(rows.Count);
        var inconsistent = 0L;
        var outsideRows = 0L;
        foreach (var row in rows)
        {
            var categorised = categories.All(c => row.Codes[c] is not null);
            var joint = (leaf < 0 || row.Codes[leaf] is not null) && categorised;
            var outside = IsOutside(row, leaf, commune) && categorised;
            var alike = members.All(m => m.Counts(row) == (joint || (outside && m.Level > GeoLevel.Qpv)))
                && (!joint || members.All(m => m.Leaf < 0 || m.Level == linked.LeafLevel || row.Codes[m.Leaf] == AncestorAt(linked, row.Codes[leaf]!, m.Level)));
            if (!alike)
            {
                inconsistent += row.Count;
            }
            else if (joint || outside)
            {
                counted.Add(row);
                outsideRows += outside ? row.Count : 0;
            }
        }

        if (inconsistent > 0)
        {
            throw new CubeDefinitionException(string.Create(
                CultureInfo.InvariantCulture,
                $"The linked clauses {string.Join(", ", linked.Clauses)} would count {inconsistent} rows of {definition.DatasetId} {version} differently (a code missing in a column only some of them use, or a commune that is not the commune of the row's finer code): their cubes cannot be protected together, and are not protected apart."));
        }

        var zoned = outsideRows > 0;
        if (zoned && linked.Rules.ProtectZeros)
        {
            // A QPV's cell outside QPVs is a zero everyone knows: protected zeros would make it a primary no pattern can hide.
            throw new CubeDefinitionException(string.Create(
                CultureInfo.InvariantCulture,
                $"The linked clauses {string.Join(", ", linked.Clauses)} protect zeros, and {outsideRows} rows of {definition.DatasetId} {version} lie outside every QPV: the zeros that split them from the QPVs' rows would be primary cells that no pattern can hide, so their cubes are not protected together, nor apart."));
        }

        // 2. Each member's cube layout, from its own leaf aggregates (as if built alone).
        var layouts = new List<CubeDimension>[members.Length];
        var memberLeaves = new List<LeafAggregate>[members.Length];
        for (var m = 0; m < members.Length; m++)
        {
            memberLeaves[m] = members[m].Leaves(counted.Where(members[m].Counts));
            layouts[m] = DimensionsOf(linked.Members[m], memberLeaves[m]);
        }

        // 3. The joint table: the union of the members' geographic codes under the finest geography, every category,
        // and, with rows outside QPVs, a leaf "outside the QPVs" per commune and the zone (last, so categories keep their place).
        var dimensions = new List<Dimension> { new(GeoDefinition.DimensionName, JointGeography(linked, layouts, zoned)) };
        dimensions.AddRange(linked.Categories.Select(c => new Dimension(c.Name, Hierarchy.Flat(c.Values.Count > 0
            ? c.Values
            : layouts.SelectMany(l => l.Where(d => d.Name == c.Name).SelectMany(d => d.Hierarchy.Codes.Skip(1))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)))));
        if (zoned)
        {
            dimensions.Add(new Dimension(ZoneDimension, Hierarchy.Flat([InQpvs, OutsideQpvs])));
        }

        var builder = new TableBuilder(dimensions, linked.Sums, linked.Rules.TopContributionsNeeded);
        var codes = new string[dimensions.Count];
        foreach (var row in counted)
        {
            var outside = IsOutside(row, leaf, commune);
            codes[0] = outside ? OutsideOf(row.Codes[commune]!) : leaf >= 0 ? row.Codes[leaf]! : Hierarchy.DefaultTotal;
            for (var c = 0; c < categories.Length; c++)
            {
                codes[c + 1] = row.Codes[categories[c]]!;
            }

            if (zoned)
            {
                codes[^1] = outside ? OutsideQpvs : InQpvs;
            }

            IReadOnlyList<double[]>? contributions = null;
            if (largest is not null && largest.TryGetValue(row.Key, out var lists))
            {
                contributions = [.. lists.Select(l => l.ToArray())];
            }

            builder.AddAggregate(codes, row.Count, row.Sums, contributions);
        }

        var table = builder.Build();

        // 4. Which joint cell each member cell is (a QPV member's in zone "in", a coarser one's at the zone total); a
        // joint cell is released when some member publishes it, or is a zero everyone knows.
        var released = zoned ? StructuralZeros(table) : new bool[table.CellCount];
        var maps = new int[members.Length][];
        for (var m = 0; m < members.Length; m++)
        {
            var zone = !zoned ? -1 : members[m].Level == GeoLevel.Qpv ? table.Dimensions[^1].Hierarchy.IndexOf(InQpvs) : 0;
            maps[m] = CellMap(table, linked, layouts[m], zone);
            foreach (var cell in maps[m])
            {
                released[cell] = true;
            }

            CheckLeaves(table, layouts[m], maps[m], memberLeaves[m], linked.Members[m]);
        }

        // Every member's grand total (one cell, 0, unless rows outside QPVs split the QPV members' from the others').
        var rules = linked.Rules with { PublicCells = linked.PublicTotal ? maps.Select(map => map[0]).ToHashSet() : new HashSet<int>() };
        var protectedTable = TableProtector.Protect(table, rules, released);
        var own = linked.Members.Select((d, i) => (d, i)).First(p => p.d.Shape == definition.Shape).i;
        return ProtectedCube.FromJoint(
            definition.KeyFor(version), builtAt, protectedTable, maps[own], definition.Rules.Rounding, layouts[own], definition.Measures, members[own].Sums);
    }

    /// <summary>The synthetic leaf of a commune's rows outside every QPV.</summary>
    private static string OutsideOf(string commune) => OutsidePrefix + commune;

    /// <summary>Whether a row lies outside every QPV: no QPV code, a commune code (<paramref name="commune"/> is -1 when no such row has a place).</summary>
    private static bool IsOutside(JointRow row, int leaf, int commune) =>
        commune >= 0 && row.Codes[leaf] is null && row.Codes[commune] is not null;

    /// <summary>
    /// The cells of a zoned joint table that are zero by construction, flagged released: a QPV outside QPVs, a commune's
    /// outside leaf in QPVs. Everyone knows them, so the protection counts them as published zeros, never as hiding room.
    /// </summary>
    private static bool[] StructuralZeros(Table table)
    {
        var released = new bool[table.CellCount];
        var geo = table.Dimensions[0].Hierarchy;
        var zones = table.Dimensions[^1].Hierarchy;
        var (inside, outside) = (zones.IndexOf(InQpvs), zones.IndexOf(OutsideQpvs));
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            var place = table.CodeOf(cell, 0);
            var zone = table.CodeOf(cell, table.Dimensions.Count - 1);
            if (!geo.IsLeaf(place) || zone == 0)
            {
                continue;
            }

            // Every leaf of a zoned geography is a QPV or an outside leaf.
            var outsideLeaf = geo.Codes[place].StartsWith(OutsidePrefix, StringComparison.Ordinal);
            if ((outsideLeaf && zone == inside) || (!outsideLeaf && zone == outside))
            {
                if (table.Counts[cell] != 0)
                {
                    throw new InvalidOperationException($"The structural zero {string.Join('/', table.CodesOf(cell))} of the joint table is not empty.");
                }

                released[cell] = true;
            }
        }

        return released;
    }

    /// <summary>The code at a coarser level of a joint leaf code (only communes are coarser columns: the EPCI has none).</summary>
    private static string? AncestorAt(LinkedGroup linked, string code, GeoLevel level) =>
        level == GeoLevel.Commune ? CommuneOf(linked, code, linked.LeafLevel) : null;

    /// <summary>The commune of a code: a QPV's is the one it counts in, an IRIS's the one its code starts with.</summary>
    private static string? CommuneOf(LinkedGroup linked, string code, GeoLevel level) => level switch
    {
        GeoLevel.Commune => code,
        GeoLevel.Qpv => linked.QpvCommunes.GetValueOrDefault(code),
        GeoLevel.Iris => code.Length == 9 ? code[..5] : null,
        _ => null,
    };

    /// <summary>
    /// The joint geography: every geographic code of every member, each under its commune when a member has the
    /// commune level (a QPV under the commune it counts in, an IRIS under the commune its code starts with), with
    /// <paramref name="outside"/> a leaf "outside the QPVs" under every commune, in a fixed order (coarser levels
    /// first, then by code), so that every member builds the same table.
    /// </summary>
    private static Hierarchy JointGeography(LinkedGroup linked, List<CubeDimension>[] layouts, bool outside)
    {
        var levels = new Dictionary<string, GeoLevel>(StringComparer.Ordinal);
        foreach (var geo in layouts.Select(l => l[0]))
        {
            for (var c = 1; c < geo.Hierarchy.Count; c++)
            {
                levels.TryAdd(geo.Hierarchy.Codes[c], geo.LevelOf(c));
            }
        }

        var parents = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (linked.GeoColumns.Values.Contains(GeoLevel.Commune))
        {
            foreach (var (code, level) in levels.Where(l => l.Value is GeoLevel.Qpv or GeoLevel.Iris).ToList())
            {
                var commune = CommuneOf(linked, code, level)
                    ?? throw new InvalidOperationException($"Code '{code}' belongs to no commune of the territory.");
                parents[code] = commune;
                levels.TryAdd(commune, GeoLevel.Commune);
            }
        }

        if (outside)
        {
            // Every commune, QPVs or not: a commune member may count rows outside QPVs in any of them.
            foreach (var commune in levels.Where(l => l.Value == GeoLevel.Commune).Select(l => l.Key).ToList())
            {
                levels.Add(OutsideOf(commune), GeoLevel.Qpv);
                parents[OutsideOf(commune)] = commune;
            }
        }

        return Hierarchy.FromParents(levels.OrderByDescending(l => l.Value).ThenBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => (l.Key, parents.GetValueOrDefault(l.Key))));
    }

    /// <summary>
    /// For each cell of a member's cube (in its index order), the joint table's cell with the same codes (a category the
    /// member lacks at its total), at joint zone index <paramref name="zone"/> when the joint table is zoned (else -1).
    /// </summary>
    private static int[] CellMap(Table table, LinkedGroup linked, List<CubeDimension> layout, int zone)
    {
        // Per member dimension: the joint dimension it is, and the joint index of each of its codes.
        var targets = new int[layout.Count];
        var codeMaps = new int[layout.Count][];
        for (var d = 0; d < layout.Count; d++)
        {
            targets[d] = d == 0 ? 0 : 1 + linked.Categories.Select(c => c.Name).ToList().IndexOf(layout[d].Name);
            var joint = table.Dimensions[targets[d]].Hierarchy;
            var hierarchy = layout[d].Hierarchy;
            codeMaps[d] = new int[hierarchy.Count];
            for (var c = 1; c < hierarchy.Count; c++)
            {
                codeMaps[d][c] = joint.IndexOf(hierarchy.Codes[c]) is var j and > 0
                    ? j
                    : throw new InvalidOperationException($"Code '{hierarchy.Codes[c]}' of '{layout[d].Name}' is not in the joint table.");
            }
        }

        var size = layout.Aggregate(1, (n, d) => checked(n * d.Hierarchy.Count));
        var map = new int[size];
        var position = new int[layout.Count];
        var jointCodes = new int[table.Dimensions.Count];
        if (zone >= 0)
        {
            jointCodes[^1] = zone;
        }

        for (var cell = 0; cell < size; cell++)
        {
            for (var d = 0; d < layout.Count; d++)
            {
                jointCodes[targets[d]] = codeMaps[d][position[d]];
            }

            map[cell] = table.IndexOf(jointCodes);

            // Row-major odometer, the last dimension fastest (the cube's cell order).
            for (var d = layout.Count - 1; d >= 0 && ++position[d] == layout[d].Hierarchy.Count; d--)
            {
                position[d] = 0;
            }
        }

        return map;
    }

    /// <summary>A guard on the mapping: every non-empty leaf of a member has in the joint table the count it has alone.</summary>
    private static void CheckLeaves(Table table, List<CubeDimension> layout, int[] map, List<LeafAggregate> leaves, CubeDefinition member)
    {
        var offset = member.Geo.LeafColumn is null ? 0 : 1;
        var strides = new int[layout.Count];
        for (int d = layout.Count - 1, stride = 1; d >= 0; stride *= layout[d].Hierarchy.Count, d--)
        {
            strides[d] = stride;
        }

        foreach (var leaf in leaves)
        {
            var cell = offset == 0 ? 0 : layout[0].Hierarchy.IndexOf(leaf.Codes[0]) * strides[0];
            for (var d = 1; d < layout.Count; d++)
            {
                cell += layout[d].Hierarchy.IndexOf(leaf.Codes[d - 1 + offset]) * strides[d];
            }

            if (table.Counts[map[cell]] != leaf.Count)
            {
                throw new InvalidOperationException($"The joint table of clause '{member.ClauseId}' disagrees with its own aggregation at {string.Join('/', leaf.Codes)}.");
            }
        }
    }

    /// <summary>Where a member's columns are in the joint aggregation's groups.</summary>
    /// <param name="Leaf">Its leaf geographic column, or -1.</param>
    /// <param name="Level">Its leaf level.</param>
    /// <param name="Categories">Its categories.</param>
    /// <param name="Sums">Its sum measures, as indexes of <see cref="LinkedGroup.Sums"/>.</param>
    private sealed record MemberColumns(int Leaf, GeoLevel Level, int[] Categories, int[] Sums)
    {
        /// <summary>Whether the member's own aggregation counts the rows of a group (none of its columns missing).</summary>
        public bool Counts(JointRow row) => (Leaf < 0 || row.Codes[Leaf] is not null) && Categories.All(c => row.Codes[c] is not null);

        /// <summary>The member's leaf aggregates, as its own SQL would give them (the groups merged by its columns).</summary>
        public List<LeafAggregate> Leaves(IEnumerable<JointRow> rows)
        {
            var leaves = new Dictionary<string, LeafAggregate>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                var codes = new string[(Leaf < 0 ? 0 : 1) + Categories.Length];
                var next = 0;
                if (Leaf >= 0)
                {
                    codes[next++] = row.Codes[Leaf]!;
                }

                foreach (var category in Categories)
                {
                    codes[next++] = row.Codes[category]!;
                }

                var key = LeafAggregate.KeyOf(codes);
                if (!leaves.TryGetValue(key, out var leaf))
                {
                    leaves[key] = leaf = new LeafAggregate(codes, 0, new double[Sums.Length]);
                }

                for (var s = 0; s < Sums.Length; s++)
                {
                    leaf.Sums[s] += row.Sums[Sums[s]];
                }

                leaves[key] = leaf with { Count = leaf.Count + row.Count };
            }

            return [.. leaves.Values];
        }
    }
}
