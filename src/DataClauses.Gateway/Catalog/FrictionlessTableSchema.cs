using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// Reads a Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/, the format of
/// schema.data.gouv.fr) into the gateway's schema declaration (docs/publishing.md, "Frictionless Table Schema"): the
/// field roles, which Table Schema does not have, come from the contract (its geographic and categorical dimensions,
/// its summed measures) and from <c>primaryKey</c> (the unit identifier). What the gateway cannot enforce is refused
/// with its JSON path (<c>unsupported-frictionless-key</c>, <c>unsupported-frictionless-type</c>…), never ignored.
/// </summary>
internal static class FrictionlessTableSchema
{
    private static readonly string[] RootKeys = ["$schema", "fields", "primaryKey", "missingValues", "title", "description"];
    private static readonly string[] FieldKeys = ["name", "title", "description", "type", "format", "constraints"];
    private static readonly string[] ConstraintKeys = ["required", "minimum", "maximum", "maxLength", "enum"];

    /// <summary>
    /// Whether the document is a Table Schema rather than the gateway's own format: it has a member the gateway's format
    /// refuses and Table Schema defines at its root (<c>primaryKey</c>, <c>$schema</c>, <c>missingValues</c>, <c>foreignKeys</c>).
    /// </summary>
    public static bool Is(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && (root.TryGetProperty("primaryKey", out _) || root.TryGetProperty("$schema", out _) || root.TryGetProperty("missingValues", out _) || root.TryGetProperty("foreignKeys", out _));

    /// <summary>The declaration in the gateway's format, or null with every problem in <paramref name="errors"/>.</summary>
    public static JsonElement? ToDeclaration(JsonElement root, DatasetDeclaration dataset, List<SchemaError> errors)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(errors);
        var start = errors.Count;
        foreach (var property in root.EnumerateObject().Where(p => !RootKeys.Contains(p.Name, StringComparer.Ordinal)))
        {
            Unsupported($"$.{property.Name}", $"Table Schema member '{property.Name}' is not supported by the gateway (supported: {string.Join(", ", RootKeys)}).");
        }

        if (root.TryGetProperty("$schema", out var profile) && profile.ValueKind != JsonValueKind.String)
        {
            errors.Add(new SchemaError("$.$schema", "invalid-type", "'$schema' must be a string (the Table Schema profile's URL)."));
        }

        if (root.TryGetProperty("missingValues", out var missing)
            && (missing.ValueKind != JsonValueKind.Array || missing.GetArrayLength() != 1 || missing[0].ValueKind != JsonValueKind.String || missing[0].GetString()!.Length != 0))
        {
            Unsupported("$.missingValues", "Only 'missingValues': [\"\"] is supported: an empty cell is the only missing value.");
        }

        string? primaryKey = null;
        if (root.TryGetProperty("primaryKey", out var key))
        {
            primaryKey = key.ValueKind switch
            {
                JsonValueKind.String => key.GetString(),
                JsonValueKind.Array when key.GetArrayLength() == 1 && key[0].ValueKind == JsonValueKind.String => key[0].GetString(),
                _ => null,
            };
            if (primaryKey is null)
            {
                Unsupported("$.primaryKey", "'primaryKey' must name one field: the identifier of the counted unit (a composite key is not supported).");
            }
        }
        else
        {
            errors.Add(new SchemaError("$.primaryKey", "required", "'primaryKey' is required: it names the field that identifies the counted unit (stored hashed, never exposed)."));
        }

        var declaration = new JsonObject();
        foreach (var name in new[] { "title", "description" })
        {
            if (root.TryGetProperty(name, out var text))
            {
                declaration[name] = JsonNode.Parse(text.GetRawText());
            }
        }

        var fields = new JsonArray();
        if (root.TryGetProperty("fields", out var fieldsElement) && fieldsElement.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var field in fieldsElement.EnumerateArray())
            {
                fields.Add(Field(field, $"$.fields[{index.ToString(CultureInfo.InvariantCulture)}]", primaryKey, dataset));
                index++;
            }

            if (primaryKey is not null && !fieldsElement.EnumerateArray().Any(f => f.ValueKind == JsonValueKind.Object && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == primaryKey))
            {
                errors.Add(new SchemaError("$.primaryKey", "unknown-field", $"'primaryKey' names '{primaryKey}', which is not a field."));
            }
        }

        declaration["fields"] = root.TryGetProperty("fields", out var raw) && raw.ValueKind != JsonValueKind.Array ? JsonNode.Parse(raw.GetRawText()) : fields;
        return errors.Count > start ? null : JsonSerializer.SerializeToElement(declaration);

        JsonNode? Field(JsonElement field, string path, string? unitId, DatasetDeclaration declared)
        {
            if (field.ValueKind != JsonValueKind.Object)
            {
                return JsonNode.Parse(field.GetRawText());
            }

            var converted = new JsonObject();
            foreach (var property in field.EnumerateObject())
            {
                if (!FieldKeys.Contains(property.Name, StringComparer.Ordinal))
                {
                    Unsupported($"{path}.{property.Name}", $"Field member '{property.Name}' is not supported by the gateway (supported: {string.Join(", ", FieldKeys)}).");
                    continue;
                }

                switch (property.Name)
                {
                    case "format":
                        if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() != "default")
                        {
                            Unsupported($"{path}.format", "Only the 'default' format is supported (dates as YYYY-MM-DD, numbers with a '.' decimal point).");
                        }

                        break;
                    case "type" when property.Value.ValueKind == JsonValueKind.String && !DatasetSchema.TypeNames.Contains(property.Value.GetString()!, StringComparer.Ordinal):
                        errors.Add(new SchemaError($"{path}.type", "unsupported-frictionless-type",
                            $"Table Schema type '{property.Value.GetString()}' is not supported (supported: {string.Join(", ", DatasetSchema.TypeNames)})."));
                        break;
                    case "constraints" when property.Value.ValueKind == JsonValueKind.Object:
                        var constraints = new JsonObject();
                        foreach (var constraint in property.Value.EnumerateObject())
                        {
                            if (ConstraintKeys.Contains(constraint.Name, StringComparer.Ordinal))
                            {
                                constraints[constraint.Name] = JsonNode.Parse(constraint.Value.GetRawText());
                            }
                            else
                            {
                                Unsupported($"{path}.constraints.{constraint.Name}", $"Constraint '{constraint.Name}' is not supported by the gateway (supported: {string.Join(", ", ConstraintKeys)}).");
                            }
                        }

                        converted["constraints"] = constraints;
                        break;
                    default:
                        converted[property.Name] = JsonNode.Parse(property.Value.GetRawText());
                        break;
                }
            }

            // Table Schema has no roles: the contract says what each named column is.
            var name = field.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            if (name is not null && name == unitId)
            {
                converted["role"] = "unit-id";
            }
            else if (name is not null && declared.FindDimension(name) is { } dimension)
            {
                converted["role"] = dimension.Geo is null ? "dimension" : "geo";
                if (dimension.Geo is { } level)
                {
                    converted["geo"] = level.ToWire();
                }
            }
            else if (name is not null && declared.Measures.Any(m => m.Name == name))
            {
                converted["role"] = "measure";
            }
            else
            {
                // Not in the contract: the declaration's check refuses it by name (not-in-contract).
                converted["role"] = "dimension";
            }

            return converted;
        }

        void Unsupported(string path, string message) => errors.Add(new SchemaError(path, "unsupported-frictionless-key", message));
    }
}
