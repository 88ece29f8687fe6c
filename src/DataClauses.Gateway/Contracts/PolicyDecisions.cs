using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Contracts;

/// <summary>
/// The one place every feature decides through (queries, extracts, publishing, the dry run, the portal): the
/// contracts of <see cref="ContractCatalog"/>, the injected clock's instant, a decision span and the decisions metric.
/// </summary>
internal sealed class PolicyDecisions(ContractCatalog contracts, TimeProvider clock)
{
    /// <summary>The contracts decided on.</summary>
    public ContractCatalog Contracts => contracts;

    /// <summary>Decides at the injected clock's instant; counts the decision by effect.</summary>
    public Decision Decide(DecisionRequest request)
    {
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.Decision);
        var decision = DecisionEngine.Decide(contracts.Contracts, request, clock.GetUtcNow());
        Telemetry.Decisions.Add(1, new KeyValuePair<string, object?>("dataclauses.effect", decision.Effect.ToWire()));
        activity?.SetTag("dataclauses.effect", decision.Effect.ToWire());
        activity?.SetTag("dataclauses.contract", decision.Contract?.Id);
        return decision;
    }

    /// <summary>403 <c>forbidden</c> carrying the decision's effect and reasons (and any other members).</summary>
    public static ApiProblem Denied(Effect effect, IEnumerable<Reason> reasons, string detail, IEnumerable<KeyValuePair<string, object?>>? more = null)
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["decision"] = new { effect = effect.ToWire() },
            ["reasons"] = ReasonsElement(reasons),
        };
        foreach (var (key, value) in more ?? [])
        {
            extensions[key] = value;
        }

        return new ApiProblem(StatusCodes.Status403Forbidden, "forbidden", "Accès refusé / Forbidden", detail) { Extensions = extensions };
    }

    /// <summary>The reasons as a JSON array (for problem extensions), in the shape of <c>DecisionJson.WriteReason</c>.</summary>
    public static JsonElement ReasonsElement(IEnumerable<Reason> reasons)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartArray();
            foreach (var reason in reasons)
            {
                DecisionJson.WriteReason(w, reason);
            }

            w.WriteEndArray();
        }

        using var document = JsonDocument.Parse(stream.ToArray());
        return document.RootElement.Clone();
    }
}
