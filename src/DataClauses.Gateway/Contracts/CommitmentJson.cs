using System.Globalization;
using System.Text.Json.Nodes;
using DataClauses.Audit;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Contracts;

/// <summary>The wire form of a contract's commitments (<c>GET /api/v1/contracts/{id}/commitments</c>, docs/publishing.md).</summary>
internal static class CommitmentJson
{
    /// <summary>The only format a version can be published in today (the CSV upload).</summary>
    public const string PublishedFormat = "csv";

    public static JsonObject Of(Contract contract, IReadOnlyList<CommitmentStatus> statuses, DateTimeOffset asOf) => new()
    {
        ["contract"] = contract.Id,
        ["asOf"] = AuditCanonicalForm.FormatInstant(asOf),
        ["commitments"] = new JsonArray([.. statuses.Select(s => (JsonNode)Line(s))]),
    };

    public static string Wire(CommitmentState state) => state switch
    {
        CommitmentState.UpToDate => "up-to-date",
        CommitmentState.Late => "late",
        _ => "never-published",
    };

    public static string Wire(PeriodState state) => state switch
    {
        PeriodState.OnTime => "on-time",
        PeriodState.PublishedLate => "published-late",
        PeriodState.Missing => "missing",
        _ => "not-yet-due",
    };

    private static JsonObject Line(CommitmentStatus s)
    {
        var clause = s.Clause;
        var publication = clause.Publication!;
        return new JsonObject
        {
            ["clause"] = clause.Id,
            ["title"] = clause.Title,
            ["provider"] = clause.Provider,
            ["dataset"] = clause.Dataset,
            ["frequency"] = publication.Frequency.ToString(),
            ["delay"] = s.Delay.ToString(),
            ["format"] = publication.Format,
            ["formatPublished"] = s.Periods.Any(p => p.Version is not null) ? PublishedFormat : null,
            ["tier"] = publication.Tier.ToWire(),
            ["since"] = Day(s.Since),
            ["state"] = Wire(s.State),
            ["daysLate"] = s.DaysLate,
            ["oldestMissingPeriodEnd"] = s.OldestMissing is { } m ? Day(m.End) : null,
            ["nextDue"] = s.NextDue is { } next ? Day(next) : null,
            ["periods"] = new JsonArray([.. s.Periods.Select(p => (JsonNode)new JsonObject
            {
                ["start"] = Day(p.Start),
                ["end"] = Day(p.End),
                ["due"] = Day(p.Due),
                ["state"] = Wire(p.State),
                ["version"] = p.Version,
                ["publishedAt"] = p.PublishedAt is { } at ? AuditCanonicalForm.FormatInstant(at) : null,
            })]),
            ["unrecognisedVersions"] = new JsonArray([.. s.Unrecognised.Select(v => (JsonNode)JsonValue.Create(v))]),
        };
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
