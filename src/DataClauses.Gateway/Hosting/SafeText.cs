using System.Text;
using System.Text.RegularExpressions;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// Client-supplied text made safe to write in a log line or a message (no forged lines: control characters are
/// escaped), and the early refusal of identifiers in paths that no resource could have.
/// </summary>
internal static partial class SafeText
{
    /// <summary>The value with control characters and lone surrogates escaped (<c>\u000a</c>), cut at <paramref name="max"/> characters.</summary>
    public static string Printable(string value, int max = 100)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(Math.Min(value.Length, max) + 8);
        foreach (var c in value.Length > max ? value[..max] : value)
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return value.Length > max ? builder.Append('…').ToString() : builder.ToString();
    }

    /// <summary>
    /// Refuses, before any endpoint runs, a request whose path parameters (dataset ids, versions, client and extract
    /// ids) are not identifiers, or whose query parameters hold a control character (percent-decoding already turns invalid UTF-8 into U+FFFD): 400
    /// <c>validation</c> naming the parameter in <c>errors[].field</c>. No resource has such an id, no filter needs a
    /// control character, no log line or audit event can then receive a forged line break, and no NUL reaches
    /// PostgreSQL (which cannot store one in text and used to answer a 500).
    /// </summary>
    public static IApplicationBuilder UseIdentifierCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        // Path parameters only: a Razor Page's own route values ("page": "/Index/Index") are not from the path.
        var parameters = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.Parameters;
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && parameters?.Any(p => p.Name == name) == true && !Identifier().IsMatch(text))
            {
                var problem = Problems.Validation(
                    $"The path parameter '{name}' is not an identifier.",
                    [new { field = name, message = $"must be 1 to 200 letters, digits, '.', '_', '-' or ':' starting with a letter or digit, not '{Printable(text)}'." }]);
                await problem.ExecuteAsync(context);
                return;
            }
        }

        foreach (var (name, values) in context.Request.Query)
        {
            foreach (var text in values)
            {
                if (text is not null && text.Any(char.IsControl))
                {
                    var problem = Problems.Validation(
                        $"The query parameter '{Printable(name)}' holds a control character.",
                        [new { field = Printable(name), message = $"must be printable text without control characters, not '{Printable(text)}'." }]);
                    await problem.ExecuteAsync(context);
                    return;
                }
            }
        }

        await next(context);
    });

    [GeneratedRegex("^[0-9A-Za-z][0-9A-Za-z._:-]{0,199}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
