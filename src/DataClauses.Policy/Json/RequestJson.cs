using System.Text.Json;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Json;

/// <summary>
/// Reads a <see cref="DecisionRequest"/> from JSON, checking every field and reporting every problem
/// with its JSON path; unknown fields are errors (fail closed).
/// </summary>
public static class RequestJson
{
    private static readonly string[] Fields =
        ["requester", "action", "dataset", "dimensions", "measures", "filters", "purpose", "retention", "node", "contract", "zoning"];

    private static readonly string[] RequesterFields = ["id", "organisation", "roles"];

    /// <summary>Parses a request; returns null and the errors when it is not valid.</summary>
    public static (DecisionRequest? Request, IReadOnlyList<string> Errors) Parse(JsonElement root)
    {
        var errors = new List<string>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, ["$: a request must be a JSON object"]);
        }

        CheckFields(root, "$", Fields, errors);

        Requester? requester = null;
        if (!root.TryGetProperty("requester", out var requesterElement) || requesterElement.ValueKind == JsonValueKind.Null)
        {
            errors.Add("$.requester: required object with id, organisation and roles");
        }
        else if (requesterElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$.requester: must be an object with id, organisation and roles");
        }
        else
        {
            CheckFields(requesterElement, "$.requester", RequesterFields, errors);

            var id = String(requesterElement, "id", "$.requester.id", errors, required: true);
            var organisation = String(requesterElement, "organisation", "$.requester.organisation", errors, required: true);
            var roles = Strings(requesterElement, "roles", "$.requester.roles", errors);
            if (id is not null && organisation is not null)
            {
                requester = new Requester(id, organisation, roles);
            }
        }

        PolicyAction? action = null;
        if (String(root, "action", "$.action", errors, required: true) is { } actionText)
        {
            if (WireNames.TryParse(actionText, out PolicyAction parsed))
            {
                action = parsed;
            }
            else
            {
                errors.Add($"$.action: '{actionText}' is not one of: {string.Join(", ", WireNames.NamesOf<PolicyAction>())}");
            }
        }

        var dataset = String(root, "dataset", "$.dataset", errors, required: true);
        var dimensions = Strings(root, "dimensions", "$.dimensions", errors);
        var measures = Strings(root, "measures", "$.measures", errors);
        var filters = new List<Filter>();
        if (root.TryGetProperty("filters", out var filtersElement) && filtersElement.ValueKind != JsonValueKind.Null)
        {
            if (filtersElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add("$.filters: must be an object mapping a dimension to a list of values");
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in filtersElement.EnumerateObject())
                {
                    var path = PathOf("$.filters", property.Name);
                    if (!seen.Add(property.Name))
                    {
                        errors.Add($"{path}: repeated field");
                        continue;
                    }

                    var values = StringsOf(property.Value, path, errors);
                    if (property.Value.ValueKind == JsonValueKind.Array && property.Value.GetArrayLength() == 0)
                    {
                        errors.Add($"{path}: a filter needs at least one value");
                    }

                    filters.Add(new Filter(property.Name, values));
                }
            }
        }

        var purpose = String(root, "purpose", "$.purpose", errors, required: false);
        IsoDuration? retention = null;
        if (String(root, "retention", "$.retention", errors, required: false) is { } retentionText)
        {
            if (IsoDuration.TryParse(retentionText, out var parsed) && !parsed.IsZero)
            {
                retention = parsed;
            }
            else
            {
                errors.Add($"$.retention: '{retentionText}' is not a non-zero ISO-8601 duration (e.g. P6M)");
            }
        }

        Zoning? zoning = null;
        if (String(root, "zoning", "$.zoning", errors, required: false) is { } zoningText)
        {
            if (WireNames.TryParse(zoningText, out Zoning parsed))
            {
                zoning = parsed;
            }
            else
            {
                errors.Add($"$.zoning: '{zoningText}' is not one of: {string.Join(", ", WireNames.NamesOf<Zoning>())}");
            }
        }

        var node = String(root, "node", "$.node", errors, required: false);
        var contract = String(root, "contract", "$.contract", errors, required: false);
        if (errors.Count > 0 || requester is null || action is null || dataset is null)
        {
            return (null, errors);
        }

        return (new DecisionRequest
        {
            Requester = requester,
            Action = action.Value,
            Dataset = dataset,
            Dimensions = dimensions,
            Measures = measures,
            Filters = filters,
            Purpose = purpose,
            Retention = retention,
            Node = node,
            Contract = contract,
            Zoning = zoning,
        }, errors);
    }

    /// <summary>Reports unknown and repeated fields of an object (a repeated field is ambiguous: fail closed).</summary>
    private static void CheckFields(JsonElement element, string path, string[] known, List<string> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var at = PathOf(path, property.Name);
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add($"{at}: unknown field; expected one of: {string.Join(", ", known)}");
            }
            else if (!seen.Add(property.Name))
            {
                errors.Add($"{at}: repeated field");
            }
        }
    }

    /// <summary>The JSON path of a member: dot notation for plain names, bracket notation otherwise.</summary>
    private static string PathOf(string parent, string name)
    {
        var plain = name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_');
        foreach (var c in name)
        {
            plain &= char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
        }

        return plain ? $"{parent}.{name}" : $"{parent}['{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}']";
    }

    private static string? String(JsonElement parent, string name, string path, List<string> errors, bool required)
    {
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors.Add($"{path}: required");
            }

            return null;
        }

        if (element.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(element.GetString()))
        {
            errors.Add($"{path}: must be a non-empty string");
            return null;
        }

        return element.GetString();
    }

    private static List<string> Strings(JsonElement parent, string name, string path, List<string> errors)
    {
        return parent.TryGetProperty(name, out var element) ? StringsOf(element, path, errors) : [];
    }

    private static List<string> StringsOf(JsonElement element, string path, List<string> errors)
    {
        var list = new List<string>();
        if (element.ValueKind == JsonValueKind.Null)
        {
            return list;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{path}: must be a list of strings");
            return list;
        }

        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                errors.Add($"{path}[{index}]: must be a non-empty string");
            }
            else if (list.Contains(item.GetString()!, StringComparer.Ordinal))
            {
                errors.Add($"{path}[{index}]: '{item.GetString()}' is repeated");
            }
            else
            {
                list.Add(item.GetString()!);
            }

            index++;
        }

        return list;
    }
}
