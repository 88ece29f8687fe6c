using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using DisclosureRules = DataClauses.Disclosure.DisclosureRules;

namespace DataClauses.Gateway.Queries;

/// <summary>The identity of a protected cube: which version, under which clause as amended, with which definition.</summary>
/// <param name="DatasetId">Dataset.</param>
/// <param name="Version">Dataset version.</param>
/// <param name="ContractId">Contract of the clause.</param>
/// <param name="ClauseId">Clause whose obligations the cube discharges.</param>
/// <param name="Amendment">The amendment that last changed the clause (0 = as signed).</param>
/// <param name="Fingerprint">Hex SHA-256 of the definition (dimensions, hierarchies, measures, rules).</param>
internal sealed record CubeKey(string DatasetId, string Version, string ContractId, string ClauseId, int Amendment, string Fingerprint)
{
    /// <summary>The key as one string (for the advisory lock and logs).</summary>
    public string Text => string.Join('|', DatasetId, Version, ContractId, ClauseId, Amendment.ToString(System.Globalization.CultureInfo.InvariantCulture), Fingerprint);
}

/// <summary>A measure of a cube: the count of units (rows), or the sum of a numeric column of the same name.</summary>
/// <param name="Name">Measure name (the contract's; for a sum, also the column summed).</param>
/// <param name="Kind">Count or sum.</param>
internal sealed record CubeMeasure(string Name, MeasureKind Kind);

/// <summary>
/// A categorical dimension of a cube: a flat hierarchy of the contract's declared values under "Total" (when the
/// contract declares none, the values met in the data, in ordinal order).
/// </summary>
/// <param name="Name">Dimension (and column) name.</param>
/// <param name="Values">Declared values, in contract order; empty when the contract leaves them open.</param>
internal sealed record CategoryDefinition(string Name, IReadOnlyList<string> Values);

/// <summary>A code of the territory in the geographic hierarchy.</summary>
/// <param name="Code">QPV or commune code.</param>
/// <param name="Parent">Parent code (null: under the EPCI total).</param>
/// <param name="Level">Its level.</param>
internal sealed record GeoCode(string Code, string? Parent, GeoLevel Level);

/// <summary>
/// The one hierarchical geographic dimension of a cube: every allowed geographic dimension of the clause is a level of
/// it (Total = the contract's EPCI ⊃ communes ⊃ QPV or IRIS), so that a commune's cell is the sum of its QPVs' and
/// no query can play the two against each other.
/// </summary>
/// <param name="LeafLevel">The finest allowed level (the data are aggregated at it); <see cref="GeoLevel.Epci"/> when no finer one is allowed.</param>
/// <param name="LeafColumn">The column holding the leaf codes; null when the leaf is the EPCI itself.</param>
/// <param name="Columns">Allowed geographic dimension names and their levels.</param>
/// <param name="EpciCode">The territory's EPCI (the root).</param>
/// <param name="Codes">The territory's codes above IRIS at the allowed levels (IRIS codes come from the data).</param>
internal sealed record GeoDefinition(GeoLevel LeafLevel, string? LeafColumn, IReadOnlyDictionary<string, GeoLevel> Columns, string EpciCode, IReadOnlyList<GeoCode> Codes)
{
    /// <summary>The name of the geographic dimension in a cube.</summary>
    public const string DimensionName = "geo";

    /// <summary>Whether a level is one of the cube's (the EPCI root always is).</summary>
    public bool HasLevel(GeoLevel level) => level == GeoLevel.Epci || Columns.Values.Contains(level);
}

/// <summary>Thrown when a clause's allowed dimensions cannot form one protected cube (e.g. QPV and IRIS, which do not nest).</summary>
internal sealed class CubeDefinitionException(string message) : Exception(message);

/// <summary>
/// What the protected cube of (dataset version, clause) is made of, derived from the contract alone (never from the
/// data): its dimensions and hierarchies, measures and disclosure rules. Its canonical JSON is stored with the cube
/// and its SHA-256 is part of the cube's key, so that changing any of them gives another cube.
/// </summary>
internal sealed class CubeDefinition
{
    private const string Format = "dataclauses-cube/1";

    private CubeDefinition(
        Contract contract, DatasetDeclaration dataset, Clause clause, GeoDefinition geo, IReadOnlyList<CategoryDefinition> categories,
        IReadOnlyList<CubeMeasure> measures, DisclosureRules rules, bool publicTotal)
    {
        ContractId = contract.Id;
        DatasetId = dataset.Id;
        Provider = dataset.Provider;
        ClauseId = clause.Id;
        Amendment = clause.Amendment;
        Zoning = clause.Zoning;
        Geo = geo;
        Categories = categories;
        Measures = measures;
        Rules = rules;
        PublicTotal = publicTotal;
        Shape = CanonicalJson(identity: false, linked: null);
        Json = CanonicalJson(identity: true, linked: null);
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json)));
    }

    /// <summary>The same clause's cube, protected together with the cubes of its linked clauses (only the group, hence the key, differ).</summary>
    private CubeDefinition WithLinked(LinkedGroup linked)
    {
        var copy = (CubeDefinition)MemberwiseClone();
        copy.Linked = linked;
        copy.Json = copy.CanonicalJson(identity: true, linked);
        copy.Fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(copy.Json)));
        return copy;
    }

    public string ContractId { get; }

    public string DatasetId { get; }

    /// <summary>The dataset's provider (the data owner in audit events).</summary>
    public string Provider { get; }

    public string ClauseId { get; }

    public int Amendment { get; }

    /// <summary>The clause's QPV zoning (which QPV list, and which commune each QPV counts in).</summary>
    public Zoning Zoning { get; }

    public GeoDefinition Geo { get; }

    public IReadOnlyList<CategoryDefinition> Categories { get; }

    public IReadOnlyList<CubeMeasure> Measures { get; }

    /// <summary>The disclosure rules, without public cells (the grand total is added when <see cref="PublicTotal"/>).</summary>
    public DisclosureRules Rules { get; }

    public bool PublicTotal { get; }

    /// <summary>
    /// The clauses whose cubes share cells with this one for some recipient, protected together with it (docs/adr/0004,
    /// "Linked tables"); null when no other clause's cube differs from this one's, which is then protected alone.
    /// </summary>
    public LinkedGroup? Linked { get; private set; }

    /// <summary>
    /// What protection depends on, without the clause's identity and rounding (rounding never changes a pattern): two
    /// clauses of the same shape release the same cells under the same rules.
    /// </summary>
    public string Shape { get; }

    /// <summary>The canonical JSON the fingerprint hashes (with the linked group, when there is one).</summary>
    public string Json { get; private set; }

    public string Fingerprint { get; private set; }

    /// <summary>The key of this definition's cube of a version.</summary>
    public CubeKey KeyFor(string version) => new(DatasetId, version, ContractId, ClauseId, Amendment, Fingerprint);

    /// <summary>The definition of the cube a permit decision's clause governs.</summary>
    public static CubeDefinition For(Decision decision, DatasetDeclaration dataset)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Contract is not { } contract || decision.Clause is not { } clause || decision.Obligations is not { } obligations)
        {
            throw new ArgumentException("A cube is defined only by a decision that permits.", nameof(decision));
        }

        // The engine compiles a clause's obligations once, so their instance identifies the clause in force: the
        // definition (and its fingerprint, a hash of its canonical JSON) is derived once per clause and dataset.
        var known = Definitions.GetOrCreateValue(obligations);
        if (Volatile.Read(ref known.Definition) is { } cached
            && ReferenceEquals(cached.Source.Contract, contract) && ReferenceEquals(cached.Source.Dataset, dataset) && ReferenceEquals(cached.Source.Clause, clause))
        {
            return cached.Cube;
        }

        var created = Create(contract, dataset, clause, obligations);
        if (LinkedGroup.Of(contract, dataset, clause, created) is { } linked)
        {
            created = created.WithLinked(linked);
        }

        Volatile.Write(ref known.Definition, new CachedDefinition((contract, dataset, clause), created));
        return created;
    }

    private static readonly ConditionalWeakTable<Obligations, DefinitionSlot> Definitions = new();

    private sealed record CachedDefinition((Contract Contract, DatasetDeclaration Dataset, Clause Clause) Source, CubeDefinition Cube);

    private sealed class DefinitionSlot
    {
        public CachedDefinition? Definition;
    }

    /// <summary>Derives the cube of a clause. Throws <see cref="CubeDefinitionException"/> when the clause cannot form one cube.</summary>
    public static CubeDefinition Create(Contract contract, DatasetDeclaration dataset, Clause clause, Obligations obligations)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(clause);
        ArgumentNullException.ThrowIfNull(obligations);

        var geoColumns = new Dictionary<string, GeoLevel>(StringComparer.Ordinal);
        var categories = new List<CategoryDefinition>();
        foreach (var name in obligations.AllowedDimensions)
        {
            var dimension = dataset.FindDimension(name)
                ?? throw new CubeDefinitionException($"Clause '{clause.Id}' allows dimension '{name}', which dataset '{dataset.Id}' does not declare.");
            if (dimension.Geo is { } level)
            {
                if (geoColumns.ContainsValue(level))
                {
                    throw new CubeDefinitionException($"Clause '{clause.Id}' allows two geographic dimensions at level '{level.ToWire()}'.");
                }

                geoColumns[name] = level;
            }
            else
            {
                categories.Add(new CategoryDefinition(name, dimension.Values));
            }
        }

        if (geoColumns.ContainsValue(GeoLevel.Iris) && geoColumns.ContainsValue(GeoLevel.Qpv))
        {
            // IRIS and QPV boundaries cross: no hierarchy holds both, so no single cube protects both (fail closed).
            throw new CubeDefinitionException(
                $"Clause '{clause.Id}' allows both IRIS and QPV geographies, which do not nest: no single protected cube can hold both.");
        }

        var measures = new List<CubeMeasure>();
        foreach (var name in obligations.AllowedMeasures)
        {
            var measure = dataset.Measures.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
                ?? throw new CubeDefinitionException($"Clause '{clause.Id}' allows measure '{name}', which dataset '{dataset.Id}' does not declare.");
            measures.Add(new CubeMeasure(measure.Name, measure.Kind));
        }

        var geo = GeoOf(contract, clause.Zoning, geoColumns);
        var rules = new DisclosureRules
        {
            MinCount = obligations.MinCount,
            Dominance = obligations.Dominance is { } d ? (d.N, d.K) : null,
            PPercent = obligations.PPercent,
            SecondarySuppression = obligations.SecondarySuppression,
            ProtectZeros = obligations.ProtectZeros,
            ProtectionLevel = obligations.ProtectionLevel ?? DisclosureRules.DefaultProtectionLevel,
            ProtectionPercent = obligations.ProtectionPercent ?? DisclosureRules.DefaultProtectionPercent,
            Rounding = obligations.Rounding switch
            {
                RoundingMode.Base5 => Rounding.Base5,
                RoundingMode.Midpoint6 => Rounding.Midpoint6,
                _ => Rounding.None,
            },
        };
        return new CubeDefinition(contract, dataset, clause, geo, categories, measures, rules, obligations.PublicTotal);
    }

    private static GeoDefinition GeoOf(Contract contract, Zoning zoning, Dictionary<string, GeoLevel> columns)
    {
        var territory = contract.Territory;
        var levels = columns.Values.ToHashSet();
        var leaf = levels.Count == 0 ? GeoLevel.Epci : levels.Min();
        var leafColumn = leaf == GeoLevel.Epci ? null : columns.First(c => c.Value == leaf).Key;
        var qpvs = zoning == Zoning.Qpv2015 ? territory.Qpv2015 : territory.Qpv;
        var communes = levels.Contains(GeoLevel.Commune);
        var codes = new List<GeoCode>();
        if (communes)
        {
            // Under a QPV leaf, a commune is the sum of its QPVs: communes without one would be empty leaves.
            var withQpv = qpvs.Select(q => q.CommuneCode).ToHashSet(StringComparer.Ordinal);
            codes.AddRange(territory.Communes
                .Where(c => leaf != GeoLevel.Qpv || withQpv.Contains(c.Code))
                .Select(c => new GeoCode(c.Code, null, GeoLevel.Commune)));
        }

        if (levels.Contains(GeoLevel.Qpv))
        {
            // A QPV spanning several communes counts in its main one (the territory's commune of the QPV).
            codes.AddRange(qpvs.Select(q => new GeoCode(q.Code, communes ? q.CommuneCode : null, GeoLevel.Qpv)));
        }

        return new GeoDefinition(leaf, leafColumn, columns, territory.EpciCode, codes);
    }

    /// <summary>
    /// The geographic hierarchy: the territory's codes, and under an IRIS leaf the IRIS codes met in the data (an IRIS
    /// code starts with its commune's). Codes above the leaf without any child are left out.
    /// </summary>
    public (Hierarchy Hierarchy, GeoLevel[] Levels) GeoHierarchy(IEnumerable<string> dataLeafCodes)
    {
        ArgumentNullException.ThrowIfNull(dataLeafCodes);
        var codes = Geo.Codes.ToList();
        if (Geo.LeafLevel == GeoLevel.Iris)
        {
            var communes = codes.Where(c => c.Level == GeoLevel.Commune).Select(c => c.Code).ToHashSet(StringComparer.Ordinal);
            foreach (var iris in dataLeafCodes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                string? parent = null;
                if (communes.Count > 0)
                {
                    parent = iris.Length == 9 && communes.Contains(iris[..5])
                        ? iris[..5]
                        : throw new InvalidOperationException($"IRIS code '{iris}' belongs to no commune of the territory.");
                }

                codes.Add(new GeoCode(iris, parent, GeoLevel.Iris));
            }

            var used = codes.Where(c => c.Level == GeoLevel.Iris && c.Parent is not null).Select(c => c.Parent!).ToHashSet(StringComparer.Ordinal);
            codes.RemoveAll(c => c.Level == GeoLevel.Commune && !used.Contains(c.Code));
        }

        var hierarchy = Hierarchy.FromParents(codes.Select(c => (c.Code, c.Parent)));
        var levels = new GeoLevel[hierarchy.Count];
        levels[0] = GeoLevel.Epci;
        var byCode = codes.ToDictionary(c => c.Code, c => c.Level, StringComparer.Ordinal);
        for (var i = 1; i < hierarchy.Count; i++)
        {
            levels[i] = byCode[hierarchy.Codes[i]];
        }

        return (hierarchy, levels);
    }

    /// <summary>
    /// The canonical JSON: with <paramref name="identity"/> the whole definition (dataset, contract, clause, amendment,
    /// rounding), else its <see cref="Shape"/>; with <paramref name="linked"/>, the group it is protected with. A cube
    /// protected alone writes exactly what it did before linked cubes existed, so its key did not change.
    /// </summary>
    private string CanonicalJson(bool identity, LinkedGroup? linked)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            if (identity)
            {
                w.WriteString("dataset", DatasetId);
                w.WriteString("contract", ContractId);
                w.WriteString("clause", ClauseId);
                w.WriteNumber("amendment", Amendment);
            }

            w.WriteStartObject("geo");
            w.WriteString("leaf", Geo.LeafLevel.ToWire());
            if (Geo.LeafColumn is null)
            {
                w.WriteNull("leafColumn");
            }
            else
            {
                w.WriteString("leafColumn", Geo.LeafColumn);
            }

            w.WriteString("epci", Geo.EpciCode);
            w.WriteStartObject("columns");
            foreach (var (name, level) in Geo.Columns.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                w.WriteString(name, level.ToWire());
            }

            w.WriteEndObject();
            w.WriteStartArray("codes");
            foreach (var code in Geo.Codes)
            {
                w.WriteStartArray();
                w.WriteStringValue(code.Code);
                if (code.Parent is null)
                {
                    w.WriteNullValue();
                }
                else
                {
                    w.WriteStringValue(code.Parent);
                }

                w.WriteStringValue(code.Level.ToWire());
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("categories");
            foreach (var category in Categories)
            {
                w.WriteStartObject();
                w.WriteString("name", category.Name);
                w.WriteStartArray("values");
                foreach (var value in category.Values)
                {
                    w.WriteStringValue(value);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("measures");
            foreach (var measure in Measures)
            {
                w.WriteStartObject();
                w.WriteString("name", measure.Name);
                w.WriteString("kind", measure.Kind == MeasureKind.Count ? "count" : "sum");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("rules");
            w.WriteNumber("minCount", Rules.MinCount);
            if (Rules.Dominance is { } dominance)
            {
                w.WriteStartObject("dominance");
                w.WriteNumber("n", dominance.N);
                w.WriteNumber("k", dominance.K);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("dominance");
            }

            if (Rules.PPercent is { } p)
            {
                w.WriteNumber("pPercent", p);
            }
            else
            {
                w.WriteNull("pPercent");
            }

            w.WriteBoolean("secondarySuppression", Rules.SecondarySuppression);
            w.WriteBoolean("protectZeros", Rules.ProtectZeros);

            // The protection model of issue 11 (integer attacker, protection levels): a cube of the ε model is another cube.
            w.WriteNumber("protectionLevel", Rules.ProtectionLevel);
            w.WriteNumber("protectionPercent", Rules.ProtectionPercent);
            w.WriteBoolean("publicTotal", PublicTotal);
            if (identity)
            {
                w.WriteString("rounding", Rules.Rounding.ToString());
            }

            w.WriteEndObject();
            linked?.WriteJson(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
