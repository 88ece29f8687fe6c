using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// Checks every value of a row against the schema and the contract — types, constraints, geographic codes of the
/// contract's territory, dimension values allowed by the contract — and converts it for the typed table: geo and
/// dimension values as their canonical text (the very string instance of the allowed list, so nothing is allocated),
/// measures as numbers, the unit identifier as its canonical bytes (hashed later by <see cref="UnitIdHasher"/>).
/// </summary>
internal sealed class RowValidator
{
    private const int MaxShown = 40;

    private readonly Rule[] _rules;
    private readonly bool _decimalComma;
    private readonly Dictionary<string, string> _irisCodes = new(StringComparer.Ordinal);
    private readonly string _contractId;

    /// <summary>Prepares the rules of a schema; <paramref name="decimalComma"/> is true for <c>;</c>-separated files.</summary>
    public RowValidator(DatasetSchema schema, Contract contract, DatasetDeclaration dataset, bool decimalComma)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(dataset);
        _decimalComma = decimalComma;
        _contractId = contract.Id;
        var geo = GeoCodes.For(contract, dataset);
        _rules = [.. schema.Fields.Select(f => Rule.Create(f, dataset, geo))];
    }

    /// <summary>The storage kind of each schema field, in table order.</summary>
    public static IReadOnlyList<ColumnKind> KindsOf(DatasetSchema schema) => [.. schema.Fields.Select(KindOf)];

    /// <summary>The storage kind of a field.</summary>
    public static ColumnKind KindOf(SchemaField field) => field.Role switch
    {
        FieldRole.Measure => field.Type == FieldType.Integer ? ColumnKind.Integer : ColumnKind.Number,
        FieldRole.UnitId => ColumnKind.UnitId,
        _ => ColumnKind.Text,
    };

    /// <summary>
    /// Validates the reader's current record, mapped by <paramref name="header"/>; reports every bad value and, when
    /// all are good and <paramref name="batch"/> is given, writes the row at <c>batch.Count</c> (the caller keeps it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Validate(CsvReader reader, CsvHeader header, RowBatch? batch, CsvErrorCollector errors)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(errors);
        var ok = true;
        var row = batch?.Count ?? 0;
        var columns = header.FieldOfColumn;
        for (var c = 0; c < columns.Length; c++)
        {
            var field = columns[c];
            if (!TryConvert(field, reader[c], batch, row, out var code, out var message))
            {
                ok = false;
                errors.Report(CsvErrorClass.Value, new CsvError(reader.RecordLine, c + 1, _rules[field].Field.Name, code, message));
            }
        }

        return ok;
    }

    /// <summary>Checks and converts one value of the field at <paramref name="field"/>; false with a code and message when invalid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryConvert(int field, ReadOnlySpan<byte> raw, RowBatch? batch, int row, out string code, out string message)
    {
        var rule = _rules[field];
        var value = FieldParsers.Trim(raw);
        code = string.Empty;
        message = string.Empty;
        if (value.IsEmpty)
        {
            if (rule.Field.Constraints.Required)
            {
                code = "required";
                message = $"A value is required in column '{rule.Field.Name}'.";
                return false;
            }

            if (batch is not null)
            {
                SetNull(batch, field, row);
            }

            return true;
        }

        switch (rule.Kind)
        {
            case RuleKind.Code:
            case RuleKind.StringCategory:
                {
                    if (!rule.Lookup!.TryGetValue(value, out var canonical, out var utf8))
                    {
                        return Fail(rule, value, out code, out message);
                    }

                    if (batch is not null)
                    {
                        batch.Text[field][row] = canonical;
                        batch.TextUtf8[field][row] = utf8;
                    }

                    return true;
                }

            case RuleKind.Iris:
                {
                    var canonical = Iris(rule, value);
                    if (canonical is null)
                    {
                        return Fail(rule, value, out code, out message);
                    }

                    if (batch is not null)
                    {
                        batch.Text[field][row] = canonical;
                        batch.TextUtf8[field][row] = null;
                    }

                    return true;
                }

            case RuleKind.IntegerCategory:
            case RuleKind.DateCategory:
            case RuleKind.BooleanCategory:
                {
                    if (!TryCanonicalCategory(rule, value, out var canonical))
                    {
                        return Fail(rule, value, out code, out message);
                    }

                    if (batch is not null)
                    {
                        batch.Text[field][row] = canonical;
                        batch.TextUtf8[field][row] = null;
                    }

                    return true;
                }

            case RuleKind.Integer:
                {
                    if (!FieldParsers.TryParseInteger(value, out var number))
                    {
                        code = "invalid-integer";
                        message = $"'{Shown(value)}' in column '{rule.Field.Name}' is not an integer (digits only, no decimal part or thousands separator).";
                        return false;
                    }

                    if (!InRange(rule, number, value, out code, out message) || !Summable(rule, Math.Abs((double)number), value, out code, out message))
                    {
                        return false;
                    }

                    if (batch is not null)
                    {
                        batch.Integers[field][row] = number;
                        batch.Nulls[field][row] = false;
                    }

                    return true;
                }

            case RuleKind.Number:
                {
                    if (!FieldParsers.TryParseNumber(value, _decimalComma, out var number))
                    {
                        code = "invalid-number";
                        message = !_decimalComma && value.IndexOf((byte)',') >= 0
                            ? $"'{Shown(value)}' in column '{rule.Field.Name}' has a comma: in a comma-separated file, write decimals with a point (or separate fields with ';')."
                            : $"'{Shown(value)}' in column '{rule.Field.Name}' is not a number (e.g. 1234.5{(_decimalComma ? " or 1234,5" : string.Empty)}; no thousands separator).";
                        return false;
                    }

                    if (!InRange(rule, number, value, out code, out message) || !Summable(rule, Math.Abs(number), value, out code, out message))
                    {
                        return false;
                    }

                    if (batch is not null)
                    {
                        batch.Numbers[field][row] = number;
                        batch.Nulls[field][row] = false;
                    }

                    return true;
                }

            default:
                return UnitId(rule, field, value, batch, row, out code, out message);
        }
    }

    /// <summary>
    /// The largest magnitude a measure's values may add up to: 2^53 hundredths. Below it a double holds every total to
    /// the cent exactly, and the cube's cents never saturate; the running total of absolute values bounds every cell
    /// and margin of any query, so a file whose total passes it is refused at its line rather than published wrong.
    /// </summary>
    public const double MaxSummable = 9_007_199_254_740_992d / 100;

    private static bool Summable(Rule rule, double magnitude, ReadOnlySpan<byte> value, out string code, out string message)
    {
        if (magnitude > MaxSummable)
        {
            code = "value-too-large";
            message = $"'{Shown(value)}' in column '{rule.Field.Name}' is beyond ±{MaxSummable.ToString("N2", CultureInfo.InvariantCulture)}: sums of this measure could no longer be exact.";
            return false;
        }

        rule.AbsoluteTotal += magnitude;
        if (rule.AbsoluteTotal > MaxSummable)
        {
            code = "sum-too-large";
            message = $"With '{Shown(value)}', the total of column '{rule.Field.Name}' (of absolute values, from the first row) passes {MaxSummable.ToString("N2", CultureInfo.InvariantCulture)}: its sums could no longer be exact.";
            return false;
        }

        code = string.Empty;
        message = string.Empty;
        return true;
    }

    private bool UnitId(Rule rule, int field, ReadOnlySpan<byte> value, RowBatch? batch, int row, out string code, out string message)
    {
        code = string.Empty;
        message = string.Empty;

        // The identifier itself is never echoed back: messages name the column only.
        Span<byte> digits = stackalloc byte[24];
        scoped var input = value;
        if (rule.Kind == RuleKind.UnitIdInteger)
        {
            if (!FieldParsers.TryParseInteger(value, out var number))
            {
                code = "invalid-integer";
                message = $"The unit identifier in column '{rule.Field.Name}' is not an integer.";
                return false;
            }

            // Hash the canonical digits so that 007 and 7 are the same unit.
            number.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
            input = digits[..written];
        }
        else if (rule.Field.Constraints.MaxLength is { } maxLength && value.Length > maxLength && Encoding.UTF8.GetCharCount(value) > maxLength)
        {
            code = "too-long";
            message = $"The unit identifier in column '{rule.Field.Name}' is longer than {maxLength.ToString(CultureInfo.InvariantCulture)} characters.";
            return false;
        }

        batch?.SetUnitId(row, input);
        return true;
    }

    private bool InRange(Rule rule, double number, ReadOnlySpan<byte> value, out string code, out string message)
    {
        var constraints = rule.Field.Constraints;
        code = string.Empty;
        message = string.Empty;
        if (number < constraints.Minimum)
        {
            code = "below-minimum";
            message = $"{Shown(value)} in column '{rule.Field.Name}' is below the minimum {constraints.Minimum.Value.ToString(CultureInfo.InvariantCulture)}.";
            return false;
        }

        if (number > constraints.Maximum)
        {
            code = "above-maximum";
            message = $"{Shown(value)} in column '{rule.Field.Name}' is above the maximum {constraints.Maximum.Value.ToString(CultureInfo.InvariantCulture)}.";
            return false;
        }

        return true;
    }

    private bool TryCanonicalCategory(Rule rule, ReadOnlySpan<byte> value, out string canonical)
    {
        canonical = string.Empty;
        Span<char> text = stackalloc char[24];
        int length;
        switch (rule.Kind)
        {
            case RuleKind.IntegerCategory:
                if (!FieldParsers.TryParseInteger(value, out var integer) || !integer.TryFormat(text, out length, default, CultureInfo.InvariantCulture))
                {
                    return false;
                }

                break;
            case RuleKind.DateCategory:
                if (!FieldParsers.TryParseDate(value, out var date) || !date.TryFormat(text, out length, "yyyy-MM-dd", CultureInfo.InvariantCulture))
                {
                    return false;
                }

                break;
            default:
                if (!FieldParsers.TryParseBoolean(value, out var flag))
                {
                    return false;
                }

                (flag ? "true" : "false").CopyTo(text);
                length = flag ? 4 : 5;
                break;
        }

        return rule.Allowed!.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text[..length], out canonical!);
    }

    private string? Iris(Rule rule, ReadOnlySpan<byte> value)
    {
        Span<char> text = stackalloc char[9];
        if (value.Length != 9 || Encoding.UTF8.GetChars(value, text) != 9)
        {
            return null;
        }

        var cache = _irisCodes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (cache.TryGetValue(text, out var known))
        {
            return known;
        }

        var code = new string(text);
        if (!rule.Geo!.InTerritory(GeoLevel.Iris, code))
        {
            return null;
        }

        // IRIS codes repeat: keep one instance of each (a territory has a few thousand at most).
        if (_irisCodes.Count < 100_000)
        {
            _irisCodes[code] = code;
        }

        return code;
    }

    /// <summary>Explains why a geo or dimension value is refused (the slow path: allocating is fine here).</summary>
    private bool Fail(Rule rule, ReadOnlySpan<byte> value, out string code, out string message)
    {
        var field = rule.Field;
        var text = Encoding.UTF8.GetString(value);
        if (field.Role == FieldRole.Geo)
        {
            var level = field.Geo!.Value;
            if (!rule.Geo!.IsWellFormed(level, text))
            {
                code = "invalid-code";
                message = $"'{Shown(value)}' in column '{field.Name}' is not a {LevelName(level, rule.Geo.Zoning)} code ({Example(level, rule.Geo.Zoning)}).";
            }
            else if (rule.Geo.InTerritory(level, text))
            {
                code = "not-allowed";
                message = $"'{text}' in column '{field.Name}' is not among the values the schema allows ({Listed(rule.AllowedList)}).";
            }
            else
            {
                code = "outside-territory";
                message = $"'{text}' in column '{field.Name}' is not a {LevelName(level, rule.Geo.Zoning)} of the territory of contract '{_contractId}'.";
            }

            return false;
        }

        code = "unknown-value";
        var typed = field.Type switch
        {
            FieldType.Integer => FieldParsers.TryParseInteger(value, out _),
            FieldType.Date => FieldParsers.TryParseDate(value, out _),
            FieldType.Boolean => FieldParsers.TryParseBoolean(value, out _),
            _ => true,
        };
        if (!typed)
        {
            code = field.Type switch
            {
                FieldType.Integer => "invalid-integer",
                FieldType.Date => "invalid-date",
                _ => "invalid-boolean",
            };
            message = field.Type switch
            {
                FieldType.Integer => $"'{Shown(value)}' in column '{field.Name}' is not an integer.",
                FieldType.Date => $"'{Shown(value)}' in column '{field.Name}' is not a date (YYYY-MM-DD or DD/MM/YYYY).",
                _ => $"'{Shown(value)}' in column '{field.Name}' is not a boolean (true/false, 1/0, oui/non).",
            };
            return false;
        }

        message = $"'{Shown(value)}' is not an allowed value of '{field.Name}' (allowed: {Listed(rule.AllowedList)}).";
        return false;
    }

    private static void SetNull(RowBatch batch, int field, int row)
    {
        if (batch.Kinds[field] == ColumnKind.Text)
        {
            batch.Text[field][row] = null;
            batch.TextUtf8[field][row] = null;
        }
        else
        {
            batch.Nulls[field][row] = true;
        }
    }

    private static string Shown(ReadOnlySpan<byte> value)
    {
        var text = Encoding.UTF8.GetString(value);
        return text.Length <= MaxShown ? text : string.Concat(text.AsSpan(0, MaxShown), "…");
    }

    private static string Listed(IReadOnlyList<string> values) =>
        values.Count <= 20 ? string.Join(", ", values) : string.Join(", ", values.Take(20)) + $", … ({values.Count.ToString(CultureInfo.InvariantCulture)} values)";

    private static string LevelName(GeoLevel level, Zoning zoning) => level switch
    {
        GeoLevel.Qpv => zoning == Zoning.Qpv2015 ? "QPV (2015 list)" : "QPV (2024 list)",
        GeoLevel.Commune => "commune INSEE",
        GeoLevel.Iris => "IRIS",
        _ => "EPCI SIREN",
    };

    private static string Example(GeoLevel level, Zoning zoning) => level switch
    {
        GeoLevel.Qpv => zoning == Zoning.Qpv2015 ? "QP + département + 3 digits, e.g. QP044001" : "QN + département + 2 digits + N/M/I, e.g. QN04401M",
        GeoLevel.Commune => "5 characters, e.g. 44109",
        GeoLevel.Iris => "commune code + 4 digits, e.g. 441090101",
        _ => "9 digits",
    };

    private enum RuleKind
    {
        Code,
        Iris,
        StringCategory,
        IntegerCategory,
        DateCategory,
        BooleanCategory,
        Integer,
        Number,
        UnitIdText,
        UnitIdInteger,
    }

    /// <summary>How one field is checked, prepared once per upload.</summary>
    private sealed class Rule
    {
        private Rule(SchemaField field, RuleKind kind)
        {
            Field = field;
            Kind = kind;
        }

        public SchemaField Field { get; }

        public RuleKind Kind { get; }

        public FrozenSet<string>? Allowed { get; private init; }

        public Utf8Lookup? Lookup { get; private init; }

        public IReadOnlyList<string> AllowedList { get; private init; } = [];

        public GeoCodes? Geo { get; private init; }

        /// <summary>The running total of the absolute values of a measure column (rows are validated in order, on one thread).</summary>
        public double AbsoluteTotal { get; set; }

        public static Rule Create(SchemaField field, DatasetDeclaration dataset, GeoCodes geo)
        {
            var constraints = field.Constraints;
            switch (field.Role)
            {
                case FieldRole.Geo:
                    {
                        var level = field.Geo!.Value;
                        IReadOnlyList<string>? allowed = constraints.Enum ?? (IReadOnlyList<string>?)geo.Listed(level)?.Order(StringComparer.Ordinal).ToList();
                        if (allowed is null)
                        {
                            return new Rule(field, RuleKind.Iris) { Geo = geo };
                        }

                        return new Rule(field, RuleKind.Code) { Geo = geo, Lookup = new Utf8Lookup(allowed), AllowedList = allowed };
                    }

                case FieldRole.Dimension:
                    {
                        var declared = dataset.FindDimension(field.Name)!.Values.Select(v => DatasetSchema.Canonical(field.Type, v)!).ToList();
                        IReadOnlyList<string> allowed = constraints.Enum is { } narrowed ? [.. declared.Where(v => narrowed.Contains(v, StringComparer.Ordinal))] : declared;
                        // The other constraints narrow the closed list once, rather than every value.
                        allowed = [.. allowed.Where(v => Satisfies(field, v))];

                        var kind = field.Type switch
                        {
                            FieldType.Integer => RuleKind.IntegerCategory,
                            FieldType.Date => RuleKind.DateCategory,
                            FieldType.Boolean => RuleKind.BooleanCategory,
                            _ => RuleKind.StringCategory,
                        };
                        return kind == RuleKind.StringCategory
                            ? new Rule(field, kind) { Lookup = new Utf8Lookup(allowed), AllowedList = allowed }
                            : new Rule(field, kind) { Allowed = allowed.ToFrozenSet(StringComparer.Ordinal), AllowedList = allowed };
                    }

                case FieldRole.Measure:
                    return new Rule(field, field.Type == FieldType.Integer ? RuleKind.Integer : RuleKind.Number);

                default:
                    return new Rule(field, field.Type == FieldType.Integer ? RuleKind.UnitIdInteger : RuleKind.UnitIdText);
            }
        }

        private static bool Satisfies(SchemaField field, string canonical)
        {
            var c = field.Constraints;
            return field.Type switch
            {
                FieldType.String => c.MaxLength is not { } max || canonical.Length <= max,
                FieldType.Integer => long.Parse(canonical, CultureInfo.InvariantCulture) is var n && !(n < c.Minimum) && !(n > c.Maximum),
                FieldType.Date => DateOnly.ParseExact(canonical, "yyyy-MM-dd", CultureInfo.InvariantCulture) is var d && !(d < c.MinimumDate) && !(d > c.MaximumDate),
                _ => true,
            };
        }
    }
}
