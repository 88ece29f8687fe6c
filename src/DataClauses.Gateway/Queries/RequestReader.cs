using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataClauses.Gateway.Hosting;
using FluentValidation.Results;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// Reads request bodies strictly: a JSON object whose members are all known, never repeated, and of the right JSON
/// type; anything else is a field error (fail closed, like the contract reader). What the values must be is the
/// validators' business.
/// </summary>
internal static partial class RequestReader
{
    private static readonly string[] QueryFields = ["dataset", "version", "purpose", "dimensions", "measures", "filters"];
    private static readonly string[] DryRunFields = [.. QueryFields, "action", "retention"];

    /// <summary>Reads a query body (or a dry run's, which also has action and retention).</summary>
    public static QueryRequest ReadQuery(JsonElement root, bool dryRun, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!IsObject(root, string.Empty, errors))
        {
            return new QueryRequest();
        }

        CheckMembers(root, string.Empty, dryRun ? DryRunFields : QueryFields, errors);
        return new QueryRequest
        {
            Dataset = String(root, "dataset", string.Empty, errors),
            Version = String(root, "version", string.Empty, errors),
            Purpose = String(root, "purpose", string.Empty, errors),
            Dimensions = Strings(root, "dimensions", string.Empty, errors),
            Measures = Strings(root, "measures", string.Empty, errors),
            Filters = Filters(root, errors),
            Action = dryRun ? String(root, "action", string.Empty, errors) : null,
            Retention = dryRun ? String(root, "retention", string.Empty, errors) : null,
        };
    }

    /// <summary>Whether the element is an object; an error otherwise.</summary>
    public static bool IsObject(JsonElement element, string path, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (element.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        errors.Add(new FieldError(path.Length == 0 ? "$" : path, "must be a JSON object."));
        return false;
    }

    /// <summary>Reports unknown and repeated members (a repeated member is ambiguous).</summary>
    public static void CheckMembers(JsonElement element, string path, IReadOnlyList<string> known, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(errors);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            var at = Join(path, member.Name);
            if (!known.Contains(member.Name, StringComparer.Ordinal))
            {
                errors.Add(new FieldError(at, $"unknown field; expected one of: {string.Join(", ", known)}."));
            }
            else if (!seen.Add(member.Name))
            {
                errors.Add(new FieldError(at, "repeated field."));
            }
        }
    }

    /// <summary>A string member, or null when absent or null; an error when of another type.</summary>
    public static string? String(JsonElement parent, string name, string path, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(Join(path, name), "must be a string."));
            return null;
        }

        return element.GetString();
    }

    /// <summary>A number member, or null when absent or null; an error when of another type.</summary>
    public static double? Number(JsonElement parent, string name, string path, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            errors.Add(new FieldError(Join(path, name), "must be a number."));
            return null;
        }

        return value;
    }

    /// <summary>An array of strings, or null when absent or null; an error per element of another type.</summary>
    public static IReadOnlyList<string?>? Strings(JsonElement parent, string name, string path, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return parent.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null
            ? StringsOf(element, Join(path, name), errors)
            : null;
    }

    /// <summary>
    /// The field errors of a FluentValidation result with JSON paths: <c>Dimensions[1]</c> becomes <c>dimensions[1]</c>,
    /// <c>Numerator.Dataset</c> becomes <c>numerator.dataset</c>; filter errors name the filter (<c>filters.qpv</c>).
    /// </summary>
    public static IEnumerable<FieldError> ToFieldErrors(ValidationResult result, QueryRequest? query = null, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var error in result.Errors)
        {
            var match = FilterProperty().Match(error.PropertyName);
            string field;
            if (match.Success && query is not null)
            {
                var index = int.Parse(match.Groups["index"].ValueSpan, CultureInfo.InvariantCulture);
                field = Join(prefix, "filters." + query.Filters[index].Dimension);
            }
            else
            {
                field = Join(prefix, string.Join('.', error.PropertyName.Split('.').Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..])));
            }

            yield return new FieldError(field, error.ErrorMessage);
        }
    }

    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static List<string?>? StringsOf(JsonElement element, string path, List<FieldError> errors)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new FieldError(path, "must be a list of strings."));
            return null;
        }

        var items = new List<string?>(element.GetArrayLength());
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add(new FieldError($"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", "must be a string."));
                items.Add(null);
            }
            else
            {
                items.Add(item.GetString());
            }

            i++;
        }

        return items;
    }

    private static List<QueryFilter> Filters(JsonElement root, List<FieldError> errors)
    {
        var filters = new List<QueryFilter>();
        if (!root.TryGetProperty("filters", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return filters;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("filters", "must be an object mapping a dimension to the list of its values to keep."));
            return filters;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            var path = "filters." + member.Name;
            if (!seen.Add(member.Name))
            {
                errors.Add(new FieldError(path, "repeated field."));
                continue;
            }

            filters.Add(new QueryFilter(member.Name, StringsOf(member.Value, path, errors)));
        }

        return filters;
    }

    [GeneratedRegex(@"^Filters\[(?<index>\d+)\]", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex FilterProperty();
}
