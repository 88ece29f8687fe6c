using System.Globalization;
using System.Text;
using System.Text.Json;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Catalog;

/// <summary>The type of a column's values (Frictionless Table Schema names).</summary>
internal enum FieldType
{
    /// <summary>Text.</summary>
    String,

    /// <summary>A whole number (64-bit).</summary>
    Integer,

    /// <summary>A decimal number (decimal point, or decimal comma in <c>;</c>-separated files).</summary>
    Number,

    /// <summary>A calendar date (<c>YYYY-MM-DD</c> or <c>DD/MM/YYYY</c>).</summary>
    Date,

    /// <summary>true/false, 1/0, oui/non.</summary>
    Boolean,
}

/// <summary>What a column is for.</summary>
internal enum FieldRole
{
    /// <summary>A geographic code (IRIS, QPV, commune, EPCI) of the contract's territory.</summary>
    Geo,

    /// <summary>A categorical dimension with the contract's allowed values.</summary>
    Dimension,

    /// <summary>A numeric column summed by a <c>sum</c> measure.</summary>
    Measure,

    /// <summary>The identifier of the counted unit (household, job seeker, dwelling): stored hashed, never exposed.</summary>
    UnitId,
}

/// <summary>Constraints on a column's values (Frictionless <c>constraints</c>).</summary>
internal sealed record FieldConstraints
{
    /// <summary>A value is required in every row (default true).</summary>
    public bool Required { get; init; } = true;

    /// <summary>Smallest accepted value of an integer or number column.</summary>
    public double? Minimum { get; init; }

    /// <summary>Largest accepted value of an integer or number column.</summary>
    public double? Maximum { get; init; }

    /// <summary>Earliest accepted date of a date column.</summary>
    public DateOnly? MinimumDate { get; init; }

    /// <summary>Latest accepted date of a date column.</summary>
    public DateOnly? MaximumDate { get; init; }

    /// <summary>Longest accepted text, in characters.</summary>
    public int? MaxLength { get; init; }

    /// <summary>The accepted values (canonical text), for geo and dimension columns; null when not narrowed.</summary>
    public IReadOnlyList<string>? Enum { get; init; }
}

/// <summary>One column of a dataset schema.</summary>
/// <param name="Name">Column name (a validated SQL-safe identifier).</param>
/// <param name="Type">Value type.</param>
/// <param name="Role">Role.</param>
internal sealed record SchemaField(string Name, FieldType Type, FieldRole Role)
{
    /// <summary>The geographic level of a geo column.</summary>
    public GeoLevel? Geo { get; init; }

    /// <summary>Human title.</summary>
    public string? Title { get; init; }

    /// <summary>Description.</summary>
    public string? Description { get; init; }

    /// <summary>Constraints.</summary>
    public FieldConstraints Constraints { get; init; } = new();
}

/// <summary>A problem in a schema, located by a JSON path such as <c>$.fields[2].constraints.enum[0]</c>.</summary>
/// <param name="Path">JSON path of the offending element.</param>
/// <param name="Code">Stable error code.</param>
/// <param name="Message">Explanation.</param>
internal sealed record SchemaError(string Path, string Code, string Message);

/// <summary>
/// A dataset's schema in the spirit of Frictionless Table Schema, checked against the contract's declaration of
/// the dataset: every contract dimension is a <c>geo</c> or <c>dimension</c> field, every <c>sum</c> measure a
/// <c>measure</c> field, exactly one <c>unit-id</c> field, nothing else (fail closed).
/// </summary>
internal sealed class DatasetSchema
{
    /// <summary>The wire names of field types.</summary>
    public static readonly IReadOnlyList<string> TypeNames = ["string", "integer", "number", "date", "boolean"];

    /// <summary>The wire names of field roles.</summary>
    public static readonly IReadOnlyList<string> RoleNames = ["geo", "dimension", "measure", "unit-id"];

    private static readonly string[] RootProperties = ["title", "description", "fields"];
    private static readonly string[] FieldProperties = ["name", "title", "description", "type", "role", "geo", "constraints"];
    private static readonly string[] ConstraintProperties = ["required", "minimum", "maximum", "maxLength", "enum"];

    private DatasetSchema(string? title, string? description, IReadOnlyList<SchemaField> fields)
    {
        Title = title;
        Description = description;
        Fields = fields;
    }

    /// <summary>Title given by the provider (the contract's title applies otherwise).</summary>
    public string? Title { get; }

    /// <summary>Description.</summary>
    public string? Description { get; }

    /// <summary>The columns, in the declared order (the order of the typed table's columns).</summary>
    public IReadOnlyList<SchemaField> Fields { get; }

    /// <summary>The unit identifier column.</summary>
    public SchemaField UnitId => Fields.First(f => f.Role == FieldRole.UnitId);

    /// <summary>Finds a field by name.</summary>
    public SchemaField? Find(string name) => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    /// <summary>The wire name of a type.</summary>
    public static string ToWire(FieldType type) => TypeNames[(int)type];

    /// <summary>The wire name of a role.</summary>
    public static string ToWire(FieldRole role) => RoleNames[(int)role];

    /// <summary>
    /// Reads and checks a schema against the contract's declaration of the dataset. Returns null and fills
    /// <paramref name="errors"/> (every problem, each with its JSON path) when it does not match.
    /// </summary>
    public static DatasetSchema? Parse(JsonElement root, Contract contract, DatasetDeclaration dataset, List<SchemaError> errors)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(errors);
        var start = errors.Count;
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new SchemaError("$", "invalid-type", "The schema must be a JSON object with a 'fields' array."));
            return null;
        }

        UnknownProperties(root, "$", RootProperties, errors);
        var title = OptionalString(root, "title", "$", errors, 500);
        var description = OptionalString(root, "description", "$", errors, 4000);
        if (!root.TryGetProperty("fields", out var fieldsElement) || fieldsElement.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new SchemaError("$.fields", "required", "'fields' is required: an array with one object per column."));
            return null;
        }

        var fields = new List<SchemaField>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        var unitIds = 0;
        foreach (var element in fieldsElement.EnumerateArray())
        {
            var path = $"$.fields[{index.ToString(CultureInfo.InvariantCulture)}]";
            index++;
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("role", out var roleElement)
                && roleElement.ValueKind == JsonValueKind.String && string.Equals(roleElement.GetString(), "unit-id", StringComparison.Ordinal)
                && ++unitIds > 1)
            {
                errors.Add(new SchemaError(path + ".role", "duplicate-unit-id", "Only one field may have role 'unit-id'."));
            }

            // A name seen before is a duplicate even when the field has other errors.
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("name", out var nameElement)
                && nameElement.ValueKind == JsonValueKind.String && !seen.Add(nameElement.GetString()!))
            {
                errors.Add(new SchemaError(path + ".name", "duplicate-field", $"Field '{nameElement.GetString()}' is declared more than once."));
                continue;
            }

            if (ParseField(element, path, contract, dataset, errors) is { } field)
            {
                fields.Add(field);
            }
        }

        if (index == 0)
        {
            errors.Add(new SchemaError("$.fields", "required", "'fields' must list the dataset's columns."));
        }

        // Every contract dimension and every summed measure must be a column; a count is the number of rows.
        foreach (var dimension in dataset.Dimensions)
        {
            if (!seen.Contains(dimension.Name))
            {
                var role = dimension.Geo is { } level ? $"role 'geo' and geo '{level.ToWire()}'" : "role 'dimension'";
                errors.Add(new SchemaError("$.fields", "missing-dimension", $"The contract declares dimension '{dimension.Name}' for dataset '{dataset.Id}': add a field named '{dimension.Name}' with {role}."));
            }
        }

        foreach (var measure in dataset.Measures.Where(m => m.Kind == MeasureKind.Sum))
        {
            if (!seen.Contains(measure.Name))
            {
                errors.Add(new SchemaError("$.fields", "missing-measure", $"The contract declares the summed measure '{measure.Name}': add a field named '{measure.Name}' with role 'measure' and type 'number' or 'integer'."));
            }
        }

        if (unitIds == 0)
        {
            errors.Add(new SchemaError("$.fields", "missing-unit-id", "Exactly one field must have role 'unit-id' (the identifier of the counted unit; it is stored hashed and never exposed)."));
        }

        return errors.Count > start ? null : new DatasetSchema(title, description, fields);
    }

    /// <summary>Reads a stored schema and checks it against the contract as it reads today.</summary>
    public static DatasetSchema? FromJson(string json, Contract contract, DatasetDeclaration dataset, List<SchemaError> errors)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, contract, dataset, errors);
    }

    /// <summary>The normalised schema as JSON (defaults made explicit), as stored and as the API shows it.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (Title is not null)
            {
                writer.WriteString("title", Title);
            }

            if (Description is not null)
            {
                writer.WriteString("description", Description);
            }

            writer.WriteStartArray("fields");
            foreach (var field in Fields)
            {
                WriteField(writer, field);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteField(Utf8JsonWriter writer, SchemaField field)
    {
        writer.WriteStartObject();
        writer.WriteString("name", field.Name);
        if (field.Title is not null)
        {
            writer.WriteString("title", field.Title);
        }

        if (field.Description is not null)
        {
            writer.WriteString("description", field.Description);
        }

        writer.WriteString("type", ToWire(field.Type));
        writer.WriteString("role", ToWire(field.Role));
        if (field.Geo is { } geo)
        {
            writer.WriteString("geo", geo.ToWire());
        }

        var c = field.Constraints;
        writer.WriteStartObject("constraints");
        writer.WriteBoolean("required", c.Required);
        if (c.Minimum is { } min)
        {
            writer.WriteNumber("minimum", min);
        }

        if (c.MinimumDate is { } minDate)
        {
            writer.WriteString("minimum", minDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        if (c.Maximum is { } max)
        {
            writer.WriteNumber("maximum", max);
        }

        if (c.MaximumDate is { } maxDate)
        {
            writer.WriteString("maximum", maxDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        if (c.MaxLength is { } maxLength)
        {
            writer.WriteNumber("maxLength", maxLength);
        }

        if (c.Enum is { } values)
        {
            writer.WriteStartArray("enum");
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static SchemaField? ParseField(JsonElement element, string path, Contract contract, DatasetDeclaration dataset, List<SchemaError> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new SchemaError(path, "invalid-type", "Each field must be a JSON object."));
            return null;
        }

        var start = errors.Count;
        UnknownProperties(element, path, FieldProperties, errors);
        var name = RequiredString(element, "name", path, errors);
        var typeText = RequiredString(element, "type", path, errors);
        var roleText = RequiredString(element, "role", path, errors);
        var title = OptionalString(element, "title", path, errors, 500);
        var description = OptionalString(element, "description", path, errors, 4000);
        if (name is not null && !Identifiers.IsValidColumnName(name))
        {
            errors.Add(new SchemaError(path + ".name", "invalid-name", $"'{name}' is not a valid column name: 1 to 63 lowercase letters, digits or '_', starting with a letter."));
            name = null;
        }

        FieldType? type = null;
        if (typeText is not null)
        {
            var t = IndexOf(TypeNames, typeText);
            if (t < 0)
            {
                errors.Add(new SchemaError(path + ".type", "invalid-type", $"Unknown type '{typeText}': use one of {string.Join(", ", TypeNames)}."));
            }
            else
            {
                type = (FieldType)t;
            }
        }

        FieldRole? role = null;
        if (roleText is not null)
        {
            var r = IndexOf(RoleNames, roleText);
            if (r < 0)
            {
                errors.Add(new SchemaError(path + ".role", "invalid-role", $"Unknown role '{roleText}': use one of {string.Join(", ", RoleNames)}."));
            }
            else
            {
                role = (FieldRole)r;
            }
        }

        GeoLevel? geo = null;
        if (element.TryGetProperty("geo", out var geoElement))
        {
            if (geoElement.ValueKind != JsonValueKind.String || !WireNames.TryParse(geoElement.GetString()!, out GeoLevel level))
            {
                errors.Add(new SchemaError(path + ".geo", "invalid-geo", $"'geo' must be one of {string.Join(", ", WireNames.GeoLevelNames)}."));
            }
            else
            {
                geo = level;
            }
        }

        if (name is null || type is null || role is null)
        {
            return null;
        }

        var dimension = dataset.FindDimension(name);
        var measure = dataset.Measures.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));
        switch (role.Value)
        {
            case FieldRole.Geo:
                if (dimension is null || dimension.Geo is null)
                {
                    errors.Add(NotInContract(path, name, dataset, dimension is null ? "a geographic dimension" : "a geographic dimension (it is categorical: use role 'dimension')"));
                }
                else if (geo is null)
                {
                    errors.Add(new SchemaError(path + ".geo", "required", $"A geo field needs 'geo': the contract declares '{name}' at level '{dimension.Geo.Value.ToWire()}'."));
                }
                else if (geo != dimension.Geo)
                {
                    errors.Add(new SchemaError(path + ".geo", "geo-level-mismatch", $"The contract declares '{name}' at level '{dimension.Geo.Value.ToWire()}', not '{geo.Value.ToWire()}'."));
                }

                if (type != FieldType.String)
                {
                    errors.Add(new SchemaError(path + ".type", "type-not-allowed", "Geographic codes are text (leading zeros, letters): use type 'string'."));
                }

                break;

            case FieldRole.Dimension:
                if (dimension is null || dimension.Geo is not null)
                {
                    errors.Add(NotInContract(path, name, dataset, dimension is null ? "a categorical dimension" : "a categorical dimension (it is geographic: use role 'geo')"));
                }
                else if (type == FieldType.Number)
                {
                    errors.Add(new SchemaError(path + ".type", "type-not-allowed", "A dimension's values are categories: use type 'string', 'integer', 'date' or 'boolean'."));
                }
                else
                {
                    for (var i = 0; i < dimension.Values.Count; i++)
                    {
                        if (Canonical(type.Value, dimension.Values[i]) is null)
                        {
                            errors.Add(new SchemaError(path + ".type", "type-not-allowed", $"The contract's value '{dimension.Values[i]}' of '{name}' is not a valid {ToWire(type.Value)}: declare the field with type 'string'."));
                            break;
                        }
                    }
                }

                if (geo is not null)
                {
                    errors.Add(new SchemaError(path + ".geo", "not-allowed", "'geo' is only for fields with role 'geo'."));
                }

                break;

            case FieldRole.Measure:
                if (measure is null)
                {
                    errors.Add(NotInContract(path, name, dataset, "a measure"));
                }
                else if (measure.Kind == MeasureKind.Count)
                {
                    errors.Add(new SchemaError(path + ".role", "count-measure-field", $"'{name}' is a count in the contract: it is the number of rows and needs no column. Remove this field."));
                }

                if (type is not (FieldType.Integer or FieldType.Number))
                {
                    errors.Add(new SchemaError(path + ".type", "type-not-allowed", "A measure is summed: use type 'number' or 'integer'."));
                }

                if (geo is not null)
                {
                    errors.Add(new SchemaError(path + ".geo", "not-allowed", "'geo' is only for fields with role 'geo'."));
                }

                break;

            case FieldRole.UnitId:
                if (dimension is not null || measure is not null)
                {
                    errors.Add(new SchemaError(path + ".name", "unit-id-name", $"'{name}' is a dimension or measure of the contract and cannot be the unit identifier."));
                }

                if (type is not (FieldType.String or FieldType.Integer))
                {
                    errors.Add(new SchemaError(path + ".type", "type-not-allowed", "A unit identifier is a 'string' or an 'integer'."));
                }

                if (geo is not null)
                {
                    errors.Add(new SchemaError(path + ".geo", "not-allowed", "'geo' is only for fields with role 'geo'."));
                }

                break;
        }

        var constraints = ParseConstraints(element, path, name, type.Value, role.Value, dimension, contract, dataset, errors);
        if (role == FieldRole.UnitId && constraints is { Required: false })
        {
            errors.Add(new SchemaError(path + ".constraints.required", "unit-id-optional", "The unit identifier is required in every row."));
        }

        return errors.Count > start || constraints is null ? null : new SchemaField(name, type.Value, role.Value)
        {
            Geo = role == FieldRole.Geo ? geo : null,
            Title = title,
            Description = description,
            Constraints = constraints,
        };
    }

    private static FieldConstraints? ParseConstraints(
        JsonElement element, string path, string name, FieldType type, FieldRole role, DimensionDeclaration? dimension, Contract contract, DatasetDeclaration dataset, List<SchemaError> errors)
    {
        if (!element.TryGetProperty("constraints", out var c))
        {
            return new FieldConstraints();
        }

        path += ".constraints";
        if (c.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new SchemaError(path, "invalid-type", "'constraints' must be an object."));
            return null;
        }

        var start = errors.Count;
        UnknownProperties(c, path, ConstraintProperties, errors);
        var result = new FieldConstraints();
        if (c.TryGetProperty("required", out var required))
        {
            if (required.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                result = result with { Required = required.GetBoolean() };
            }
            else
            {
                errors.Add(new SchemaError(path + ".required", "invalid-type", "'required' must be true or false."));
            }
        }

        if (c.TryGetProperty("maxLength", out var maxLength))
        {
            if (type != FieldType.String)
            {
                errors.Add(new SchemaError(path + ".maxLength", "constraint-not-allowed", "'maxLength' applies to 'string' fields only."));
            }
            else if (maxLength.ValueKind != JsonValueKind.Number || !maxLength.TryGetInt32(out var length) || length < 1)
            {
                errors.Add(new SchemaError(path + ".maxLength", "invalid-constraint", "'maxLength' must be a positive whole number."));
            }
            else
            {
                result = result with { MaxLength = length };
            }
        }

        foreach (var bound in new[] { "minimum", "maximum" })
        {
            if (!c.TryGetProperty(bound, out var value))
            {
                continue;
            }

            var boundPath = path + "." + bound;
            if (type is FieldType.Integer or FieldType.Number)
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    errors.Add(new SchemaError(boundPath, "invalid-constraint", $"'{bound}' must be a number."));
                }
                else
                {
                    result = bound == "minimum" ? result with { Minimum = number } : result with { Maximum = number };
                }
            }
            else if (type == FieldType.Date)
            {
                if (value.ValueKind != JsonValueKind.String || !FieldParsers.TryParseDate(Encoding.UTF8.GetBytes(value.GetString()!), out var date))
                {
                    errors.Add(new SchemaError(boundPath, "invalid-constraint", $"'{bound}' must be a date (YYYY-MM-DD)."));
                }
                else
                {
                    result = bound == "minimum" ? result with { MinimumDate = date } : result with { MaximumDate = date };
                }
            }
            else
            {
                errors.Add(new SchemaError(boundPath, "constraint-not-allowed", $"'{bound}' applies to 'integer', 'number' and 'date' fields only."));
            }
        }

        if (result.Minimum > result.Maximum || result.MinimumDate > result.MaximumDate)
        {
            errors.Add(new SchemaError(path + ".minimum", "minimum-above-maximum", "'minimum' is greater than 'maximum'."));
        }

        if (c.TryGetProperty("enum", out var values))
        {
            result = result with { Enum = ParseEnum(values, path + ".enum", name, type, role, dimension, contract, dataset, errors) };
        }

        return errors.Count > start ? null : result;
    }

    private static List<string>? ParseEnum(
        JsonElement values, string path, string name, FieldType type, FieldRole role, DimensionDeclaration? dimension, Contract contract, DatasetDeclaration dataset, List<SchemaError> errors)
    {
        if (role is not (FieldRole.Geo or FieldRole.Dimension))
        {
            errors.Add(new SchemaError(path, "constraint-not-allowed", "'enum' applies to 'geo' and 'dimension' fields only."));
            return null;
        }

        if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
        {
            errors.Add(new SchemaError(path, "invalid-constraint", "'enum' must be a non-empty array of values."));
            return null;
        }

        var result = new List<string>();
        var index = 0;
        foreach (var value in values.EnumerateArray())
        {
            var itemPath = $"{path}[{index.ToString(CultureInfo.InvariantCulture)}]";
            index++;
            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => null,
            };
            var canonical = text is null ? null : Canonical(type, text);
            if (canonical is null)
            {
                errors.Add(new SchemaError(itemPath, "invalid-constraint", $"Enum value {value.GetRawText()} is not a valid {ToWire(type)}."));
                continue;
            }

            if (dimension is null)
            {
                continue;
            }

            if (role == FieldRole.Dimension && !dimension.Values.Any(v => string.Equals(Canonical(type, v), canonical, StringComparison.Ordinal)))
            {
                errors.Add(new SchemaError(itemPath, "enum-value-not-allowed", $"'{canonical}' is not an allowed value of '{name}' in the contract ({string.Join(", ", dimension.Values)})."));
                continue;
            }

            if (role == FieldRole.Geo && dimension.Geo is { } level && !GeoCodes.For(contract, dataset).InTerritory(level, canonical))
            {
                errors.Add(new SchemaError(itemPath, "enum-outside-territory", $"'{canonical}' is not a {level.ToWire()} code of the territory of contract '{contract.Id}'."));
                continue;
            }

            if (!result.Contains(canonical, StringComparer.Ordinal))
            {
                result.Add(canonical);
            }
        }

        return result;
    }

    /// <summary>The canonical text of a value of a type (as stored and as compared), or null when it is not one.</summary>
    internal static string? Canonical(FieldType type, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Trim());
        return type switch
        {
            FieldType.String => text,
            FieldType.Integer => FieldParsers.TryParseInteger(bytes, out var l) ? l.ToString(CultureInfo.InvariantCulture) : null,
            FieldType.Number => FieldParsers.TryParseNumber(bytes, decimalComma: false, out var d) ? d.ToString("R", CultureInfo.InvariantCulture) : null,
            FieldType.Date => FieldParsers.TryParseDate(bytes, out var date) ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            FieldType.Boolean => FieldParsers.TryParseBoolean(bytes, out var b) ? (b ? "true" : "false") : null,
            _ => null,
        };
    }

    private static SchemaError NotInContract(string path, string name, DatasetDeclaration dataset, string what) =>
        new(path + ".name", "not-in-contract", $"The contract does not declare '{name}' as {what} of dataset '{dataset.Id}'. Only the contract's dimensions and summed measures, and one 'unit-id', may be columns.");

    private static void UnknownProperties(JsonElement element, string path, string[] known, List<SchemaError> errors)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new SchemaError($"{path}.{property.Name}", "unknown-property", $"Unknown property '{property.Name}' (expected: {string.Join(", ", known)})."));
            }
        }
    }

    private static string? RequiredString(JsonElement element, string property, string path, List<SchemaError> errors)
    {
        if (!element.TryGetProperty(property, out var value))
        {
            errors.Add(new SchemaError($"{path}.{property}", "required", $"'{property}' is required."));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            errors.Add(new SchemaError($"{path}.{property}", "invalid-type", $"'{property}' must be a non-empty string."));
            return null;
        }

        return value.GetString();
    }

    private static string? OptionalString(JsonElement element, string property, string path, List<SchemaError> errors, int maxLength)
    {
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length > maxLength)
        {
            errors.Add(new SchemaError($"{path}.{property}", "invalid-type", $"'{property}' must be a string of at most {maxLength.ToString(CultureInfo.InvariantCulture)} characters."));
            return null;
        }

        return value.GetString();
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
