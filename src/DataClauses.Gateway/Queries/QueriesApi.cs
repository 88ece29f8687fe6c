using System.Globalization;
using DataClauses.Gateway.Federation;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;

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
    private static async Task<IResult> QueryAsync(HttpContext http, QueryService service, PeerForwarder peers, CancellationToken cancellationToken)
    {
        if (ApiHttp.Negotiate(http.Request) is not { } format)
        {
            return ApiHttp.NotAcceptable(http);
        }

        peers.PrepareBody(http.Request);

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

        // A dataset held by another node is answered there (federation); the request was checked here all the same.
        if (await peers.ForwardIfHeldElsewhereAsync(http, request.Dataset!, request.Purpose, cancellationToken) is { } forwarded)
        {
            return forwarded;
        }

        var outcome = await service.AnswerAsync(
            Caller.From(http.User), request, format == AnswerFormat.Csv ? "csv" : "json", withReasons, CorrelationId.Of(http), cancellationToken);
        if (outcome.Problem is { } problem)
        {
            return problem.ToResult(http);
        }

        var answer = outcome.Answer!;
        var (decision, opened, slice) = (answer.Decision, answer.Opened, answer.Slice);
        var headers = http.Response.Headers;
        headers["DataClauses-Contract"] = decision.Contract!.Id;
        headers["DataClauses-Clause"] = decision.Clause!.Id;
        headers["DataClauses-Version"] = opened.Version.Version;
        headers["DataClauses-Obligations"] = QueryAudit.ObligationsHeader(decision.Obligations);
        headers["DataClauses-Cells-Returned"] = slice.Rows.Count.ToString(CultureInfo.InvariantCulture);
        headers["DataClauses-Cells-Suppressed"] = slice.SuppressedCount.ToString(CultureInfo.InvariantCulture);
        if (format == AnswerFormat.Csv)
        {
            headers.ContentDisposition = $"attachment; filename=\"{answer.Request.Dataset}_{opened.Version.Version}.csv\"";
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
}
