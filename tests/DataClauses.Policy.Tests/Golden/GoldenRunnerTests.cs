using DataClauses.Policy.Golden;

namespace DataClauses.Policy.Tests.Golden;

/// <summary>The golden-case runner reports every expectation that does not hold, so a wrong case cannot pass.</summary>
public sealed class GoldenRunnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("golden-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_case_that_matches_passes()
    {
        var result = RunCase("""
            expect:
              effect: deny
              determiningClauses: [caf-foyers-qpv]
              reasons:
                - { rule: dimension-not-allowed, clause: caf-foyers-qpv, subject: age }
              obligations: null
            """);

        result.Failures.ShouldBeEmpty();
    }

    [Fact]
    public void A_wrong_effect_fails()
    {
        RunCase("expect: { effect: permit }").Failures.ShouldBe(["effect: expected \"permit\", got \"deny\""]);
    }

    [Fact]
    public void A_missing_effect_fails()
    {
        RunCase("expect: { obligations: null }").Failures.ShouldBe(["expect.effect: required (permit, deny or approval-required)"]);
    }

    [Fact]
    public void A_reason_that_is_not_expected_fails()
    {
        var result = RunCase("expect: { effect: deny, reasons: [] }");

        result.Failures.ShouldBe(["reasons: unexpected {rule: dimension-not-allowed, clause: caf-foyers-qpv, subject: age}"]);
    }

    [Fact]
    public void An_expected_reason_with_another_subject_fails()
    {
        var result = RunCase("""
            expect:
              effect: deny
              reasons:
                - { rule: dimension-not-allowed, clause: caf-foyers-qpv, subject: sexe }
            """);

        result.Failures.Count.ShouldBe(2);
        result.Failures[0].ShouldStartWith("reasons: expected {\"rule\":\"dimension-not-allowed\",\"clause\":\"caf-foyers-qpv\",\"subject\":\"sexe\"}");
        result.Failures[1].ShouldStartWith("reasons: unexpected");
    }

    [Fact]
    public void Wrong_determining_clauses_and_obligations_fail()
    {
        var result = RunCase("""
            expect:
              effect: deny
              determiningClauses: [ft-demandeurs-qpv]
              obligations: { minCount: 11 }
            """);

        result.Failures.ShouldBe([
            "determiningClauses: expected [\"ft-demandeurs-qpv\"], got [\"caf-foyers-qpv\"]",
            "obligations: expected some, the decision has none",
        ]);
    }

    [Fact]
    public void An_unknown_expectation_and_an_unknown_case_key_fail()
    {
        var result = RunCase("expect: { effect: deny, verdict: deny }\nnote: x");

        result.Failures.ShouldContain("unknown keys: note");
        result.Failures.ShouldContain("expect.verdict: unknown expectation (effect, contract, clause, determiningClauses, reasons, obligations)");
    }

    [Fact]
    public void An_obligations_expectation_that_is_not_a_mapping_fails_without_throwing()
    {
        var result = RunCase("expect: { effect: permit, obligations: [11] }", dimensions: "[qpv]");

        result.Failures.ShouldBe(["obligations: expected a mapping (or null)"]);
    }

    private GoldenResult RunCase(string expect, string dimensions = "[qpv, age]")
    {
        var file = Path.Combine(_directory, "case.yaml");
        File.WriteAllText(file, $$"""
            contracts: {{Paths.Policies}}
            cases:
              - name: a case
                at: 2025-03-01T10:00:00Z
                request:
                  requester: { id: ana-epci, organisation: epci-demo, roles: [analyst] }
                  action: query
                  dataset: caf-foyers-allocataires
                  dimensions: {{dimensions}}
                  measures: [foyers]
                  purpose: observation
                {{expect.Replace("\n", "\n    ", StringComparison.Ordinal)}}
            """);
        return GoldenCases.Run(file).ShouldHaveSingleItem();
    }
}
