using System.Globalization;
using System.Text;
using System.Text.Json;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Loading;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DataClauses.Policy.Golden;

/// <summary>The outcome of one golden decision case.</summary>
/// <param name="File">The case file.</param>
/// <param name="Line">The line the case starts on.</param>
/// <param name="Name">The case's name.</param>
/// <param name="Failures">What did not match (empty when the case passed).</param>
public sealed record GoldenResult(string File, int Line, string Name, IReadOnlyList<string> Failures)
{
    /// <summary>True when every expectation held.</summary>
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// Runs golden decision cases (<c>policies/tests/*.yaml</c>): each gives a request, the time, and the expected
/// effect, reasons and obligations. <c>dataclauses policy test</c> and the Policy test project run the same files,
/// so the format reference cannot drift from the engine.
/// </summary>
public static class GoldenCases
{
    /// <summary>Runs every case of every <c>*.yaml</c> file under <paramref name="path"/> (a file or a directory).</summary>
    public static IReadOnlyList<GoldenResult> Run(string path)
    {
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*.yaml").Concat(Directory.EnumerateFiles(path, "*.yml")).Order(StringComparer.Ordinal).ToList()
            : [path];
        var results = new List<GoldenResult>();
        foreach (var file in files)
        {
            results.AddRange(RunFile(file));
        }

        return results;
    }

    private static IEnumerable<GoldenResult> RunFile(string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            return [new GoldenResult(file, (int)ex.Start.Line, "(file)", [$"not valid YAML: {ex.Message}"])];
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return [new GoldenResult(file, 1, "(file)", ["a golden case file is one mapping with 'cases' (and optionally 'contracts')"])];
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var contractsPath = Path.GetFullPath(Path.Combine(directory, Scalar(root, "contracts") ?? ".."));
        var load = ContractLoader.Load([contractsPath]);
        if (!load.IsValid)
        {
            return [new GoldenResult(file, 1, "(contracts)", load.Errors.Select(e => e.ToString()).ToList())];
        }

        var contracts = load.ToContractSet();
        if (Child(root, "cases") is not YamlSequenceNode cases)
        {
            return [new GoldenResult(file, 1, "(file)", ["'cases' must be a list"])];
        }

        return cases.Children.Select(c => RunCase(file, contracts, c)).ToList();
    }

    private static GoldenResult RunCase(string file, ContractSet contracts, YamlNode node)
    {
        var line = (int)node.Start.Line;
        if (node is not YamlMappingNode map)
        {
            return new GoldenResult(file, line, "(case)", ["a case must be a mapping"]);
        }

        var name = Scalar(map, "name") ?? $"case at line {line}";
        var failures = new List<string>();
        var unknown = map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value!).Where(k => k is not ("name" or "at" or "request" or "expect")).ToList();
        if (unknown.Count > 0)
        {
            failures.Add($"unknown keys: {string.Join(", ", unknown)}");
        }

        if (!DateTimeOffset.TryParse(Scalar(map, "at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            failures.Add("'at' must be an ISO-8601 instant, e.g. 2025-03-01T10:00:00Z");
            return new GoldenResult(file, line, name, failures);
        }

        if (Child(map, "request") is not { } requestNode)
        {
            failures.Add("'request' is required");
            return new GoldenResult(file, line, name, failures);
        }

        using var requestJson = JsonDocument.Parse(YamlToJson(requestNode));
        var (request, errors) = RequestJson.Parse(requestJson.RootElement);
        if (request is null)
        {
            failures.AddRange(errors.Select(e => $"request: {e}"));
            return new GoldenResult(file, line, name, failures);
        }

        var decision = DecisionEngine.Decide(contracts, request, at);
        using var actual = JsonDocument.Parse(DecisionJson.ToJson(decision, indented: false));
        if (Child(map, "expect") is not YamlMappingNode expect)
        {
            failures.Add("'expect' must be a mapping with at least 'effect'");
            return new GoldenResult(file, line, name, failures);
        }

        Compare(expect, actual.RootElement, failures);
        return new GoldenResult(file, line, name, failures);
    }

    private static void Compare(YamlMappingNode expect, JsonElement actual, List<string> failures)
    {
        if (Child(expect, "effect") is null)
        {
            failures.Add("expect.effect: required (permit, deny or approval-required)");
        }

        foreach (var (keyNode, value) in expect.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            switch (key)
            {
                case "effect":
                case "clause":
                case "contract":
                case "determiningClauses":
                    CompareValue(key, value, actual.GetProperty(key), failures);
                    break;
                case "reasons":
                    CompareReasons(value, actual.GetProperty("reasons"), failures);
                    break;
                case "obligations":
                    var obligations = actual.GetProperty("obligations");
                    if (value is YamlScalarNode { Value: "null" or "~" })
                    {
                        if (obligations.ValueKind != JsonValueKind.Null)
                        {
                            failures.Add("obligations: expected none");
                        }

                        break;
                    }

                    if (obligations.ValueKind != JsonValueKind.Object)
                    {
                        failures.Add("obligations: expected some, the decision has none");
                        break;
                    }

                    if (value is not YamlMappingNode expectedObligations)
                    {
                        failures.Add("obligations: expected a mapping (or null)");
                        break;
                    }

                    foreach (var (obligationKey, obligationValue) in expectedObligations.Children)
                    {
                        var name = ((YamlScalarNode)obligationKey).Value!;
                        if (!obligations.TryGetProperty(name, out var actualValue))
                        {
                            failures.Add($"obligations.{name}: no such obligation");
                            continue;
                        }

                        CompareValue($"obligations.{name}", obligationValue, actualValue, failures);
                    }

                    break;
                default:
                    failures.Add($"expect.{key}: unknown expectation (effect, contract, clause, determiningClauses, reasons, obligations)");
                    break;
            }
        }
    }

    private static void CompareReasons(YamlNode expected, JsonElement actual, List<string> failures)
    {
        if (expected is not YamlSequenceNode list)
        {
            failures.Add("reasons: expected a list");
            return;
        }

        // The reasons must match exactly, as a set: each expected reason found, no unexpected one left over.
        var remaining = actual.EnumerateArray().ToList();
        foreach (var item in list.Children.OfType<YamlMappingNode>())
        {
            var match = remaining.FindIndex(r => item.Children.All(p =>
            {
                var field = ((YamlScalarNode)p.Key).Value!;
                return r.TryGetProperty(field, out var v) && Same(p.Value, v);
            }));
            if (match < 0)
            {
                failures.Add($"reasons: expected {YamlToJson(item)}, got {string.Join(", ", actual.EnumerateArray().Select(Brief))}");
                continue;
            }

            remaining.RemoveAt(match);
        }

        foreach (var extra in remaining)
        {
            failures.Add($"reasons: unexpected {Brief(extra)}");
        }
    }

    private static string Brief(JsonElement reason) =>
        $"{{rule: {reason.GetProperty("rule")}, clause: {reason.GetProperty("clause")}, subject: {reason.GetProperty("subject")}}}";

    private static void CompareValue(string path, YamlNode expected, JsonElement actual, List<string> failures)
    {
        if (!Same(expected, actual))
        {
            failures.Add($"{path}: expected {YamlToJson(expected)}, got {actual.GetRawText()}");
        }
    }

    private static bool Same(YamlNode expected, JsonElement actual) => expected switch
    {
        YamlScalarNode { Value: "null" or "~" } => actual.ValueKind == JsonValueKind.Null,
        YamlScalarNode scalar => actual.ValueKind switch
        {
            JsonValueKind.String => string.Equals(actual.GetString(), scalar.Value, StringComparison.Ordinal),
            JsonValueKind.Number => double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n == actual.GetDouble(),
            JsonValueKind.True => scalar.Value == "true",
            JsonValueKind.False => scalar.Value == "false",
            _ => false,
        },
        YamlSequenceNode sequence => actual.ValueKind == JsonValueKind.Array
            && actual.GetArrayLength() == sequence.Children.Count
            && sequence.Children.Zip(actual.EnumerateArray()).All(p => Same(p.First, p.Second)),
        YamlMappingNode mapping => actual.ValueKind == JsonValueKind.Object
            && mapping.Children.All(p => actual.TryGetProperty(((YamlScalarNode)p.Key).Value!, out var v) && Same(p.Value, v)),
        _ => false,
    };

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlMappingNode map, string key) => (Child(map, key) as YamlScalarNode)?.Value;

    /// <summary>Converts a YAML tree to JSON text, every scalar as a string (requests carry strings only).</summary>
    private static string YamlToJson(YamlNode node)
    {
        var builder = new StringBuilder();
        Append(node);
        return builder.ToString();

        void Append(YamlNode n)
        {
            switch (n)
            {
                case YamlMappingNode m:
                    builder.Append('{');
                    var first = true;
                    foreach (var (k, v) in m.Children)
                    {
                        if (!first)
                        {
                            builder.Append(',');
                        }

                        first = false;
                        builder.Append(JsonSerializer.Serialize(((YamlScalarNode)k).Value));
                        builder.Append(':');
                        Append(v);
                    }

                    builder.Append('}');
                    break;
                case YamlSequenceNode s:
                    builder.Append('[');
                    for (var i = 0; i < s.Children.Count; i++)
                    {
                        if (i > 0)
                        {
                            builder.Append(',');
                        }

                        Append(s.Children[i]);
                    }

                    builder.Append(']');
                    break;
                case YamlScalarNode { Value: "null" or "~" }:
                    builder.Append("null");
                    break;
                case YamlScalarNode scalar:
                    builder.Append(JsonSerializer.Serialize(scalar.Value));
                    break;
            }
        }
    }
}
