using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Federation;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// <c>POST /api/v1/policy/decisions</c>: a dry run telling an analyst whether a query (or an extract request) would be
/// permitted and why, as the caller it authenticates. It only decides: no version is looked up, no cube is built,
/// no data is read. Audited as <c>policy.dry-run</c>.
/// </summary>
internal static class PolicyDecisionsApi
{
    private static readonly QueryRequestValidator Validator = new(dryRun: true);

    public static IEndpointRouteBuilder MapPolicyDecisionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/policy/decisions", DecideAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.All))
            .RequireRateLimiting(RateLimits.Api)
            .WithName("DecidePolicy")
            .WithTags("Queries")
            .WithSummary("Dry run: the decision (effect, reasons, obligations) a query or extract request would get now, without touching data.")
            .Accepts<DryRunBody>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    /// <summary>200 with the decision as <c>DecisionJson</c> writes it, whether it permits or denies; 400; 415.</summary>
    private static async Task<IResult> DecideAsync(HttpContext http, QueryService service, AuditService audit, PeerForwarder peers, CancellationToken cancellationToken)
    {
        peers.PrepareBody(http.Request);
        var (request, invalid) = await ApiHttp.ReadRequestAsync(
            http, "request", (json, errors) => RequestReader.ReadQuery(json, dryRun: true, errors), r => RequestReader.ToFieldErrors(Validator.Validate(r), r), cancellationToken);
        if (request is null)
        {
            return invalid!;
        }

        // The holding node decides with its own copy of the contract (federation).
        if (await peers.ForwardIfHeldElsewhereAsync(http, request.Dataset!, request.Purpose, cancellationToken) is { } forwarded)
        {
            return forwarded;
        }

        var caller = Caller.From(http.User);
        var action = request.Action == "extract" ? PolicyAction.Extract : PolicyAction.Query;
        var decisionRequest = request.ToDecisionRequest(caller.ToRequester(), action) with { Node = caller.Node };
        var decision = service.Decide(decisionRequest);
        var details = QueryAudit.RequestDetails(decisionRequest);
        QueryAudit.AddClause(details, decision);
        await audit.RecordAsync(audit.Create(QueryAudit.DryRun, "success") with
        {
            DataOwner = service.FindDataset(decisionRequest.Dataset)?.Provider,
            Dataset = decisionRequest.Dataset,
            Version = request.Version,
            Purpose = decisionRequest.Purpose,
            Effect = decision.Effect.ToWire(),
            Reasons = QueryAudit.Reasons(decision),
            Obligations = QueryAudit.Obligations(decision.Obligations),
            Details = details,
        }, cancellationToken);
        return Results.Text(DecisionJson.ToJson(decision, indented: false), "application/json; charset=utf-8");
    }
}
