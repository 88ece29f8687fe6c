using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using DisclosureRules = DataClauses.Disclosure.DisclosureRules;
using Rounding = DataClauses.Disclosure.Rounding;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// Linked cubes (docs/adr/0004, "Linked tables"): the clauses of one contract on one dataset whose cubes some
/// recipient can read side by side — they share an organisation among their recipients, or one is open to everyone —
/// taken transitively and over every version the contract's amendments give them, so that the group does not change
/// with the day. Their cubes share cells (commune totals, the grand total, categorical margins), so they are protected
/// together: one joint table over the union of their dimensions at the finest geography among them, protected once
/// under the strictest of their rules, with the cells some clause releases flagged; each clause's cube is read out of
/// that one pattern (<see cref="CubeBuilder"/>). Everything here is derived from the contract alone, and identical
/// whichever linked clause asks, so that every member reads the same pattern.
/// </summary>
internal sealed class LinkedGroup
{
    private LinkedGroup(
        IReadOnlyList<string> clauses, IReadOnlyList<CubeDefinition> members, Dictionary<string, GeoLevel> geoColumns, Zoning zoning,
        IReadOnlyDictionary<string, string> qpvCommunes, IReadOnlyList<CategoryDefinition> categories, IReadOnlyList<string> sums,
        DisclosureRules rules, bool publicTotal)
    {
        Clauses = clauses;
        Members = members;
        GeoColumns = geoColumns;
        Zoning = zoning;
        QpvCommunes = qpvCommunes;
        Categories = categories;
        Sums = sums;
        Rules = rules;
        PublicTotal = publicTotal;
        LeafLevel = geoColumns.Count == 0 ? GeoLevel.Epci : geoColumns.Values.Min();
        LeafColumn = LeafLevel == GeoLevel.Epci ? null : geoColumns.First(c => c.Value == LeafLevel).Key;

        // The SQL groups by every member's leaf column (to check that they all place each row alike), finest first.
        GroupColumns = [.. members.Where(m => m.Geo.LeafColumn is not null).Select(m => (m.Geo.LeafColumn!, m.Geo.LeafLevel)).Distinct()
            .OrderBy(c => c.LeafLevel).Select(c => c.Item1), .. categories.Select(c => c.Name)];
    }

    /// <summary>The linked clause versions, as <c>id@amendment</c>, in clause order.</summary>
    public IReadOnlyList<string> Clauses { get; }

    /// <summary>One definition per distinct <see cref="CubeDefinition.Shape"/> (the first clause of each, in clause order).</summary>
    public IReadOnlyList<CubeDefinition> Members { get; }

    /// <summary>The geographic dimensions of the joint table (one column per level).</summary>
    public IReadOnlyDictionary<string, GeoLevel> GeoColumns { get; }

    /// <summary>The finest level among the members (the joint table's leaves).</summary>
    public GeoLevel LeafLevel { get; }

    /// <summary>The column of the joint leaves; null when every member stops at the EPCI.</summary>
    public string? LeafColumn { get; }

    /// <summary>The zoning of the members' QPVs.</summary>
    public Zoning Zoning { get; }

    /// <summary>The commune each QPV of the zoning counts in.</summary>
    public IReadOnlyDictionary<string, string> QpvCommunes { get; }

    /// <summary>Every member's categorical dimensions, in the dataset's order.</summary>
    public IReadOnlyList<CategoryDefinition> Categories { get; }

    /// <summary>Every member's sum measures, in the dataset's order.</summary>
    public IReadOnlyList<string> Sums { get; }

    /// <summary>The strictest of the members' rules (rounding is each member's own, applied after suppression).</summary>
    public DisclosureRules Rules { get; }

    /// <summary>Whether some member says the grand total is public (every member's: one cell unless rows outside QPVs make two).</summary>
    public bool PublicTotal { get; }

    /// <summary>The columns the joint aggregation groups by: each member's leaf geographic column (finest first), then the categories.</summary>
    public IReadOnlyList<string> GroupColumns { get; }

    /// <summary>
    /// The group of a clause's cube, or null when no linked clause's cube differs from its own (same shape: same cells,
    /// same rules), in which case it is protected alone exactly as before. Throws <see cref="CubeDefinitionException"/>
    /// when the linked cubes cannot form one joint table (IRIS and QPV, two columns at one level, two QPV zonings):
    /// refused rather than protected apart.
    /// </summary>
    public static LinkedGroup? Of(Contract contract, DatasetDeclaration dataset, Clause clause, CubeDefinition own)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(clause);
        ArgumentNullException.ThrowIfNull(own);
        var versions = Versions(contract, dataset.Id);
        var self = versions.FindIndex(v => v.Id == clause.Id && v.Amendment == clause.Amendment);
        if (self < 0)
        {
            versions.Add(clause);
            self = versions.Count - 1;
        }

        var component = Component(contract, versions, self);
        if (component.Count == 1)
        {
            return null;
        }

        var linked = new List<(Clause Clause, CubeDefinition Definition)>();
        foreach (var version in component.Select(i => versions[i]).OrderBy(v => v.Id, StringComparer.Ordinal).ThenBy(v => v.Amendment))
        {
            if (version.Id == clause.Id && version.Amendment == clause.Amendment)
            {
                linked.Add((version, own));
                continue;
            }

            try
            {
                linked.Add((version, CubeDefinition.Create(contract, dataset, version, Obligations.Of(version))));
            }
            catch (CubeDefinitionException)
            {
                // A clause that cannot form a cube never releases a cell: it links nothing.
            }
        }

        if (linked.All(l => l.Definition.Shape == own.Shape))
        {
            return null;
        }

        var members = linked.DistinctBy(l => l.Definition.Shape).ToList();
        return Create(contract, dataset, [.. linked.Select(l => l.Clause.Id + "@" + l.Clause.Amendment.ToString(System.Globalization.CultureInfo.InvariantCulture))], members);
    }

    private static LinkedGroup Create(Contract contract, DatasetDeclaration dataset, IReadOnlyList<string> clauses, List<(Clause Clause, CubeDefinition Definition)> members)
    {
        var names = string.Join(", ", clauses);
        var geoColumns = new Dictionary<string, GeoLevel>(StringComparer.Ordinal);
        foreach (var (name, level) in members.SelectMany(m => m.Definition.Geo.Columns))
        {
            if (geoColumns.TryGetValue(name, out var known) ? known != level : geoColumns.ContainsValue(level))
            {
                throw new CubeDefinitionException($"The linked clauses {names} use two geographic dimensions at level '{level.ToWire()}': no joint cube can hold both.");
            }

            geoColumns[name] = level;
        }

        if (geoColumns.ContainsValue(GeoLevel.Iris) && geoColumns.ContainsValue(GeoLevel.Qpv))
        {
            // As for one clause: IRIS and QPV boundaries cross, so no hierarchy holds both (fail closed).
            throw new CubeDefinitionException($"The linked clauses {names} use IRIS and QPV geographies, which do not nest: their cubes cannot be protected together.");
        }

        var zonings = members.Where(m => m.Definition.Geo.Columns.Values.Contains(GeoLevel.Qpv))
            .Select(m => m.Clause.Zoning).Distinct().ToList();
        if (zonings.Count > 1)
        {
            throw new CubeDefinitionException($"The linked clauses {names} use two QPV zonings: their cubes cannot be protected together.");
        }

        var zoning = zonings.Count == 1 ? zonings[0] : members[0].Clause.Zoning;
        var qpvs = zoning == Zoning.Qpv2015 ? contract.Territory.Qpv2015 : contract.Territory.Qpv;
        var definitions = members.Select(m => m.Definition).ToList();
        var categories = dataset.Dimensions
            .Select(d => definitions.SelectMany(m => m.Categories).FirstOrDefault(c => c.Name == d.Name))
            .OfType<CategoryDefinition>()
            .ToList();
        var sums = dataset.Measures
            .Where(m => definitions.Any(d => d.Measures.Any(x => x.Name == m.Name && x.Kind == MeasureKind.Sum)))
            .Select(m => m.Name)
            .ToList();
        var rules = Strictest(definitions.Select(d => d.Rules).ToList());
        return new LinkedGroup(
            clauses, definitions, geoColumns, zoning, qpvs.ToDictionary(q => q.Code, q => q.CommuneCode, StringComparer.Ordinal),
            categories, sums, rules, definitions.Any(d => d.PublicTotal));
    }

    /// <summary>
    /// The strictest of several clauses' rules: every rule that would make a cell sensitive under one of them does
    /// under the combination (the largest threshold; the dominance rule over the most contributors with the lowest
    /// share; the largest p%), and the widest protection. Rounding is left to each clause.
    /// </summary>
    internal static DisclosureRules Strictest(IReadOnlyList<DisclosureRules> rules)
    {
        var dominance = rules.Where(r => r.Dominance is not null).Select(r => r.Dominance!.Value).ToList();
        var pPercent = rules.Where(r => r.PPercent is not null).Select(r => r.PPercent!.Value).ToList();
        return new DisclosureRules
        {
            MinCount = rules.Max(r => r.MinCount),
            Dominance = dominance.Count == 0 ? null : (dominance.Max(d => d.N), dominance.Min(d => d.K)),
            PPercent = pPercent.Count == 0 ? null : pPercent.Max(),
            SecondarySuppression = rules.Any(r => r.SecondarySuppression),
            ProtectZeros = rules.Any(r => r.ProtectZeros),
            ProtectionLevel = rules.Max(r => r.ProtectionLevel),
            ProtectionPercent = rules.Max(r => r.ProtectionPercent),
            Rounding = Rounding.None,
        };
    }

    /// <summary>Every version of the contract's clauses on a dataset: as signed and as each amendment leaves them.</summary>
    private static List<Clause> Versions(Contract contract, string datasetId)
    {
        var versions = new List<Clause>();
        var starts = new[] { contract.Start }.Concat(contract.Amendments.Select(a => a.Effective)).Distinct().Order();
        foreach (var start in starts)
        {
            foreach (var clause in contract.ClausesAt(start))
            {
                if (clause.Dataset == datasetId && !versions.Exists(v => v.Id == clause.Id && v.Amendment == clause.Amendment))
                {
                    versions.Add(clause);
                }
            }
        }

        return versions;
    }

    /// <summary>The versions linked to <paramref name="self"/>, directly or through others (union-find over shared recipients).</summary>
    private static List<int> Component(Contract contract, List<Clause> versions, int self)
    {
        var recipients = versions.Select(v => RecipientsOf(contract, v)).ToList();
        var parent = Enumerable.Range(0, versions.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        for (var i = 0; i < versions.Count; i++)
        {
            for (var j = i + 1; j < versions.Count; j++)
            {
                if (recipients[i] is null || recipients[j] is null || recipients[i]!.Overlaps(recipients[j]!))
                {
                    parent[Find(i)] = Find(j);
                }
            }
        }

        var root = Find(self);
        return [.. Enumerable.Range(0, versions.Count).Where(i => Find(i) == root)];
    }

    /// <summary>The organisations a clause releases its cube to; null for an open clause (everyone). Roles are ignored: an organisation shares what its users read.</summary>
    private static HashSet<string>? RecipientsOf(Contract contract, Clause clause)
    {
        if (clause.Publication?.Tier == Tier.Open)
        {
            return null;
        }

        var organisations = new HashSet<string>(clause.Recipients.Organisations, StringComparer.Ordinal);
        organisations.UnionWith(contract.Signatories.Where(s => clause.Recipients.Kinds.Contains(s.Kind)).Select(s => s.Id));
        return organisations;
    }

    /// <summary>Writes <c>"linked": {…}</c> into a cube definition's canonical JSON: any change of the group changes the cube's key.</summary>
    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject("linked");
        w.WriteStartArray("clauses");
        foreach (var clause in Clauses)
        {
            w.WriteStringValue(clause);
        }

        w.WriteEndArray();
        w.WriteStartArray("shapes");
        foreach (var member in Members)
        {
            w.WriteStringValue(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(member.Shape))));
        }

        w.WriteEndArray();
        w.WriteString("zoning", Zoning.ToWire());
        if (GeoColumns.Values.Contains(GeoLevel.Qpv) && GeoColumns.Values.Contains(GeoLevel.Commune))
        {
            // The joint geography nests each QPV in its commune: that mapping is part of the pattern.
            w.WriteStartObject("qpvCommunes");
            foreach (var (qpv, commune) in QpvCommunes.OrderBy(q => q.Key, StringComparer.Ordinal))
            {
                w.WriteString(qpv, commune);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }
}
