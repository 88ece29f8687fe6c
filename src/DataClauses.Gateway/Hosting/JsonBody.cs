using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// The one way a JSON request body is read: <c>application/json</c> (or <c>+json</c>) in UTF-8 only (415 otherwise),
/// well-formed (400 <c>invalid-json</c> with line and column), every string and member name valid Unicode text without NUL, and no
/// member repeated in any object (400 <c>invalid-json</c> naming the field, its line and column). Reading strictly
/// here means no endpoint can meet undecodable text later (it used to surface as a 500 from <c>GetString</c>) nor act
/// on the last of two values an intermediary may have read differently.
/// </summary>
internal static class JsonBody
{
    /// <summary>The body as a JSON document, or the problem (415, 400).</summary>
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadAsync(HttpRequest request, int maxDepth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, UnsupportedMediaType(request.HttpContext, "Send the body as JSON with 'Content-Type: application/json'."));
        }

        // RFC 8259 §8.1: JSON exchanged between systems is UTF-8; a body labelled otherwise is refused, not guessed.
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !mediaType.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return (null, UnsupportedMediaType(request.HttpContext, $"Only UTF-8 JSON is accepted, not charset={SafeText.Printable(mediaType.Charset.Value ?? string.Empty)}."));
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var bytes = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (bytes.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[3..];
        }

        if (Check(bytes.Span, maxDepth) is { } invalid)
        {
            return (null, Invalid(request.HttpContext, invalid));
        }

        return (JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = maxDepth }), null);
    }

    /// <summary>What is wrong with a body (syntax, text or repeated member), or null when it is sound.</summary>
    internal static BodyError? Check(ReadOnlySpan<byte> json, int maxDepth)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new Stack<Frame>();
        try
        {
            while (reader.Read())
            {
                var parent = frames.Count > 0 ? frames.Peek() : null;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = Text(ref reader, json, Path(frames, null));
                        if (name.Error is not null)
                        {
                            return name.Error;
                        }

                        if (!parent!.Names!.Add(name.Value!))
                        {
                            return At(json, reader.TokenStartIndex, Path(frames, name.Value), "repeated member: a name appears only once in an object.");
                        }

                        parent.Current = name.Value;
                        continue;
                    case JsonTokenType.String:
                        var value = Text(ref reader, json, Path(frames, parent?.Current));
                        if (value.Error is not null)
                        {
                            return value.Error;
                        }

                        break;
                    case JsonTokenType.StartObject:
                        frames.Push(new Frame { Names = new HashSet<string>(StringComparer.Ordinal), Name = Step(parent) });
                        continue;
                    case JsonTokenType.StartArray:
                        frames.Push(new Frame { Name = Step(parent) });
                        continue;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.Pop();
                        break;
                }

                if (frames.Count > 0 && frames.Peek().Names is null)
                {
                    frames.Peek().Index++;
                }
            }
        }
        catch (JsonException e)
        {
            return new BodyError(null, "The body is not valid JSON.", (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1);
        }

        return null;
    }

    private static (string? Value, BodyError? Error) Text(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string path)
    {
        try
        {
            var text = reader.GetString();
            // U+0000 is valid JSON but no database stores it in text (PostgreSQL refuses it): not text we accept.
            return text is not null && text.Contains('\0', StringComparison.Ordinal)
                ? (null, At(json, reader.TokenStartIndex, path, "holding a NUL character (\\u0000), which is not accepted in text."))
                : (text, null);
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 bytes, or an escaped lone surrogate (\ud800): not text.
            return (null, At(json, reader.TokenStartIndex, path, "not valid Unicode text (invalid UTF-8 or a lone surrogate)."));
        }
    }

    private static string? Step(Frame? parent) => parent is null
        ? null
        : parent.Names is not null ? parent.Current : $"[{parent.Index.ToString(CultureInfo.InvariantCulture)}]";

    private static string Path(Stack<Frame> frames, string? member)
    {
        var builder = new StringBuilder();
        foreach (var frame in frames.Reverse())
        {
            Append(builder, frame.Name);
        }

        if (frames.Count > 0)
        {
            var top = frames.Peek();
            Append(builder, top.Names is null ? $"[{top.Index.ToString(CultureInfo.InvariantCulture)}]" : member);
        }

        return builder.Length == 0 ? "$" : SafeText.Printable(builder.ToString(), 200);

        static void Append(StringBuilder builder, string? step)
        {
            if (step is null)
            {
                return;
            }

            if (builder.Length > 0 && !step.StartsWith('['))
            {
                builder.Append('.');
            }

            builder.Append(step);
        }
    }

    private static BodyError At(ReadOnlySpan<byte> json, long offset, string field, string message)
    {
        var before = json[..(int)offset];
        var line = before.Count((byte)'\n') + 1;
        var lastNewLine = before.LastIndexOf((byte)'\n');
        return new BodyError(field, $"'{field}' is {message}", line, offset - lastNewLine);
    }

    private static IResult UnsupportedMediaType(HttpContext http, string detail) => Problem(
        http, StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Type de contenu non pris en charge / Unsupported media type", detail, []);

    private static IResult Invalid(HttpContext http, BodyError error)
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["line"] = error.Line, ["column"] = error.Column };
        if (error.Field is not null)
        {
            extensions["field"] = error.Field;
        }

        return Problem(http, StatusCodes.Status400BadRequest, "invalid-json", "JSON invalide / Invalid JSON", error.Message, extensions);
    }

    /// <summary>
    /// A problem carrying its correlation id itself: a caller accepting only CSV makes the framework's problem writer
    /// step aside, and the fallback that then writes it adds nothing.
    /// </summary>
    private static IResult Problem(HttpContext http, int status, string type, string title, string detail, Dictionary<string, object?> extensions)
    {
        extensions["correlationId"] = CorrelationId.Of(http);
        return Problems.Create(status, type, title, detail, extensions);
    }

    /// <summary>What is wrong with a body: the field (null for a syntax error), a message, and where (1-based).</summary>
    internal sealed record BodyError(string? Field, string Message, long Line, long Column);

    private sealed class Frame
    {
        /// <summary>Member names seen so far (an object), or null (an array).</summary>
        public HashSet<string>? Names { get; init; }

        /// <summary>This container's step in the path from its parent (a member name or [index]); null at the root.</summary>
        public string? Name { get; init; }

        /// <summary>The member being read (an object).</summary>
        public string? Current { get; set; }

        /// <summary>The element being read (an array).</summary>
        public int Index { get; set; }
    }
}
