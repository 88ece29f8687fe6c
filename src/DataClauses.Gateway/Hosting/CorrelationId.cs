using System.Diagnostics;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// One id per request, taken from <c>X-Correlation-Id</c> when the caller (or a peer node) sends a well-formed one,
/// echoed in the response, stamped on every audit event and problem.
/// </summary>
internal static class CorrelationId
{
    public const string HeaderName = "X-Correlation-Id";
    private const string ItemKey = "DataClauses.CorrelationId";

    public static string Of(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var value) && value is string id)
        {
            return id;
        }

        id = context.Request.Headers[HeaderName].ToString();
        if (!IsWellFormed(id))
        {
            id = Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
        }

        context.Items[ItemKey] = id;
        return id;
    }

    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var id = Of(context);

        // Set now, and again when the response starts: the exception handler clears the headers set before it.
        context.Response.Headers[HeaderName] = id;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[HeaderName] = id;
            return Task.CompletedTask;
        });
        Activity.Current?.SetTag("dataclauses.correlation_id", id);
        await next(context);
    });

    private static bool IsWellFormed(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
