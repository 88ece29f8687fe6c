using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Golden;
using DataClauses.Policy.Json;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Odrl;

namespace DataClauses.Cli.Commands;

/// <summary><c>dataclauses policy lint|test|explain|odrl</c>: contracts as code, for partner IT teams and DPOs.</summary>
internal static class PolicyCommands
{
    private static readonly string[] InstantFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd",
    ];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var policy = new Command("policy", "Check, test and explain contract files.");
        policy.Subcommands.Add(Lint(output, error));
        policy.Subcommands.Add(Test(output, error));
        policy.Subcommands.Add(Explain(output, error));
        policy.Subcommands.Add(Odrl(output, error));
        return policy;
    }

    private static Command Lint(TextWriter output, TextWriter error)
    {
        var paths = new Argument<string[]>("paths") { Description = "Contract files or directories.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("lint", "Validate contract files; print path:line:col: error CODE: message for every problem.") { paths };
        command.SetAction(parse =>
        {
            if (LoadContracts(parse.GetValue(paths)!, error) is not { } result)
            {
                return CliApp.Failure;
            }

            output.WriteLine($"{result.Contracts.Count} contract(s) valid: {string.Join(", ", result.Contracts.Select(c => c.Id))}.");
            return CliApp.Success;
        });
        return command;
    }

    private static Command Test(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("path") { Description = "A golden case file or a directory of them (policies/tests)." };
        var command = new Command("test", "Run golden decision cases and print 'N passed, N failed'.") { path };
        command.SetAction(parse =>
        {
            var target = parse.GetValue(path)!;
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                error.WriteLine($"{target}:1:1: error file-not-found: no golden case file or directory there");
                return CliApp.Failure;
            }

            var results = GoldenCases.Run(target);
            if (results.Count == 0)
            {
                error.WriteLine($"{target}:1:1: error no-cases: no golden case there (*.yaml, *.yml)");
            }

            foreach (var failed in results.Where(r => !r.Passed))
            {
                foreach (var failure in failed.Failures)
                {
                    error.WriteLine($"{failed.File}:{failed.Line}:1: FAIL {failed.Name}: {failure}");
                }
            }

            var passed = results.Count(r => r.Passed);
            var failedCount = results.Count - passed;
            output.WriteLine($"{passed} passed, {failedCount} failed");
            return failedCount == 0 && results.Count > 0 ? CliApp.Success : CliApp.Failure;
        });
        return command;
    }

    private static Command Explain(TextWriter output, TextWriter error)
    {
        var policies = new Option<string>("--policies") { Description = "Directory (or file) of contracts.", Required = true };
        var request = new Option<string>("--request") { Description = "The request, as a JSON file.", Required = true };
        var at = new Option<string?>("--at") { Description = "The instant to decide at (ISO-8601; default: now)." };
        var command = new Command("explain", "Print the decision on a request as JSON.") { policies, request, at };
        command.SetAction(parse =>
        {
            var instant = TimeProvider.System.GetUtcNow();
            if (parse.GetValue(at) is { } atText && !TryParseInstant(atText, out instant))
            {
                error.WriteLine($"--at: '{atText}' is not an ISO-8601 instant (e.g. 2025-03-01T10:00:00Z or 2025-03-01)");
                return CliApp.Failure;
            }

            if (LoadContracts([parse.GetValue(policies)!], error) is not { } load)
            {
                return CliApp.Failure;
            }

            var requestPath = parse.GetValue(request)!;
            if (!File.Exists(requestPath))
            {
                error.WriteLine($"{requestPath}:1:1: error file-not-found: no request file there");
                return CliApp.Failure;
            }

            var text = File.ReadAllText(requestPath);
            DecisionRequest? decisionRequest;
            try
            {
                using var json = JsonDocument.Parse(text);
                (decisionRequest, var problems) = RequestJson.Parse(json.RootElement);
                foreach (var problem in problems)
                {
                    error.WriteLine($"{requestPath}: error invalid-request: {problem}");
                }
            }
            catch (JsonException ex)
            {
                var line = (int)(ex.LineNumber ?? 0);
                var column = CharacterColumn(text, line, (int)(ex.BytePositionInLine ?? 0));
                error.WriteLine($"{requestPath}:{line + 1}:{column + 1}: error invalid-json: {WithoutPosition(ex.Message)}");
                return CliApp.Failure;
            }

            if (decisionRequest is null)
            {
                return CliApp.Failure;
            }

            var decision = DecisionEngine.Decide(load.ToContractSet(), decisionRequest, instant);
            output.WriteLine(DecisionJson.ToJson(decision));
            return CliApp.Success;
        });
        return command;
    }

    private static Command Odrl(TextWriter output, TextWriter error)
    {
        var policies = new Option<string>("--policies") { Description = "Directory (or file) of contracts.", Required = true };
        var command = new Command("odrl", "Print the contracts as ODRL 2.2 JSON-LD.") { policies };
        command.SetAction(parse =>
        {
            if (LoadContracts([parse.GetValue(policies)!], error) is not { } load)
            {
                return CliApp.Failure;
            }

            output.WriteLine(OdrlExporter.ToJsonLd(load.Contracts));
            return CliApp.Success;
        });
        return command;
    }

    /// <summary>
    /// Loads contracts, printing every error (and their count) on <paramref name="error"/>; null when any file is
    /// invalid or when the paths hold no contract at all (an empty directory is a mistake, not an empty policy).
    /// </summary>
    private static LoadResult? LoadContracts(IReadOnlyList<string> paths, TextWriter error)
    {
        var result = ContractLoader.Load(paths);
        foreach (var problem in result.Errors)
        {
            error.WriteLine(problem.ToString());
        }

        if (!result.IsValid)
        {
            error.WriteLine($"{result.Errors.Count} error(s).");
            return null;
        }

        if (result.Contracts.Count == 0)
        {
            error.WriteLine($"{string.Join(", ", paths)}:1:1: error no-contract: no contract file there (*.yaml, *.yml)");
            return null;
        }

        return result;
    }

    /// <summary>An ISO-8601 instant (an offset or Z; UTC when there is none) or a date (its midnight, UTC).</summary>
    private static bool TryParseInstant(string text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParseExact(text, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant);

    /// <summary>The 0-based character column of a 0-based UTF-8 byte position in a line (what <see cref="JsonException"/> reports).</summary>
    private static int CharacterColumn(string text, int line, int bytePosition)
    {
        var lines = text.Split('\n');
        if (line >= lines.Length)
        {
            return bytePosition;
        }

        var bytes = Encoding.UTF8.GetBytes(lines[line]);
        return Encoding.UTF8.GetCharCount(bytes, 0, Math.Min(bytePosition, bytes.Length));
    }

    /// <summary>System.Text.Json appends the (0-based) position to its messages; the line already gives it, 1-based.</summary>
    private static string WithoutPosition(string message)
    {
        var index = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return index >= 0 ? message[..index] : message;
    }
}
