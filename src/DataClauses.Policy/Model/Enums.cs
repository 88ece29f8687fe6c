namespace DataClauses.Policy.Model;

/// <summary>Geographic levels, from the finest to the coarsest: the order is used to compare granularity.</summary>
public enum GeoLevel
{
    /// <summary>INSEE IRIS (about 2,000 inhabitants).</summary>
    Iris = 0,

    /// <summary>Quartier prioritaire de la politique de la ville.</summary>
    Qpv = 1,

    /// <summary>Commune (INSEE code).</summary>
    Commune = 2,

    /// <summary>Établissement public de coopération intercommunale.</summary>
    Epci = 3,
}

/// <summary>The QPV zoning a dataset or clause is expressed in; the two are never mixed.</summary>
public enum Zoning
{
    /// <summary>The 2024 QPV list (codes <c>QN04401M</c>).</summary>
    Qpv2024,

    /// <summary>The 2015 QPV list (codes <c>QP044001</c>), for historical series only.</summary>
    Qpv2015,
}

/// <summary>The kind of a co-signing body.</summary>
public enum OrganisationKind
{
    /// <summary>The State (préfecture, DDETS…).</summary>
    State,

    /// <summary>An EPCI (métropole, communauté d'agglomération…).</summary>
    Epci,

    /// <summary>A commune.</summary>
    Commune,

    /// <summary>A Caisse d'allocations familiales.</summary>
    Caf,

    /// <summary>A social landlord.</summary>
    Bailleur,

    /// <summary>France Travail.</summary>
    FranceTravail,

    /// <summary>A Caisse primaire d'assurance maladie.</summary>
    Cpam,

    /// <summary>A Région.</summary>
    Region,

    /// <summary>A Département.</summary>
    Departement,

    /// <summary>An observatory or urban-planning agency.</summary>
    Agency,

    /// <summary>Any other co-signing body.</summary>
    Other,
}

/// <summary>How cell values are rounded after suppression.</summary>
public enum RoundingMode
{
    /// <summary>Values are published as computed.</summary>
    None,

    /// <summary>Values are rounded to the nearest multiple of 5.</summary>
    Base5,

    /// <summary>1–6 become 3, 7–12 become 9… (the midpoint of each band of six); 0 stays 0.</summary>
    Midpoint6,
}

/// <summary>Who approves an extract request.</summary>
public enum ApprovalMode
{
    /// <summary>Produced at once when the decision permits it.</summary>
    Automatic,

    /// <summary>One steward of the provider approves.</summary>
    Steward,

    /// <summary>Two distinct stewards of the provider approve.</summary>
    FourEyes,
}

/// <summary>What happens to an extract when its retention ends.</summary>
public enum RetentionEnd
{
    /// <summary>The file is deleted.</summary>
    Delete,

    /// <summary>
    /// The contract asks for anonymisation at the end. The gateway keeps no anonymised copy: it deletes the files at the
    /// deadline, as for <see cref="Delete"/> (nothing left satisfies anonymisation).
    /// </summary>
    Anonymise,
}

/// <summary>The publication tier of a dataset under a clause.</summary>
public enum Tier
{
    /// <summary>Open data: anyone may read the aggregates.</summary>
    Open,

    /// <summary>Aggregated data for the contract's signatories.</summary>
    Aggregated,

    /// <summary>Protected data for named recipients and purposes only.</summary>
    Protected,
}

/// <summary>What a request asks to do.</summary>
public enum PolicyAction
{
    /// <summary>Query protected aggregates.</summary>
    Query,

    /// <summary>Request an extract (a file kept for a retention period).</summary>
    Extract,

    /// <summary>Publish a dataset version.</summary>
    Publish,

    /// <summary>Approve an extract request.</summary>
    Approve,

    /// <summary>Read the audit log about a dataset.</summary>
    AuditRead,
}

/// <summary>The effect of a decision.</summary>
public enum Effect
{
    /// <summary>Refused (the default).</summary>
    Deny = 0,

    /// <summary>Allowed, with obligations.</summary>
    Permit,

    /// <summary>Allowed once the clause's stewards approve.</summary>
    ApprovalRequired,
}
