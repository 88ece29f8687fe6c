using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace DataClauses.Gateway.Hosting;

/// <summary>The formats a protected answer is rendered in.</summary>
internal enum AnswerFormat
{
    /// <summary><c>application/json</c>: the structured form.</summary>
    Json,

    /// <summary><c>text/csv</c>: the French-friendly CSV.</summary>
    Csv,
}

/// <summary>
/// The HTTP plumbing every feature's endpoints share: JSON bodies, content negotiation (JSON or the French CSV),
/// problems with the correlation id, field errors.
/// </summary>
internal static class ApiHttp
{
    /// <summary>
    /// The format the caller accepts: CSV when <c>text/csv</c> ranks above any JSON type, JSON otherwise (no Accept,
    /// <c>*/*</c>, <c>application/json</c>); null (406) when the caller accepts neither.
    /// </summary>
    public static AnswerFormat? Negotiate(HttpRequest request, bool csvAvailable = true)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted) || accepted.Count == 0)
        {
            return AnswerFormat.Json;
        }

        double json = -1, csv = -1;
        foreach (var media in accepted)
        {
            var quality = media.Quality ?? 1;
            if (quality <= 0)
            {
                continue;
            }

            var type = media.MediaType.Value ?? string.Empty;
            if (type is "*/*" or "application/*" or "application/json" || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, quality);
            }

            if (csvAvailable && type is "*/*" or "text/*" or "text/csv")
            {
                // A wildcard alone does not ask for CSV: it only counts when JSON is not accepted at all.
                csv = Math.Max(csv, type == "text/csv" ? quality : quality / 2);
            }
        }

        if (csv > json)
        {
            return AnswerFormat.Csv;
        }

        return json >= 0 ? AnswerFormat.Json : null;
    }

    /// <summary>
    /// A problem that carries the correlation id itself: a caller accepting only CSV makes the framework's problem
    /// writer (which honours Accept) step aside, and the fallback that then writes the problem adds nothing to it.
    /// </summary>
    public static ProblemHttpResult Problem(HttpContext http, int status, string type, string title, string detail, IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var all = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in extensions ?? [])
        {
            all[key] = value;
        }

        all["correlationId"] = CorrelationId.Of(http);
        return Problems.Create(status, type, title, detail, all);
    }

    /// <summary>406, naming what is offered.</summary>
    public static IResult NotAcceptable(HttpContext http, bool csvAvailable = true) => Problem(
        http,
        StatusCodes.Status406NotAcceptable,
        "not-acceptable",
        "Format non disponible / Not acceptable",
        csvAvailable ? "Ask for application/json or text/csv." : "Ask for application/json.");

    /// <summary>
    /// Reads a JSON body into a request: 415 or 400 when the body is not JSON, then every field error of
    /// <paramref name="read"/> (and, when it found none, of <paramref name="validate"/>) as one 400 problem about
    /// <paramref name="what"/>; the request when there is none.
    /// </summary>
    public static async Task<(T? Request, IResult? Problem)> ReadRequestAsync<T>(
        HttpContext http, string what, Func<JsonElement, List<FieldError>, T> read, Func<T, IEnumerable<FieldError>>? validate, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(read);
        var (document, bodyProblem) = await ReadJsonAsync(http.Request, cancellationToken);
        if (bodyProblem is not null)
        {
            return (null, bodyProblem);
        }

        T request;
        var errors = new List<FieldError>();
        using (document)
        {
            request = read(document!.RootElement, errors);
        }

        if (errors.Count == 0 && validate is not null)
        {
            errors.AddRange(validate(request));
        }

        return errors.Count > 0 ? (null, Invalid(http, what, errors)) : (request, null);
    }

    /// <summary>The body as a JSON document, or the problem: 415 for another content type or charset, 400 for malformed JSON (<see cref="JsonBody"/>).</summary>
    public static Task<(JsonDocument? Document, IResult? Problem)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken) =>
        JsonBody.ReadAsync(request, maxDepth: 16, cancellationToken);

    /// <summary>400 <c>validation</c> with <c>errors: [{field, message}]</c>.</summary>
    public static IResult Invalid(HttpContext http, string what, IEnumerable<FieldError> errors) => ApiProblem.Invalid(what, errors).ToResult(http);
}
