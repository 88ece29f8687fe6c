using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>Prohibitions across contracts, and clauses an amendment removes (the demo contract shows neither).</summary>
public sealed class ProhibitionAndAmendmentTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    // Contract A lets the EPCI use the data for "ciblage"; contract B, on the same dataset, prohibits it.
    private static readonly string Permitting = InlineContract.Yaml(
        "cdv-a", [InlineContract.Clause("clause-a", purposes: "[observation, ciblage]")], purposes: "[observation, ciblage]", prohibited: "[]");

    private static readonly string Prohibiting = InlineContract.Yaml("cdv-b", [InlineContract.Clause("clause-b")], prohibited: "[profiling, ciblage]");

    [Fact]
    public void A_prohibition_in_one_contract_denies_what_another_contract_permits_in_either_order()
    {
        var permittingFirst = DecisionEngine.Decide(InlineContract.Load(Permitting, Prohibiting), InlineContract.Query("ciblage"), At);
        var prohibitingFirst = DecisionEngine.Decide(InlineContract.Load(Prohibiting, Permitting), InlineContract.Query("ciblage"), At);

        foreach (var decision in new[] { permittingFirst, prohibitingFirst })
        {
            decision.Effect.ShouldBe(Effect.Deny);
            decision.Reasons.ShouldBe([new Reason(Rules.ProhibitedPurpose, "cdv-b", null, "ciblage")]);
            decision.Obligations.ShouldBeNull();
        }
    }

    [Fact]
    public void Without_the_prohibiting_contract_the_same_request_is_permitted()
    {
        var decision = DecisionEngine.Decide(InlineContract.Load(Permitting), InlineContract.Query("ciblage"), At);

        decision.Effect.ShouldBe(Effect.Permit);
        decision.Clause!.Id.ShouldBe("clause-a");
    }

    [Fact]
    public void Naming_the_permitting_contract_does_not_evade_the_other_contracts_prohibition()
    {
        var decision = DecisionEngine.Decide(InlineContract.Load(Permitting, Prohibiting), InlineContract.Query("ciblage", contract: "cdv-a"), At);

        decision.Effect.ShouldBe(Effect.Deny);
        decision.Reasons.ShouldBe([new Reason(Rules.ProhibitedPurpose, "cdv-b", null, "ciblage")]);
    }

    [Fact]
    public void A_prohibition_of_a_contract_no_longer_in_force_does_not_deny()
    {
        var expired = InlineContract.Yaml("cdv-b", [InlineContract.Clause("clause-b")], prohibited: "[ciblage]", start: "2015-01-01", end: "2023-12-31");

        var decision = DecisionEngine.Decide(InlineContract.Load(Permitting, expired), InlineContract.Query("ciblage"), At);

        decision.Effect.ShouldBe(Effect.Permit);
        decision.Contract!.Id.ShouldBe("cdv-a");
    }

    [Fact]
    public void Every_contract_in_force_that_prohibits_the_purpose_is_named()
    {
        var other = InlineContract.Yaml("cdv-c", [InlineContract.Clause("clause-c")], prohibited: "[profiling]");

        var decision = DecisionEngine.Decide(InlineContract.Load(Prohibiting, other), InlineContract.Query("profiling"), At);

        decision.Reasons.ShouldBe([
            new Reason(Rules.ProhibitedPurpose, "cdv-b", null, "profiling"),
            new Reason(Rules.ProhibitedPurpose, "cdv-c", null, "profiling"),
        ]);
    }

    [Fact]
    public void A_dataset_whose_only_clause_an_amendment_removes_is_denied_with_no_clause_in_force_from_its_effective_date()
    {
        const string amendments = """
            amendments:
              - number: 1
                title: Retrait de la clause
                signed: 2025-06-15
                effective: 2025-07-01
                changes:
                  - remove: only-clause

            """;
        var contracts = InlineContract.Load(InlineContract.Yaml("cdv-a", [InlineContract.Clause("only-clause")], amendments: amendments));

        var before = DecisionEngine.Decide(contracts, InlineContract.Query(), new DateTimeOffset(2025, 6, 30, 23, 59, 59, TimeSpan.Zero));
        var after = DecisionEngine.Decide(contracts, InlineContract.Query(), new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero));

        before.Effect.ShouldBe(Effect.Permit);
        before.Clause!.Id.ShouldBe("only-clause");
        after.Effect.ShouldBe(Effect.Deny);
        after.Reasons.ShouldBe([new Reason(Rules.NoClauseInForce, "cdv-a", null, InlineContract.Dataset)]);
        after.MessageTexts().ShouldAllBe(m => m.Contains(InlineContract.Dataset));
    }
}
