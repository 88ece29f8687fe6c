using System.Text.RegularExpressions;

namespace DataClauses.Cli.Tests.Commands;

public sealed class PolicyTestCommandTests
{
    [Fact]
    public void Running_the_golden_cases_prints_n_passed_0_failed_and_exits_zero()
    {
        var result = Cli.Run("policy", "test", Paths.GoldenCases);

        result.Error.ShouldBeEmpty();
        result.OutputLines.ShouldHaveSingleItem().ShouldMatch("^[1-9][0-9]* passed, 0 failed$");
        result.ExitCode.ShouldBe(0);
    }

    [Fact]
    public void A_golden_case_with_a_wrong_expectation_prints_a_fail_line_and_exits_one()
    {
        using var directory = new TempDirectory();
        var file = directory.Write("wrong.yaml", $"""
            contracts: {Paths.Policies}
            cases:
              - name: A permitted query wrongly expected to be denied
                at: 2025-03-01T10:00:00Z
                request:
                  requester: {"{"} id: ana-epci, organisation: epci-demo, roles: [analyst] {"}"}
                  action: query
                  dataset: caf-foyers-allocataires
                  dimensions: [qpv]
                  measures: [foyers]
                  purpose: observation
                expect:
                  effect: deny
            """);

        var result = Cli.Run("policy", "test", file);

        result.ExitCode.ShouldBe(1);
        result.Output.Trim().ShouldBe("0 passed, 1 failed");
        var fail = result.ErrorLines.ShouldHaveSingleItem();
        fail.ShouldMatch($"^{Regex.Escape(file)}:3:1: FAIL A permitted query wrongly expected to be denied: .*effect.*deny.*permit");
    }

    [Fact]
    public void A_directory_without_golden_cases_fails()
    {
        using var directory = new TempDirectory();

        var result = Cli.Run("policy", "test", directory.FullPath);

        result.ExitCode.ShouldBe(1);
        result.Output.Trim().ShouldBe("0 passed, 0 failed");
        result.ErrorLines.ShouldBe([$"{directory.FullPath}:1:1: error no-cases: no golden case there (*.yaml, *.yml)"]);
    }

    [Fact]
    public void A_missing_golden_path_is_reported_and_fails()
    {
        var missing = Path.Combine(Path.GetTempPath(), "dataclauses-cli-tests", "no-such-cases");

        var result = Cli.Run("policy", "test", missing);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{missing}:1:1: error file-not-found: no golden case file or directory there"]);
        result.Output.ShouldBeEmpty();
    }
}
