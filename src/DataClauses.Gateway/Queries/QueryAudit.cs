using System.Globalization;
using DataClauses.Audit;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// What the queries feature writes into audit events: the request (dataset, purpose, dimensions, measures, filters),
/// the decision (effect, reasons, obligations) and counts. Never a cell value.
/// </summary>
internal static class QueryAudit
{
    public const string Answered = "query.answered";
    public const string Denied = "query.denied";
    public const string Rejected = "query.rejected";
    public const string DryRun = "policy.dry-run";
    public const string IndicatorAnswered = "indicator.answered";
    public const string IndicatorDenied = "indicator.denied";
    public const string IndicatorRejected = "indicator.rejected";

    /// <summary>The decision's reasons as the audit keeps them.</summary>
    public static IReadOnlyList<AuditReason> Reasons(Decision decision) =>
        [.. decision.Reasons.Select(r => new AuditReason(r.Rule, r.ClauseId, r.Subject))];

    /// <summary>The obligations as name → text (the names of <c>DecisionJson.WriteObligations</c>).</summary>
    public static IReadOnlyDictionary<string, string> Obligations(Obligations? obligations)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obligations is null)
        {
            return map;
        }

        map["minCount"] = obligations.MinCount.ToString(CultureInfo.InvariantCulture);
        map["dominance"] = obligations.Dominance is { } d ? string.Create(CultureInfo.InvariantCulture, $"n={d.N},k={d.K}") : "none";
        map["pPercent"] = obligations.PPercent is { } p ? p.ToString(CultureInfo.InvariantCulture) : "none";
        map["rounding"] = obligations.Rounding.ToWire();
        map["secondarySuppression"] = Bool(obligations.SecondarySuppression);
        map["protectZeros"] = Bool(obligations.ProtectZeros);
        map["publicTotal"] = Bool(obligations.PublicTotal);
        map["allowedDimensions"] = string.Join(',', obligations.AllowedDimensions);
        map["allowedMeasures"] = string.Join(',', obligations.AllowedMeasures);
        map["finestGeography"] = obligations.FinestGeography.ToWire();
        map["audit"] = Bool(obligations.Audit);
        return map;
    }

    /// <summary>The obligations as one header value (<c>name=value; …</c>), for CSV answers.</summary>
    public static string ObligationsHeader(Obligations? obligations) =>
        string.Join("; ", Obligations(obligations).Where(p => p.Key != "audit").Select(p => $"{p.Key}={p.Value}"));

    /// <summary>The request as audit details: dimensions, measures and filters (dimension values only); the peer node of a forwarded one.</summary>
    public static Dictionary<string, string> RequestDetails(DecisionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["action"] = request.Action.ToWire(),
            ["dimensions"] = string.Join(',', request.Dimensions),
            ["measures"] = string.Join(',', request.Measures),
            ["filters"] = string.Join(';', request.Filters.Select(f => f.Dimension + "=" + string.Join('|', f.Values))),
        };
        if (request.Node is { } node)
        {
            details["node"] = node;
        }

        return details;
    }

    /// <summary>The clause and contract of a decision as details, when one permits.</summary>
    public static void AddClause(Dictionary<string, string> details, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(details);
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Contract is { } contract)
        {
            details["contract"] = contract.Id;
        }

        if (decision.Clause is { } clause)
        {
            details["clause"] = clause.Id;
            details["amendment"] = clause.Amendment.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
