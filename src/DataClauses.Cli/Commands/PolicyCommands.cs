using System.CommandLine;
using System.Globalization;
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
            var result = ContractLoader.Load(parse.GetValue(paths)!);
            foreach (var problem in result.Errors)
            {
                error.WriteLine(problem.ToString());
            }

            if (!result.IsValid)
            {
                error.WriteLine($"{result.Errors.Count} error(s).");
                return 1;
            }

            output.WriteLine($"{result.Contracts.Count} contract(s) valid: {string.Join(", ", result.Contracts.Select(c => c.Id))}.");
            return 0;
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
                return 1;
            }

            var results = GoldenCases.Run(target);
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
            return failedCount == 0 && results.Count > 0 ? 0 : 1;
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
            var load = ContractLoader.Load([parse.GetValue(policies)!]);
            if (!load.IsValid)
            {
                foreach (var problem in load.Errors)
                {
                    error.WriteLine(problem.ToString());
                }

                return 1;
            }

            var requestPath = parse.GetValue(request)!;
            if (!File.Exists(requestPath))
            {
                error.WriteLine($"{requestPath}:1:1: error file-not-found: no request file there");
                return 1;
            }

            DecisionRequest? decisionRequest;
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(requestPath));
                (decisionRequest, var problems) = RequestJson.Parse(json.RootElement);
                foreach (var problem in problems)
                {
                    error.WriteLine($"{requestPath}: error invalid-request: {problem}");
                }
            }
            catch (JsonException ex)
            {
                error.WriteLine($"{requestPath}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: error invalid-json: {ex.Message}");
                return 1;
            }

            if (decisionRequest is null)
            {
                return 1;
            }

            var instant = TimeProvider.System.GetUtcNow();
            if (parse.GetValue(at) is { } atText
                && !DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant))
            {
                error.WriteLine($"--at: '{atText}' is not an ISO-8601 instant (e.g. 2025-03-01T10:00:00Z)");
                return 1;
            }

            var decision = DecisionEngine.Decide(load.ToContractSet(), decisionRequest, instant);
            output.WriteLine(DecisionJson.ToJson(decision));
            return 0;
        });
        return command;
    }

    private static Command Odrl(TextWriter output, TextWriter error)
    {
        var policies = new Option<string>("--policies") { Description = "Directory (or file) of contracts.", Required = true };
        var command = new Command("odrl", "Print the contracts as ODRL 2.2 JSON-LD.") { policies };
        command.SetAction(parse =>
        {
            var load = ContractLoader.Load([parse.GetValue(policies)!]);
            if (!load.IsValid)
            {
                foreach (var problem in load.Errors)
                {
                    error.WriteLine(problem.ToString());
                }

                return 1;
            }

            output.WriteLine(OdrlExporter.ToJsonLd(load.Contracts));
            return 0;
        });
        return command;
    }
}
