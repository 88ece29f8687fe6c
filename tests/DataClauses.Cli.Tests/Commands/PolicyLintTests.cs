using System.Text.RegularExpressions;
using DataClauses.Policy.Loading;

namespace DataClauses.Cli.Tests.Commands;

public sealed class PolicyLintTests
{
    [Fact]
    public void Linting_the_demo_contract_exits_zero_and_names_it()
    {
        var result = Cli.Run("policy", "lint", Paths.DemoContract);

        result.ExitCode.ShouldBe(0);
        result.Output.Trim().ShouldBe("1 contract(s) valid: cdv-demo-2024-2030.");
        result.Error.ShouldBeEmpty();
    }

    [Fact]
    public void Linting_the_policies_directory_reads_its_contracts_and_exits_zero()
    {
        var result = Cli.Run("policy", "lint", Paths.Policies);

        result.ExitCode.ShouldBe(0);
        result.Output.ShouldContain("cdv-demo-2024-2030");
    }

    [Fact]
    public void Linting_a_malformed_contract_prints_each_problem_as_path_line_column_code_and_message_and_exits_one()
    {
        using var directory = new TempDirectory();
        var lines = File.ReadAllLines(Paths.DemoContract).ToList();
        var startLine = lines.FindIndex(l => l == "  start: 2024-01-01");
        startLine.ShouldBeGreaterThanOrEqualTo(0);
        lines[startLine] = "  start: 2024-13-01";
        lines.Add("colour: blue");
        var path = directory.Write("broken.yaml", string.Join('\n', lines) + "\n");

        var result = Cli.Run("policy", "lint", path);

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldBeEmpty();
        var expected = ContractLoader.Load([path]).Errors.Select(e => e.ToString()).ToList();
        result.ErrorLines.ShouldBe([.. expected, $"{expected.Count} error(s)."]);
        expected.ShouldContain(l => l.StartsWith($"{path}:{startLine + 1}:10: error invalid-value: ", StringComparison.Ordinal));
        expected.ShouldContain(l => l.StartsWith($"{path}:{lines.Count}:1: error unknown-key: unknown key 'colour'", StringComparison.Ordinal));
        var format = new Regex($"^{Regex.Escape(path)}:[0-9]+:[0-9]+: error [a-z0-9-]+: \\S.*$");
        expected.ShouldAllBe(l => format.IsMatch(l));
    }

    [Fact]
    public void Linting_a_file_that_is_not_yaml_reports_a_syntax_error_with_its_position()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("syntax.yaml", "id: cdv-x\ntitle: a: b\n");

        var result = Cli.Run("policy", "lint", path);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines[0].ShouldMatch($"^{Regex.Escape(path)}:2:[0-9]+: error yaml-syntax: ");
        result.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public void Linting_yaml_the_parser_chokes_on_fails_without_a_stack_trace()
    {
        // YamlDotNet throws InvalidOperationException (not YamlException) on this unclosed flow sequence.
        using var directory = new TempDirectory();
        var path = directory.Write("unclosed.yaml", "id: cdv-x\ntitle: [unclosed\nperiod: {}\n");

        var result = Cli.Run("policy", "lint", path);

        result.ExitCode.ShouldNotBe(0);
        result.ErrorLines.ShouldNotBeEmpty();
        result.Error.ShouldNotContain("   at ");
        result.Error.ShouldNotContain("Unhandled exception");
    }

    [Fact]
    public void Linting_a_missing_path_reports_it_and_exits_one()
    {
        var missing = Path.Combine(Path.GetTempPath(), "dataclauses-cli-tests", "no-such-contract.yaml");

        var result = Cli.Run("policy", "lint", missing);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines[0].ShouldStartWith($"{missing}:1:1: error file-not-found: ");
        result.Output.ShouldBeEmpty();
    }

    [Fact]
    public void Linting_a_directory_without_contracts_is_an_error_not_an_empty_success()
    {
        using var directory = new TempDirectory();

        var result = Cli.Run("policy", "lint", directory.FullPath);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{directory.FullPath}:1:1: error no-contract: no contract file there (*.yaml, *.yml)"]);
    }

    [Fact]
    public void Linting_without_a_path_is_a_usage_error()
    {
        var result = Cli.Run("policy", "lint");

        result.ExitCode.ShouldBe(1);
        result.Error.ShouldNotBeEmpty();
        result.Error.ShouldNotContain("   at ");
    }
}
