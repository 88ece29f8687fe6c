namespace DataClauses.Policy.Model;

/// <summary>One contrat de ville: territory, period, signatories, purposes, datasets, clauses and amendments.</summary>
public sealed record Contract
{
    /// <summary>Stable identifier, e.g. <c>cdv-demo-2024-2030</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Human title.</summary>
    public required string Title { get; init; }

    /// <summary>The file the contract was read from (for messages only).</summary>
    public string? SourcePath { get; init; }

    /// <summary>The territory: EPCI, communes and QPV.</summary>
    public required Territory Territory { get; init; }

    /// <summary>First day the contract is in force.</summary>
    public required DateOnly Start { get; init; }

    /// <summary>Last day the contract is in force (inclusive).</summary>
    public required DateOnly End { get; init; }

    /// <summary>The co-signing organisations.</summary>
    public required IReadOnlyList<Signatory> Signatories { get; init; }

    /// <summary>The closed vocabulary of purposes clauses may grant.</summary>
    public required IReadOnlyList<Purpose> Purposes { get; init; }

    /// <summary>Purposes no clause may ever grant (individual control, profiling, scoring…).</summary>
    public required IReadOnlyList<Purpose> ProhibitedPurposes { get; init; }

    /// <summary>The datasets the clauses govern.</summary>
    public required IReadOnlyList<DatasetDeclaration> Datasets { get; init; }

    /// <summary>The clauses as signed (before amendments).</summary>
    public required IReadOnlyList<Clause> Clauses { get; init; }

    /// <summary>Amendments (avenants), by number.</summary>
    public IReadOnlyList<Amendment> Amendments { get; init; } = [];

    /// <summary>Steering and ethics governance.</summary>
    public Governance? Governance { get; init; }

    /// <summary>Finds a signatory by id.</summary>
    public Signatory? FindSignatory(string id) => Signatories.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.Ordinal));

    /// <summary>Finds a dataset by id.</summary>
    public DatasetDeclaration? FindDataset(string id) => Datasets.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));

    /// <summary>True when <paramref name="day"/> falls within the contract period.</summary>
    public bool IsInForce(DateOnly day) => day >= Start && day <= End;

    /// <summary>
    /// The clauses in force on <paramref name="day"/>: the signed clauses with every amendment effective
    /// on or before that day applied in order.
    /// </summary>
    public IReadOnlyList<Clause> ClausesAt(DateOnly day)
    {
        var clauses = Clauses.ToList();
        foreach (var amendment in Amendments.OrderBy(a => a.Number))
        {
            if (amendment.Effective > day)
            {
                continue;
            }

            foreach (var change in amendment.Changes)
            {
                var index = clauses.FindIndex(c => string.Equals(c.Id, change.ClauseId, StringComparison.Ordinal));
                switch (change.Kind)
                {
                    case ClauseChangeKind.Add when change.Clause is not null:
                        clauses.Add(change.Clause with { Amendment = amendment.Number });
                        break;
                    case ClauseChangeKind.Modify when change.Clause is not null && index >= 0:
                        clauses[index] = change.Clause with { Amendment = amendment.Number };
                        break;
                    case ClauseChangeKind.Remove when index >= 0:
                        clauses.RemoveAt(index);
                        break;
                }
            }
        }

        return clauses;
    }
}

/// <summary>The territory of a contract.</summary>
public sealed record Territory
{
    /// <summary>The EPCI's SIREN code.</summary>
    public required string EpciCode { get; init; }

    /// <summary>The EPCI's name.</summary>
    public required string EpciName { get; init; }

    /// <summary>The communes with their INSEE codes.</summary>
    public required IReadOnlyList<Commune> Communes { get; init; }

    /// <summary>The priority neighbourhoods in the 2024 zoning.</summary>
    public required IReadOnlyList<Qpv> Qpv { get; init; }

    /// <summary>The 2015 neighbourhoods, only for clauses that declare the 2015 zoning.</summary>
    public IReadOnlyList<Qpv> Qpv2015 { get; init; } = [];
}

/// <summary>A commune of the territory.</summary>
/// <param name="Code">INSEE code (5 characters).</param>
/// <param name="Name">Name.</param>
public sealed record Commune(string Code, string Name);

/// <summary>A priority neighbourhood (quartier prioritaire).</summary>
/// <param name="Code">QPV code (<c>QN04401M</c> in 2024, <c>QP044001</c> in 2015).</param>
/// <param name="Name">Name.</param>
/// <param name="CommuneCode">The commune it lies in (the main one when it spans several).</param>
public sealed record Qpv(string Code, string Name, string CommuneCode);

/// <summary>A co-signing organisation.</summary>
public sealed record Signatory
{
    /// <summary>Stable identifier, e.g. <c>caf-44</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Kind of body.</summary>
    public required OrganisationKind Kind { get; init; }

    /// <summary>Contact of its data protection officer.</summary>
    public required string DpoContact { get; init; }

    /// <summary>Its gateway node, when it runs one.</summary>
    public NodeReference? Node { get; init; }
}

/// <summary>
/// A gateway node a signatory runs: where it is and the key its assertions are signed with, given either as the key
/// itself or as the node's JWKS address (which follows the node's key rotations).
/// </summary>
/// <param name="Url">Base URL.</param>
/// <param name="PublicKey">Public signing key: base64 of the DER SubjectPublicKeyInfo (EC P-256), or null.</param>
/// <param name="Jwks">Address of the node's JSON Web Key Set, or null.</param>
public sealed record NodeReference(string Url, string? PublicKey, string? Jwks = null);

/// <summary>A purpose of processing.</summary>
/// <param name="Id">Identifier used by clauses and requests.</param>
/// <param name="Label">Human label.</param>
/// <param name="Iri">Optional mapping to a vocabulary (DPV).</param>
public sealed record Purpose(string Id, string Label, string? Iri);

/// <summary>A dataset a provider commits to share, with its dimensions and measures.</summary>
public sealed record DatasetDeclaration
{
    /// <summary>Identifier.</summary>
    public required string Id { get; init; }

    /// <summary>The providing organisation.</summary>
    public required string Provider { get; init; }

    /// <summary>Title.</summary>
    public required string Title { get; init; }

    /// <summary>The QPV zoning of its geography.</summary>
    public Zoning Zoning { get; init; } = Zoning.Qpv2024;

    /// <summary>Dimensions (geographic or categorical).</summary>
    public required IReadOnlyList<DimensionDeclaration> Dimensions { get; init; }

    /// <summary>Measures.</summary>
    public required IReadOnlyList<MeasureDeclaration> Measures { get; init; }

    /// <summary>Finds a dimension by name.</summary>
    public DimensionDeclaration? FindDimension(string name) => Dimensions.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
}

/// <summary>A dimension of a dataset.</summary>
public sealed record DimensionDeclaration
{
    /// <summary>Column name.</summary>
    public required string Name { get; init; }

    /// <summary>Label.</summary>
    public string? Label { get; init; }

    /// <summary>The geographic level when the dimension is a geographic code; null for a categorical one.</summary>
    public GeoLevel? Geo { get; init; }

    /// <summary>Allowed values of a categorical dimension.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];
}

/// <summary>How a measure aggregates.</summary>
public enum MeasureKind
{
    /// <summary>A count of contributors (households, job seekers, dwellings).</summary>
    Count,

    /// <summary>A sum of a numeric column (amounts).</summary>
    Sum,
}

/// <summary>A measure of a dataset.</summary>
/// <param name="Name">Name.</param>
/// <param name="Kind">Count or sum.</param>
/// <param name="Unit">Unit (e.g. EUR) for sums.</param>
public sealed record MeasureDeclaration(string Name, MeasureKind Kind, string? Unit);

/// <summary>Steering and ethics governance of a contract.</summary>
public sealed record Governance
{
    /// <summary>Members of the steering committee (signatory ids).</summary>
    public IReadOnlyList<string> SteeringCommittee { get; init; } = [];

    /// <summary>Date of the mid-term review.</summary>
    public DateOnly? ReviewDate { get; init; }

    /// <summary>Ethics label scheme (Ekitia).</summary>
    public string? EthicsLabelScheme { get; init; }

    /// <summary>Ethics label reference.</summary>
    public string? EthicsLabelReference { get; init; }
}

/// <summary>An amendment (avenant): numbered, dated, changing clauses from a date on.</summary>
public sealed record Amendment
{
    /// <summary>Number (1, 2…).</summary>
    public required int Number { get; init; }

    /// <summary>Title.</summary>
    public string? Title { get; init; }

    /// <summary>The day it was signed.</summary>
    public required DateOnly Signed { get; init; }

    /// <summary>The first day its changes apply.</summary>
    public required DateOnly Effective { get; init; }

    /// <summary>The clause changes.</summary>
    public required IReadOnlyList<ClauseChange> Changes { get; init; }
}

/// <summary>What an amendment does to a clause.</summary>
public enum ClauseChangeKind
{
    /// <summary>A new clause.</summary>
    Add,

    /// <summary>A clause replaced by a modified copy.</summary>
    Modify,

    /// <summary>A clause withdrawn.</summary>
    Remove,
}

/// <summary>One change of an amendment.</summary>
/// <param name="Kind">Add, modify or remove.</param>
/// <param name="ClauseId">The clause concerned.</param>
/// <param name="Clause">The clause as it reads after the change (null for a removal).</param>
public sealed record ClauseChange(ClauseChangeKind Kind, string ClauseId, Clause? Clause);
