using System.Globalization;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// <c>POST /api/v1/queries</c>: protected aggregates. The policy decision comes first and never reads data; on permit
/// the answer is a slice of the protected cube of (dataset version, clause), so that no two answers can be subtracted
/// to reveal a suppressed cell. Every answer and refusal after authentication is audited, never with cell values.
/// </summary>
internal static class QueriesApi
{
    private static readonly QueryRequestValidator Validator = new(dryRun: false);

    public static IEndpointRouteBuilder MapQueriesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/queries", QueryAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.All))
            .RequireRateLimiting(RateLimits.Api)
            .WithName("Query")
            .WithTags("Queries")
            .WithSummary("Protected aggregates of a dataset version for a declared purpose: a slice of the clause's protected cube (JSON, or CSV with Accept: text/csv).")
            .WithDescription("Every suppressed cell is marked 'secret', whatever made it secret. '?detail=reasons' adds why (primary or secondary) for the stewards and DPO of the dataset's provider only (403 reasons-forbidden otherwise).")
            .Accepts<QueryBody>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json", additionalContentTypes: ["text/csv"])
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    /// <summary>
    /// 200 with the cells; 400 <c>invalid-json</c> / <c>validation</c>; 403 <c>forbidden</c> with the decision's
    /// <c>reasons</c>, or <c>reasons-forbidden</c> when <c>?detail=reasons</c> comes from anyone but a steward or DPO
    /// of the dataset's provider; 404 <c>not-found</c> (dataset) / <c>version-not-found</c>; 406; 415; 422
    /// <c>cube-undefined</c>.
    /// </summary>
    private static async Task<IResult> QueryAsync(HttpContext http, QueryService service, AuditService audit, CancellationToken cancellationToken)
    {
        if (ApiHttp.Negotiate(http.Request) is not { } format)
        {
            return ApiHttp.NotAcceptable(http);
        }

        var (request, invalid) = await ApiHttp.ReadRequestAsync(
            http, "query", (json, errors) => RequestReader.ReadQuery(json, dryRun: false, errors), r => RequestReader.ToFieldErrors(Validator.Validate(r), r), cancellationToken);
        if (request is null)
        {
            return invalid!;
        }

        if (CellReasons.Read(http.Request) is not { } withReasons)
        {
            return ApiHttp.Invalid(http, "query", [CellReasons.InvalidDetail]);
        }

        var caller = Caller.From(http.User);
        var decisionRequest = request.ToDecisionRequest(caller.ToRequester(), PolicyAction.Query);
        var details = QueryAudit.RequestDetails(decisionRequest);
        details["format"] = format == AnswerFormat.Csv ? "csv" : "json";
        if (withReasons)
        {
            details["detail"] = CellReasons.Detail;
        }

        var dataset = service.FindDataset(decisionRequest.Dataset);
        if (dataset is null)
        {
            var notFound = QueryProblem.DatasetNotFound(decisionRequest.Dataset);
            await RecordRejectedAsync(audit, decisionRequest, null, null, request.Version, notFound, details, cancellationToken);
            return notFound.ToResult(http);
        }

        if (withReasons && !CellReasons.MaySee(caller, dataset.Provider))
        {
            var refused = CellReasons.Forbidden(dataset);
            await RecordRejectedAsync(audit, decisionRequest, null, dataset.Provider, request.Version, refused, details, cancellationToken);
            return refused.ToResult(http);
        }

        var decision = service.Decide(decisionRequest);
        if (decision.Effect != Effect.Permit)
        {
            await audit.RecordAsync(audit.Create(QueryAudit.Denied, "denied") with
            {
                DataOwner = dataset.Provider,
                Dataset = dataset.Id,
                Version = request.Version,
                Purpose = decisionRequest.Purpose,
                Effect = decision.Effect.ToWire(),
                Reasons = QueryAudit.Reasons(decision),
                Details = details,
            }, cancellationToken);
            return PolicyDecisions.Denied(decision.Effect, decision.Reasons, $"The policy denies this query on dataset '{dataset.Id}'; the reasons name the clauses and rules.").ToResult(http);
        }

        QueryAudit.AddClause(details, decision);
        var (opened, problem) = await service.OpenAsync(decision, dataset.Id, request.Version, cancellationToken);
        if (problem is not null)
        {
            await RecordRejectedAsync(audit, decisionRequest, decision, dataset.Provider, request.Version, problem, details, cancellationToken);
            return problem.ToResult(http);
        }

        var slice = QuerySlice.Take(opened!.Cube, decisionRequest.Dimensions, decisionRequest.Measures, decisionRequest.Filters);
        var answer = new QueryAnswer(decisionRequest, decision, opened, slice, CorrelationId.Of(http)) { WithReasons = withReasons };
        details["cellsReturned"] = slice.Rows.Count.ToString(CultureInfo.InvariantCulture);
        details["cubeCells"] = opened.Cube.CellCount.ToString(CultureInfo.InvariantCulture);
        details["cubeFingerprint"] = opened.Cube.Key.Fingerprint;
        await audit.RecordAsync(audit.Create(QueryAudit.Answered, "success") with
        {
            DataOwner = dataset.Provider,
            Dataset = dataset.Id,
            Version = opened.Version.Version,
            Purpose = decisionRequest.Purpose,
            Effect = decision.Effect.ToWire(),
            Reasons = QueryAudit.Reasons(decision),
            Obligations = QueryAudit.Obligations(decision.Obligations),
            CellsSuppressed = slice.SuppressedCount,
            Details = details,
        }, cancellationToken);
        Telemetry.CellsSuppressed.Add(slice.SuppressedCount, new KeyValuePair<string, object?>("dataclauses.dataset", dataset.Id));

        var headers = http.Response.Headers;
        headers["DataClauses-Contract"] = decision.Contract!.Id;
        headers["DataClauses-Clause"] = decision.Clause!.Id;
        headers["DataClauses-Version"] = opened.Version.Version;
        headers["DataClauses-Obligations"] = QueryAudit.ObligationsHeader(decision.Obligations);
        headers["DataClauses-Cells-Returned"] = slice.Rows.Count.ToString(CultureInfo.InvariantCulture);
        headers["DataClauses-Cells-Suppressed"] = slice.SuppressedCount.ToString(CultureInfo.InvariantCulture);
        if (format == AnswerFormat.Csv)
        {
            headers.ContentDisposition = $"attachment; filename=\"{dataset.Id}_{opened.Version.Version}.csv\"";
            return Results.Bytes(answer.ToCsv(), "text/csv; charset=utf-8");
        }

        return new JsonAnswerResult(answer);
    }

    /// <summary>Writes the answer straight into the response body.</summary>
    private sealed class JsonAnswerResult(QueryAnswer answer) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            answer.WriteJson(httpContext.Response.BodyWriter);
            await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
    }

    private static Task RecordRejectedAsync(
        AuditService audit, DecisionRequest request, Decision? decision, string? owner, string? version, ApiProblem problem, Dictionary<string, string> details, CancellationToken cancellationToken)
    {
        details["problem"] = problem.Type;
        details["status"] = problem.Status.ToString(CultureInfo.InvariantCulture);
        return audit.RecordAsync(audit.Create(QueryAudit.Rejected, "failure") with
        {
            DataOwner = owner,
            Dataset = request.Dataset,
            Version = version,
            Purpose = request.Purpose,
            Effect = decision?.Effect.ToWire(),
            Reasons = decision is null ? [] : QueryAudit.Reasons(decision),
            Obligations = QueryAudit.Obligations(decision?.Obligations),
            Details = details,
        }, cancellationToken);
    }
}
