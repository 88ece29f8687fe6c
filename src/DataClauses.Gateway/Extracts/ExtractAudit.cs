using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Extracts;

/// <summary>
/// The audit events of extracts: every transition, written in the transaction of the change it records (downloads and
/// refusals, which change nothing, by group commit). They carry the extract id, its tables, purpose and decision, and
/// the request's correlation id, so that a DPO follows one extract from request to purge. Never a cell value.
/// </summary>
internal static class ExtractAudit
{
    public const string Requested = "extract.requested";
    public const string Denied = "extract.denied";
    public const string Rejected = "extract.rejected";
    public const string Approved = "extract.approved";
    public const string Produced = "extract.produced";
    public const string ProductionFailed = "extract.production-failed";
    public const string Downloaded = "extract.downloaded";
    public const string Expired = "extract.expired";
    public const string MarkedForEarlyPurge = "extract.marked-for-early-purge";
    public const string Purged = "extract.purged";
    public const string DeletionAttested = "extract.deletion-attested";
    public const string RequestRejected = "extract.request-rejected";

    /// <summary>The subject background jobs act as.</summary>
    public const string JobSubject = "system:extract-jobs";

    /// <summary>An event of the current request about an extract.</summary>
    public static AuditEvent ForRequest(AuditService audit, string action, string outcome, ExtractEntity extract, IReadOnlyList<ExtractTable> tables) =>
        Describe(audit.Create(action, outcome), extract, tables);

    /// <summary>An event of a background job about an extract, under the request's correlation id.</summary>
    public static AuditEvent ForJob(string action, string outcome, ExtractEntity extract, IReadOnlyList<ExtractTable> tables, DateTimeOffset now, string nodeId) =>
        Describe(
            new AuditEvent
            {
                Action = action,
                Outcome = outcome,
                Timestamp = now,
                Actor = new AuditActor(JobSubject, nodeId, []),
                CorrelationId = extract.CorrelationId,
                NodeId = nodeId,
            },
            extract,
            tables);

    private static AuditEvent Describe(AuditEvent auditEvent, ExtractEntity extract, IReadOnlyList<ExtractTable> tables)
    {
        var first = tables.Count > 0 ? tables[0] : null;
        var details = new Dictionary<string, string>(auditEvent.Details, StringComparer.Ordinal)
        {
            ["extract"] = extract.Id,
            ["status"] = extract.Status,
            ["requester"] = extract.RequesterSubject,
            ["requesterOrganisation"] = extract.RequesterOrganisation,
            ["tables"] = string.Join(';', tables.Select(t => $"{t.Dataset}@{t.Version}:{t.Clause}")),
            ["dimensions"] = string.Join(';', tables.Select(t => string.Join(',', t.Dimensions))),
            ["measures"] = string.Join(';', tables.Select(t => string.Join(',', t.Measures))),
            ["filters"] = string.Join(';', tables.Select(t => string.Join('&', t.Filters.Select(f => f.Dimension + "=" + string.Join('|', f.Values))))),
            ["retentionDeadline"] = extract.RetentionDeadline.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        return auditEvent with
        {
            DataOwner = first?.Provider,
            Dataset = first?.Dataset,
            Version = first?.Version,
            Purpose = extract.Purpose,
            Details = details,
        };
    }

    /// <summary>The event with more details.</summary>
    public static AuditEvent With(this AuditEvent auditEvent, params (string Key, string? Value)[] details)
    {
        var all = new Dictionary<string, string>(auditEvent.Details, StringComparer.Ordinal);
        foreach (var (key, value) in details)
        {
            if (value is not null)
            {
                all[key] = value;
            }
        }

        return auditEvent with { Details = all };
    }

    /// <summary>The reasons of several decisions, for an event.</summary>
    public static IReadOnlyList<AuditReason> Reasons(IEnumerable<Policy.Engine.Decision> decisions) =>
        [.. decisions.SelectMany(QueryAudit.Reasons)];
}
