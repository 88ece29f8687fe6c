using System.Globalization;
using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Extracts;

/// <summary>The body of <c>POST /api/v1/extracts</c> once read: query-shaped tables, a purpose, a justification, a retention.</summary>
internal sealed record ExtractRequest
{
    public IReadOnlyList<QueryRequest> Tables { get; init; } = [];

    public string? Purpose { get; init; }

    public string? Justification { get; init; }

    public string? Retention { get; init; }

    /// <summary>The retention as a duration (call once the request is valid).</summary>
    public IsoDuration RetentionDuration => IsoDuration.TryParse(Retention, out var duration) ? duration : throw new InvalidOperationException("The retention was not validated.");
}

/// <summary>The body of <c>POST /api/v1/extracts</c> as the OpenAPI document shows it (read by <see cref="ExtractRequestReader"/>).</summary>
/// <param name="Tables">One to ten tables, each shaped like a query without its purpose.</param>
/// <param name="Purpose">A purpose of the contract.</param>
/// <param name="Justification">Why the file is needed (10 to 2,000 characters).</param>
/// <param name="Retention">How long the copy should live (ISO-8601, e.g. P6M); the clause and the contract may shorten it.</param>
internal sealed record ExtractBody(IReadOnlyList<ExtractTableBody> Tables, string Purpose, string Justification, string Retention);

/// <summary>A table of an extract request as the OpenAPI document shows it.</summary>
/// <param name="Dataset">Dataset id.</param>
/// <param name="Dimensions">Dimensions to break down by.</param>
/// <param name="Measures">Measures.</param>
/// <param name="Version">Version id; omitted for the current one (pinned when the request is made).</param>
/// <param name="Filters">Dimension → the values to keep.</param>
internal sealed record ExtractTableBody(
    string Dataset, IReadOnlyList<string> Dimensions, IReadOnlyList<string> Measures, string? Version = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? Filters = null);

/// <summary>A steward's vote body: <c>{"comment": "…"}</c> (required to reject).</summary>
/// <param name="Comment">Why (1 to 2,000 characters).</param>
internal sealed record VoteBody(string? Comment);

/// <summary>
/// Reads an extract request strictly (unknown, repeated or mistyped members are errors, as for queries) and checks
/// its values; each table is read and validated like a query body, its errors prefixed with <c>tables[i]</c>.
/// </summary>
internal static class ExtractRequestReader
{
    public const int MaxTables = 10;
    public const int MinJustification = 10;
    public const int MaxJustification = 2000;
    public const int MaxComment = 2000;

    private static readonly string[] Fields = ["tables", "purpose", "justification", "retention"];
    private static readonly string[] TableFields = ["dataset", "version", "dimensions", "measures", "filters"];
    private static readonly QueryRequestValidator TableValidator = new(dryRun: false);

    public static ExtractRequest Read(JsonElement root, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!RequestReader.IsObject(root, string.Empty, errors))
        {
            return new ExtractRequest();
        }

        RequestReader.CheckMembers(root, string.Empty, Fields, errors);
        var purpose = RequestReader.String(root, "purpose", string.Empty, errors);
        var justification = RequestReader.String(root, "justification", string.Empty, errors);
        var retention = RequestReader.String(root, "retention", string.Empty, errors);

        if (purpose is null)
        {
            errors.Add(new FieldError("purpose", "purpose is required: every extract declares what it is for."));
        }
        else if (!Identifiers.IsValidId(purpose))
        {
            errors.Add(new FieldError("purpose", "purpose must be a purpose identifier of the contract (e.g. observation)."));
        }

        var trimmed = justification?.Trim();
        if (trimmed is null || trimmed.Length < MinJustification || trimmed.Length > MaxJustification)
        {
            errors.Add(new FieldError("justification", $"justification is required: {MinJustification} to {MaxJustification} characters saying why the file is needed."));
        }

        if (retention is null || !IsoDuration.TryParse(retention, out var duration) || duration.IsZero)
        {
            errors.Add(new FieldError("retention", "retention is required: a non-zero ISO-8601 duration (e.g. P6M); the clause and the contract may shorten it."));
        }

        var tables = new List<QueryRequest>();
        if (!root.TryGetProperty("tables", out var tablesElement) || tablesElement.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("tables", "tables is required: one to ten query-shaped tables."));
        }
        else if (tablesElement.ValueKind != JsonValueKind.Array || tablesElement.GetArrayLength() is 0 or > MaxTables)
        {
            errors.Add(new FieldError("tables", $"tables must be a list of 1 to {MaxTables} tables, each {{dataset, version?, dimensions, measures, filters?}}."));
        }
        else
        {
            var i = 0;
            foreach (var element in tablesElement.EnumerateArray())
            {
                tables.Add(ReadTable(element, $"tables[{i.ToString(CultureInfo.InvariantCulture)}]", purpose, errors));
                i++;
            }
        }

        return new ExtractRequest { Tables = tables, Purpose = purpose, Justification = trimmed, Retention = retention };
    }

    /// <summary>The comment of a vote: optional to approve, required to reject; at most 2,000 characters.</summary>
    public static string? ReadComment(JsonElement? root, bool required, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        string? comment = null;
        if (root is { } body && RequestReader.IsObject(body, string.Empty, errors))
        {
            RequestReader.CheckMembers(body, string.Empty, ["comment"], errors);
            comment = RequestReader.String(body, "comment", string.Empty, errors)?.Trim();
        }

        if (required && string.IsNullOrEmpty(comment))
        {
            errors.Add(new FieldError("comment", "comment is required to reject: say why, the requester reads it."));
        }
        else if (comment is { Length: > MaxComment })
        {
            errors.Add(new FieldError("comment", $"comment has at most {MaxComment} characters."));
        }

        return string.IsNullOrEmpty(comment) ? null : comment;
    }

    private static QueryRequest ReadTable(JsonElement element, string path, string? purpose, List<FieldError> errors)
    {
        var tableErrors = new List<FieldError>();
        if (!RequestReader.IsObject(element, string.Empty, tableErrors))
        {
            errors.AddRange(tableErrors.Select(e => new FieldError(path, e.Message)));
            return new QueryRequest();
        }

        RequestReader.CheckMembers(element, string.Empty, TableFields, tableErrors);

        // A table reads like a query body; the purpose is the extract's, given once (ReadQuery's own member check,
        // whose list has a purpose, is replaced by the one above).
        var readErrors = new List<FieldError>();
        var table = RequestReader.ReadQuery(element, dryRun: false, readErrors) with { Purpose = purpose ?? "placeholder" };
        var typeErrors = readErrors.Where(e => !e.Message.StartsWith("unknown field", StringComparison.Ordinal) && e.Message != "repeated field.").ToList();
        tableErrors.AddRange(typeErrors);
        if (typeErrors.Count == 0)
        {
            tableErrors.AddRange(RequestReader.ToFieldErrors(TableValidator.Validate(table), table).Where(e => e.Field != "purpose"));
        }

        errors.AddRange(tableErrors.Select(e => new FieldError(e.Field is "$" or "" ? path : path + "." + e.Field, e.Message)));
        return table;
    }
}
