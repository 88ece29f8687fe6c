using System.Globalization;
using DataClauses.Policy.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DataClauses.Policy.Loading;

/// <summary>
/// Reads one YAML mapping against a closed set of keys, recording every problem with its position
/// instead of throwing, so that a file reports all its errors at once.
/// </summary>
internal sealed class YamlMap
{
    private readonly ErrorSink _errors;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);

    // Required keys an unknown key looks like a misspelling of: the unknown key's error already names them,
    // so their absence is not reported a second time (one typo, one error).
    private readonly HashSet<string> _suggested = new(StringComparer.Ordinal);

    private YamlMap(ErrorSink errors, YamlMappingNode node, string context)
    {
        _errors = errors;
        Node = node;
        Context = context;
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode scalar && scalar.Value is not null)
            {
                _entries[scalar.Value] = (scalar, value);
            }
            else
            {
                errors.Add(key, PolicyErrorCodes.InvalidType, $"keys of {context} must be plain words, not {Describe(key)}");
            }
        }
    }

    public YamlMappingNode Node { get; }

    public string Context { get; }

    /// <summary>True when the mapping has a key outside the allowed set (already reported).</summary>
    public bool HasUnknownKeys { get; private set; }

    /// <summary>Wraps <paramref name="node"/> as a mapping, or records an error and returns null.</summary>
    public static YamlMap? From(ErrorSink errors, YamlNode node, string context, params string[] allowedKeys)
    {
        if (node is not YamlMappingNode mapping)
        {
            errors.Add(node, PolicyErrorCodes.InvalidType, $"{context} must be a mapping (key: value), not {Describe(node)}");
            return null;
        }

        var map = new YamlMap(errors, mapping, context);
        foreach (var (name, (key, _)) in map._entries)
        {
            if (allowedKeys.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            map.HasUnknownKeys = true;
            var suggestion = allowedKeys.FirstOrDefault(k => !map._entries.ContainsKey(k) && LooksLike(name, k));
            if (suggestion is not null)
            {
                map._suggested.Add(suggestion);
                errors.Add(key, PolicyErrorCodes.UnknownKey, $"unknown key '{name}' in {context}; did you mean '{suggestion}'?");
            }
            else
            {
                errors.Add(key, PolicyErrorCodes.UnknownKey, $"unknown key '{name}' in {context}; expected one of: {string.Join(", ", allowedKeys)}");
            }
        }

        return map;
    }

    /// <summary>What a node is, for messages: "a list", "a mapping", "an empty value" or "a single value".</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        YamlScalarNode scalar when IsNull(scalar) => "an empty value",
        _ => "a single value",
    };

    /// <summary>The value of <paramref name="key"/> when <paramref name="node"/> is a mapping holding a non-empty scalar there.</summary>
    public static string? Peek(YamlNode node, string key) =>
        node is YamlMappingNode mapping
        && mapping.Children.TryGetValue(new YamlScalarNode(key), out var value)
        && value is YamlScalarNode { Value: { Length: > 0 } text } scalar
        && !IsNull(scalar)
            ? text
            : null;

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>True when <paramref name="typed"/> is probably a misspelling of <paramref name="expected"/>.</summary>
    private static bool LooksLike(string typed, string expected)
    {
        static string Fold(string s) => s.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

        var (a, b) = (Fold(typed), Fold(expected));
        if (string.Equals(a, b, StringComparison.Ordinal)
            || (Math.Min(a.Length, b.Length) >= 3 && (a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal))))
        {
            return true;
        }

        var distance = Distance(typed, expected);
        return distance == 1 || (distance == 2 && Math.Min(typed.Length, expected.Length) >= 6);
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    public bool Has(string key) => _entries.ContainsKey(key);

    public YamlNode? Get(string key) => _entries.TryGetValue(key, out var entry) ? entry.Value : null;

    public YamlScalarNode? KeyNode(string key) => _entries.TryGetValue(key, out var entry) ? entry.Key : null;

    public YamlNode? Required(string key)
    {
        var value = Get(key);
        if (value is null && !_suggested.Contains(key))
        {
            _errors.Add(Node, PolicyErrorCodes.MissingKey, $"missing required key '{key}' in {Context}");
        }

        return value;
    }

    public string? String(string key, bool required = true)
    {
        var node = required ? Required(key) : Get(key);
        return node is null ? null : Scalar(node, $"'{key}' in {Context}");
    }

    public string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode scalar && scalar.Value is not null)
        {
            if (IsNull(scalar) || string.IsNullOrWhiteSpace(scalar.Value))
            {
                _errors.Add(node, PolicyErrorCodes.InvalidValue, $"{what} must not be empty");
                return null;
            }

            return scalar.Value;
        }

        _errors.Add(node, PolicyErrorCodes.InvalidType, $"{what} must be a single value, not {Describe(node)}");
        return null;
    }

    public string? Id(string key, bool required = true)
    {
        var node = required ? Required(key) : Get(key);
        return node is null ? null : ValidId(node, $"'{key}' in {Context}");
    }

    public string? ValidId(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        if (text is not null && !Identifiers.IsValidId(text))
        {
            _errors.Add(node, PolicyErrorCodes.InvalidValue, $"{what} must be an identifier (lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit, at most 100 characters), not '{text}'");
            return null;
        }

        return text;
    }

    public DateOnly? Date(string key, bool required = true)
    {
        var node = required ? Required(key) : Get(key);
        if (node is null)
        {
            return null;
        }

        var text = Scalar(node, $"'{key}' in {Context}");
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{key}' in {Context} must be a calendar date written YYYY-MM-DD, not '{text}'");
        return null;
    }

    public int? Integer(string key, int min, int max, bool required = true, string code = PolicyErrorCodes.InvalidValue)
    {
        var node = required ? Required(key) : Get(key);
        if (node is null)
        {
            return null;
        }

        var text = Scalar(node, $"'{key}' in {Context}");
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{key}' in {Context} must be a whole number, not '{text}'");
            return null;
        }

        if (value < min || value > max)
        {
            _errors.Add(node, code, $"'{key}' in {Context} must be between {min} and {max}, not {value}");
            return null;
        }

        return value;
    }

    public double? Number(string key, double min, double max, bool required = true, string code = PolicyErrorCodes.InvalidValue)
    {
        var node = required ? Required(key) : Get(key);
        if (node is null)
        {
            return null;
        }

        var text = Scalar(node, $"'{key}' in {Context}");
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{key}' in {Context} must be a number, not '{text}'");
            return null;
        }

        if (value < min || value > max)
        {
            _errors.Add(node, code, $"'{key}' in {Context} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, not {text}");
            return null;
        }

        return value;
    }

    public bool? Boolean(string key, bool required = false)
    {
        var node = required ? Required(key) : Get(key);
        if (node is null)
        {
            return null;
        }

        var text = Scalar(node, $"'{key}' in {Context}");
        switch (text)
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{key}' in {Context} must be true or false, not '{text}'");
                return null;
        }
    }

    public IsoDuration? Duration(string key, bool required = true)
    {
        var node = required ? Required(key) : Get(key);
        if (node is null)
        {
            return null;
        }

        var text = Scalar(node, $"'{key}' in {Context}");
        if (text is null)
        {
            return null;
        }

        if (IsoDuration.TryParse(text, out var duration) && !duration.IsZero)
        {
            return duration;
        }

        _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{key}' in {Context} must be a non-zero ISO-8601 duration such as P1Y, P6M or P90D, not '{text}'");
        return null;
    }

    public delegate bool EnumParser<T>(string text, out T value);

    public T? Enum<T>(string key, EnumParser<T> parse, bool required = true)
        where T : struct, System.Enum
    {
        var node = required ? Required(key) : Get(key);
        return node is null ? null : EnumValue(node, parse, $"'{key}' in {Context}");
    }

    public T? EnumValue<T>(YamlNode node, EnumParser<T> parse, string what)
        where T : struct, System.Enum
    {
        var text = Scalar(node, what);
        if (text is null)
        {
            return null;
        }

        if (parse(text, out var value))
        {
            return value;
        }

        _errors.Add(node, PolicyErrorCodes.InvalidValue, $"{what} must be one of: {string.Join(", ", WireNames.NamesOf<T>())}, not '{text}'");
        return null;
    }

    /// <summary>The items of a list; an absent optional list is empty, a required one must not be empty.</summary>
    public IReadOnlyList<YamlNode> List(string key, bool required = true)
    {
        var node = required ? Required(key) : Get(key);
        if (node is null)
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            _errors.Add(node, PolicyErrorCodes.InvalidType, $"'{key}' in {Context} must be a list, not {Describe(node)}");
            return [];
        }

        if (required && sequence.Children.Count == 0)
        {
            _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{key}' in {Context} must not be empty");
        }

        return sequence.Children.ToList();
    }

    /// <summary>A list of scalars, each with its node (for later reference checks).</summary>
    public IReadOnlyList<(string Value, YamlNode Node)> Scalars(string key, bool required = true, bool ids = true)
    {
        var items = new List<(string, YamlNode)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in List(key, required))
        {
            var text = ids ? ValidId(item, $"an item of '{key}' in {Context}") : Scalar(item, $"an item of '{key}' in {Context}");
            if (text is null)
            {
                continue;
            }

            if (!seen.Add(text))
            {
                _errors.Add(item, PolicyErrorCodes.DuplicateId, $"'{text}' appears twice in '{key}' of {Context}");
                continue;
            }

            items.Add((text, item));
        }

        return items;
    }
}

/// <summary>Collects errors for one file.</summary>
internal sealed class ErrorSink(string file)
{
    public string File { get; } = file;

    public List<PolicyError> Errors { get; } = [];

    public void Add(YamlNode node, string code, string message) => Add(node.Start, code, message);

    public void Add(Mark mark, string code, string message) =>
        Errors.Add(new PolicyError(File, (int)mark.Line, (int)mark.Column, code, message));
}
