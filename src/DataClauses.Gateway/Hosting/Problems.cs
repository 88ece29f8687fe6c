using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// RFC 9457 problems with stable <c>type</c> URIs. Expected failures are returned as values; only the unexpected
/// goes through <see cref="UnexpectedExceptionHandler"/>.
/// </summary>
internal static class Problems
{
    public const string TypeBase = "https://dataclauses.example/problems/";

    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Type = TypeBase + type,
            Title = title,
            Detail = detail,
        };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        return TypeBased(problem);
    }

    public static ProblemHttpResult NotFound(string what) =>
        Create(StatusCodes.Status404NotFound, "not-found", "Introuvable / Not found", $"{what} does not exist or is not visible to you.");

    public static ProblemHttpResult Forbidden(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status403Forbidden, "forbidden", "Accès refusé / Forbidden", detail, extensions);

    public static ProblemHttpResult Validation(string detail, IEnumerable<object> errors) =>
        Create(StatusCodes.Status400BadRequest, "validation", "Requête invalide / Invalid request", detail, new Dictionary<string, object?> { ["errors"] = errors.ToList() });

    private static ProblemHttpResult TypeBased(ProblemDetails problem) => TypedResults.Problem(problem);

    /// <summary>Adds the correlation id and trace id to every problem the framework writes.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        context.ProblemDetails.Extensions["correlationId"] = CorrelationId.Of(http);
        context.ProblemDetails.Instance ??= http.Request.Path;
        if (context.ProblemDetails.Type is null or "" || context.ProblemDetails.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
        {
            context.ProblemDetails.Type = TypeBase + (context.ProblemDetails.Status switch
            {
                400 => "bad-request",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not-found",
                405 => "method-not-allowed",
                406 => "not-acceptable",
                409 => "conflict",
                410 => "gone",
                413 => "payload-too-large",
                415 => "unsupported-media-type",
                429 => "too-many-requests",
                _ => "server-error",
            });
        }
    }
}

/// <summary>The one handler for the unexpected: a 500 problem without internals; bad requests the framework detects become 400/413.</summary>
internal sealed partial class UnexpectedExceptionHandler(IProblemDetailsService problems, ILogger<UnexpectedExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, type, title) = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => (413, "payload-too-large", "Contenu trop volumineux / Payload too large"),
            BadHttpRequestException bad => (bad.StatusCode, "bad-request", "Requête invalide / Bad request"),
            Audit.AuditUnavailableException => (503, "audit-unavailable", "Journal d'audit indisponible / Audit log unavailable"),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "client-closed-request", "Requête abandonnée / Client closed request"),
            _ => (500, "server-error", "Erreur interne / Internal error"),
        };
        if (status == 500)
        {
            LogUnexpected(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Type = Problems.TypeBase + type,
                Title = title,
                Detail = status == 500 ? "An unexpected error occurred; quote the correlation id when reporting it." : exception.Message,
            },
        });
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unexpected error on {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
