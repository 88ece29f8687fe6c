using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Extracts;

/// <summary>The statuses of an extract (docs/extracts.md): the wire names stored in <c>extracts.status</c>.</summary>
internal static class ExtractStatus
{
    /// <summary>Waiting for the providers' stewards.</summary>
    public const string PendingApproval = "pending-approval";

    /// <summary>Approved (automatically or by the stewards); production is queued.</summary>
    public const string Approved = "approved";

    /// <summary>A producer is writing the files (progress in %).</summary>
    public const string Producing = "producing";

    /// <summary>The files can be downloaded by the requester until the retention deadline.</summary>
    public const string Ready = "ready";

    /// <summary>The retention ended (or the clause was revoked): downloads answer 410; the purge is due.</summary>
    public const string Expired = "expired";

    /// <summary>The files were deleted and the deletion verified.</summary>
    public const string Purged = "purged";

    /// <summary>A steward rejected the request.</summary>
    public const string Rejected = "rejected";

    /// <summary>The approvals were complete but the contract no longer permitted the extract.</summary>
    public const string Denied = "denied";

    /// <summary>Production could not be done (e.g. the version's cube cannot be defined any more).</summary>
    public const string Failed = "failed";

    /// <summary>Statuses that still hold, or may still come to hold, files.</summary>
    public static readonly string[] Live = [PendingApproval, Approved, Producing, Ready];

    /// <summary>Statuses after the retention ended.</summary>
    public static readonly string[] Ended = [Expired, Purged];

    public static readonly string[] All = [PendingApproval, Approved, Producing, Ready, Expired, Purged, Rejected, Denied, Failed];
}

/// <summary>A filter of a table, as asked.</summary>
/// <param name="Dimension">The dimension.</param>
/// <param name="Values">The values kept.</param>
internal sealed record ExtractFilter(string Dimension, IReadOnlyList<string> Values);

/// <summary>
/// One table of an extract as stored in <c>tables_json</c>: the query-shaped request, the version pinned when it was
/// asked, and what the decision said about it (provider, clause, approvals).
/// </summary>
internal sealed record ExtractTable
{
    public required string Dataset { get; init; }

    /// <summary>The version, pinned at request time (the current one when none was asked).</summary>
    public required string Version { get; init; }

    public required string Provider { get; init; }

    public required string Contract { get; init; }

    public required string Clause { get; init; }

    public int Amendment { get; init; }

    public required IReadOnlyList<string> Dimensions { get; init; }

    public required IReadOnlyList<string> Measures { get; init; }

    public IReadOnlyList<ExtractFilter> Filters { get; init; } = [];

    /// <summary>permit or approval-required.</summary>
    public required string Effect { get; init; }

    /// <summary>Distinct stewards of the provider who must approve (0, 1 or 2).</summary>
    public int ApprovalsRequired { get; init; }

    /// <summary>A table as stored: the request, the version pinned, and what the permitting decision said.</summary>
    public static ExtractTable Of(DecisionRequest table, string version, Decision decision) => new()
    {
        Dataset = table.Dataset,
        Version = version,
        Provider = decision.Clause!.Provider,
        Contract = decision.Contract!.Id,
        Clause = decision.Clause.Id,
        Amendment = decision.Clause.Amendment,
        Dimensions = table.Dimensions,
        Measures = table.Measures,
        Filters = [.. table.Filters.Select(f => new ExtractFilter(f.Dimension, f.Values))],
        Effect = decision.Effect.ToWire(),
        ApprovalsRequired = decision.Effect == global::DataClauses.Policy.Model.Effect.ApprovalRequired ? Math.Max(1, decision.Obligations!.ApprovalsRequired) : 0,
    };

    /// <summary>The decision request of this table, for a requester, purpose and retention.</summary>
    public DecisionRequest ToDecisionRequest(Requester requester, PolicyAction action, string purpose, IsoDuration? retention) => new()
    {
        Requester = requester,
        Action = action,
        Dataset = Dataset,
        Dimensions = Dimensions,
        Measures = Measures,
        Filters = [.. Filters.Select(f => new Filter(f.Dimension, f.Values))],
        Purpose = purpose,
        Retention = retention,
    };
}

/// <summary>Helpers over a stored extract: its tables, its requester, its approvals required, its id.</summary>
internal static class Extract
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A new id: 128 random bits as 32 lowercase hex digits.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether a path segment can be an extract id (anything else is simply not found).</summary>
    public static bool IsId(string? id) => id is { Length: 32 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static IReadOnlyList<ExtractTable> Tables(ExtractEntity extract) =>
        JsonSerializer.Deserialize<List<ExtractTable>>(extract.TablesJson, Json) ?? [];

    public static string ProvidersColumn(IEnumerable<string> providers) => "|" + string.Join('|', providers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)) + "|";

    public static IReadOnlyList<string> ProvidersOf(ExtractEntity extract) => extract.Providers.Split('|', StringSplitOptions.RemoveEmptyEntries);

    public static bool IsProvider(ExtractEntity extract, string organisation) => ProvidersOf(extract).Contains(organisation, StringComparer.Ordinal);

    /// <summary>The requester as the policy engine sees it (the roles held when asking).</summary>
    public static Requester RequesterOf(ExtractEntity extract) =>
        new(extract.RequesterSubject, extract.RequesterOrganisation, extract.RequesterRoles.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    public static IsoDuration? RetentionOf(ExtractEntity extract) =>
        IsoDuration.TryParse(extract.RequestedRetention, out var retention) ? retention : null;

    /// <summary>Distinct stewards each provider must contribute (providers whose tables need none are left out).</summary>
    public static IReadOnlyDictionary<string, int> ApprovalsRequired(IEnumerable<ExtractTable> tables) =>
        tables.Where(t => t.ApprovalsRequired > 0)
            .GroupBy(t => t.Provider, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Max(t => t.ApprovalsRequired), StringComparer.Ordinal);

    /// <summary>Whether every provider has given its approvals.</summary>
    public static bool IsFullyApproved(IReadOnlyDictionary<string, int> required, IEnumerable<ExtractApprovalEntity> votes)
    {
        var approvals = votes.Where(v => v.Decision == ExtractVotes.Approve).ToList();
        return required.All(r => approvals.Count(a => a.Organisation == r.Key) >= r.Value);
    }

    /// <summary>The decisions' reasons summarised for a purge reason: <c>rule (clause)</c>, distinct.</summary>
    public static string Summarise(IEnumerable<Reason> reasons)
    {
        var summary = string.Join("; ", reasons.Select(r => r.ClauseId is null ? r.Rule : $"{r.Rule} ({r.ClauseId})").Distinct(StringComparer.Ordinal));

        // The purge reason column holds 1,000 characters with its "clause-revoked: " prefix; the event keeps every reason.
        return summary.Length > 900 ? summary[..899] + "…" : summary;
    }
}

/// <summary>A steward's vote.</summary>
internal static class ExtractVotes
{
    public const string Approve = "approve";
    public const string Reject = "reject";
}

/// <summary>
/// The status transitions of an extract made by the workflow (docs/extracts.md); production, expiry and purge are
/// <see cref="ExtractJobs"/>' own, done by conditional updates.
/// </summary>
internal static class ExtractTransitions
{
    /// <summary>
    /// A new request of permitted tables: <c>approved</c> at once when no clause needs a steward, otherwise
    /// <c>pending-approval</c>; the retention deadline is the earliest of the decisions'.
    /// </summary>
    public static ExtractEntity NewRequest(
        ExtractRequest request, Identity.Caller caller, IReadOnlyList<ExtractTable> tables, IReadOnlyList<Decision> decisions, string decisionJson, DateTimeOffset now, string correlationId)
    {
        var automatic = Extract.ApprovalsRequired(tables).Count == 0;
        return new ExtractEntity
        {
            Id = Extract.NewId(),
            RequesterSubject = caller.Subject,
            RequesterClientId = caller.ClientId,
            RequesterOrganisation = caller.Organisation,
            RequesterRoles = string.Join(' ', caller.Roles),
            Providers = Extract.ProvidersColumn(tables.Select(t => t.Provider)),
            Purpose = request.Purpose!,
            Justification = request.Justification!,
            RequestedRetention = request.Retention!,
            TablesJson = JsonSerializer.Serialize(tables, Extract.Json),
            DecisionJson = decisionJson,
            Status = automatic ? ExtractStatus.Approved : ExtractStatus.PendingApproval,
            RetentionDeadline = decisions.Min(d => d.RetentionDeadline!.Value),
            RetentionEnd = decisions.Any(d => d.Obligations!.RetentionEnd == RetentionEnd.Anonymise) ? RetentionEnd.Anonymise.ToWire() : RetentionEnd.Delete.ToWire(),
            CreatedAt = now,
            UpdatedAt = now,
            ApprovedAt = automatic ? now : null,
            CorrelationId = correlationId,
        };
    }

    /// <summary>pending-approval → rejected: a steward said no.</summary>
    public static void Reject(this ExtractEntity extract) => extract.Status = ExtractStatus.Rejected;

    /// <summary>
    /// pending-approval → approved (the retention runs from now, within the clause and contract) or denied (the
    /// contract no longer permits it), on the decisions taken again at the last approval.
    /// </summary>
    public static void Conclude(this ExtractEntity extract, IReadOnlyList<Decision> decisions, DateTimeOffset now)
    {
        if (decisions.Any(d => d.Effect == Effect.Deny))
        {
            extract.Status = ExtractStatus.Denied;
            var failure = "no longer permitted: " + Extract.Summarise(decisions.Where(d => d.Effect == Effect.Deny).SelectMany(d => d.Reasons));
            extract.Failure = failure.Length > 1000 ? failure[..1000] : failure;
        }
        else
        {
            extract.Status = ExtractStatus.Approved;
            extract.ApprovedAt = now;
            extract.RetentionDeadline = decisions.Min(d => d.RetentionDeadline!.Value);
        }
    }

    /// <summary>The requester attested deleting every downstream copy.</summary>
    public static void Attest(this ExtractEntity extract, string subject, DateTimeOffset now)
    {
        extract.AttestedAt = now;
        extract.AttestedBy = subject;
    }
}
