using DataClauses.Policy.Model;

namespace DataClauses.Policy.Engine;

/// <summary>What the caller must do when a decision permits: the protection to apply and the limits to respect.</summary>
public sealed record Obligations
{
    /// <summary>Minimum contributors per published cell.</summary>
    public required int MinCount { get; init; }

    /// <summary>Dominance rule, if any.</summary>
    public DominanceRule? Dominance { get; init; }

    /// <summary>p% rule, if any.</summary>
    public double? PPercent { get; init; }

    /// <summary>Rounding after suppression.</summary>
    public RoundingMode Rounding { get; init; }

    /// <summary>Whether secondary suppression is required.</summary>
    public bool SecondarySuppression { get; init; }

    /// <summary>Whether zero cells are protected.</summary>
    public bool ProtectZeros { get; init; }

    /// <summary>Whether the grand total must stay published (unless sensitive itself).</summary>
    public bool PublicTotal { get; init; }

    /// <summary>The protection level in units (null: the disclosure library's default).</summary>
    public int? ProtectionLevel { get; init; }

    /// <summary>The protection level as a percentage of the cell (null: the disclosure library's default).</summary>
    public double? ProtectionPercent { get; init; }

    /// <summary>The dimensions the protected cube is built over.</summary>
    public required IReadOnlyList<string> AllowedDimensions { get; init; }

    /// <summary>The measures the protected cube holds.</summary>
    public required IReadOnlyList<string> AllowedMeasures { get; init; }

    /// <summary>The finest geography.</summary>
    public GeoLevel FinestGeography { get; init; }

    /// <summary>Maximum retention of an extract.</summary>
    public IsoDuration? MaxRetention { get; init; }

    /// <summary>What happens at the end of retention.</summary>
    public RetentionEnd RetentionEnd { get; init; }

    /// <summary>Approvals needed before an extract is produced (0, 1, or 2 distinct stewards).</summary>
    public int ApprovalsRequired { get; init; }

    /// <summary>The access must be audited (always true: no clause turns audit off).</summary>
    public bool Audit { get; init; } = true;

    /// <summary>The obligations a clause imposes when it permits (the engine compiles them once per clause).</summary>
    public static Obligations Of(Clause clause)
    {
        ArgumentNullException.ThrowIfNull(clause);
        return new Obligations
        {
            MinCount = clause.Disclosure.MinCount,
            Dominance = clause.Disclosure.Dominance,
            PPercent = clause.Disclosure.PPercent,
            Rounding = clause.Disclosure.Rounding,
            SecondarySuppression = clause.Disclosure.SecondarySuppression,
            ProtectZeros = clause.Disclosure.ProtectZeros,
            PublicTotal = clause.Disclosure.PublicTotal,
            ProtectionLevel = clause.Disclosure.ProtectionLevel,
            ProtectionPercent = clause.Disclosure.ProtectionPercent,
            AllowedDimensions = clause.Dimensions,
            AllowedMeasures = clause.Measures,
            FinestGeography = clause.FinestGeography,
            MaxRetention = clause.Retention?.Max,
            RetentionEnd = clause.Retention?.AtEnd ?? RetentionEnd.Delete,
            ApprovalsRequired = clause.Approval switch
            {
                ApprovalMode.Automatic => 0,
                ApprovalMode.Steward => 1,
                _ => 2,
            },
        };
    }
}

/// <summary>
/// The policy engine's answer. Fail closed: a default decision denies. It names the clauses and rules behind
/// every reason, and the obligations the caller must discharge.
/// </summary>
public sealed class Decision
{
    internal Decision(Effect effect, Reason[] reasons, Contract? contract, Clause? clause, Obligations? obligations, DateTimeOffset? retentionDeadline)
    {
        Effect = effect;
        Reasons = reasons;
        Contract = contract;
        Clause = clause;
        Obligations = obligations;
        RetentionDeadline = retentionDeadline;
    }

    /// <summary>Permit, deny or approval-required.</summary>
    public Effect Effect { get; }

    /// <summary>Why: each reason names its clause and rule.</summary>
    public IReadOnlyList<Reason> Reasons { get; }

    /// <summary>The contract of the determining clause (null when denied).</summary>
    public Contract? Contract { get; }

    /// <summary>The clause that permits (null when denied).</summary>
    public Clause? Clause { get; }

    /// <summary>Obligations to discharge (null when denied).</summary>
    public Obligations? Obligations { get; }

    /// <summary>For an extract: the instant its retention ends (the shorter of the request, the clause and the contract).</summary>
    public DateTimeOffset? RetentionDeadline { get; }

    /// <summary>True for permit and approval-required.</summary>
    public bool IsAllowed => Effect != Effect.Deny;

    /// <summary>The clauses the reasons name, without repetition, in order.</summary>
    public IReadOnlyList<string> DeterminingClauses
    {
        get
        {
            var ids = new List<string>();
            foreach (var reason in Reasons)
            {
                if (reason.ClauseId is { } id && !ids.Contains(id, StringComparer.Ordinal))
                {
                    ids.Add(id);
                }
            }

            return ids;
        }
    }
}
