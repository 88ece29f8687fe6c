namespace DataClauses.Policy.Model;

/// <summary>What one provider commits to share, with whom, for which purposes and under which protection.</summary>
public sealed record Clause
{
    /// <summary>Identifier, unique in the contract.</summary>
    public required string Id { get; init; }

    /// <summary>Title.</summary>
    public string? Title { get; init; }

    /// <summary>The providing organisation.</summary>
    public required string Provider { get; init; }

    /// <summary>The dataset shared.</summary>
    public required string Dataset { get; init; }

    /// <summary>Who may use it.</summary>
    public required Recipients Recipients { get; init; }

    /// <summary>The permitted purposes; every other purpose is excluded.</summary>
    public required IReadOnlyList<string> Purposes { get; init; }

    /// <summary>The dimensions a query may group or filter by.</summary>
    public required IReadOnlyList<string> Dimensions { get; init; }

    /// <summary>The measures a query may ask for.</summary>
    public required IReadOnlyList<string> Measures { get; init; }

    /// <summary>The finest geography allowed.</summary>
    public required GeoLevel FinestGeography { get; init; }

    /// <summary>The QPV zoning.</summary>
    public Zoning Zoning { get; init; } = Zoning.Qpv2024;

    /// <summary>The disclosure rules every released cell obeys.</summary>
    public required DisclosureRules Disclosure { get; init; }

    /// <summary>How long an extract may be kept and what happens then; null forbids extracts.</summary>
    public RetentionRule? Retention { get; init; }

    /// <summary>Who approves extracts.</summary>
    public ApprovalMode Approval { get; init; } = ApprovalMode.Steward;

    /// <summary>The provider's publication commitment.</summary>
    public PublicationCommitment? Publication { get; init; }

    /// <summary>The legal basis of the sharing (e.g. "RGPD art. 6.1.e").</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The amendment that last changed the clause (0 = as signed).</summary>
    public int Amendment { get; init; }
}

/// <summary>The recipients of a clause: organisations by id or kind, and the roles their users must hold.</summary>
public sealed record Recipients
{
    /// <summary>Organisation ids.</summary>
    public IReadOnlyList<string> Organisations { get; init; } = [];

    /// <summary>Organisation kinds (every signatory of that kind).</summary>
    public IReadOnlyList<OrganisationKind> Kinds { get; init; } = [];

    /// <summary>Roles allowed to query (analyst by default).</summary>
    public IReadOnlyList<string> Roles { get; init; } = ["analyst"];
}

/// <summary>Dominance rule (n, k): a cell is sensitive when its n largest contributors make more than k% of it.</summary>
/// <param name="N">Number of largest contributors.</param>
/// <param name="K">Percentage threshold.</param>
public sealed record DominanceRule(int N, double K);

/// <summary>The disclosure rules of a clause.</summary>
public sealed record DisclosureRules
{
    /// <summary>Minimum number of contributors per published cell.</summary>
    public required int MinCount { get; init; }

    /// <summary>Dominance rule for sums, if any.</summary>
    public DominanceRule? Dominance { get; init; }

    /// <summary>p% rule for sums, if any (the second largest must not estimate the largest within p%).</summary>
    public double? PPercent { get; init; }

    /// <summary>Rounding applied after suppression.</summary>
    public RoundingMode Rounding { get; init; } = RoundingMode.None;

    /// <summary>Whether secondary suppression is required (it is unless the clause says otherwise).</summary>
    public bool SecondarySuppression { get; init; } = true;

    /// <summary>Whether zero cells are protected like small ones.</summary>
    public bool ProtectZeros { get; init; }

    /// <summary>
    /// Whether the grand total is public: secondary suppression never chooses it (a grand total that is itself
    /// sensitive is still suppressed).
    /// </summary>
    public bool PublicTotal { get; init; }

    /// <summary>
    /// The protection level in units: an attacker's range of every primary cell must be at least this wide (null: the
    /// disclosure library's default, docs/adr/0004).
    /// </summary>
    public int? ProtectionLevel { get; init; }

    /// <summary>The protection level as a percentage of the cell (null: the library's default); the larger applies.</summary>
    public double? ProtectionPercent { get; init; }
}

/// <summary>Retention of extracts.</summary>
/// <param name="Max">Maximum retention.</param>
/// <param name="AtEnd">What happens at its end.</param>
public sealed record RetentionRule(IsoDuration Max, RetentionEnd AtEnd);

/// <summary>The provider's publication commitment.</summary>
/// <param name="Frequency">How often a new version is due (e.g. P1Y).</param>
/// <param name="Format">Format (csv…).</param>
/// <param name="Tier">Publication tier.</param>
/// <param name="Delay">How long after the end of a reference period its version is due (null: the default, three months).</param>
public sealed record PublicationCommitment(IsoDuration Frequency, string Format, Tier Tier, IsoDuration? Delay = null);
