using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>Which clause decides when several permit: permit beats approval-required, then the first listed wins.</summary>
public sealed class ClauseSelectionTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void When_two_clauses_permit_the_first_listed_determines_the_obligations()
    {
        var strict = InlineContract.Clause("strict", minCount: 11);
        var lenient = InlineContract.Clause("lenient", minCount: 5);

        var strictFirst = DecisionEngine.Decide(InlineContract.Load(InlineContract.Yaml("cdv-a", [strict, lenient])), InlineContract.Query(), At);
        var lenientFirst = DecisionEngine.Decide(InlineContract.Load(InlineContract.Yaml("cdv-a", [lenient, strict])), InlineContract.Query(), At);

        strictFirst.Clause!.Id.ShouldBe("strict");
        strictFirst.Obligations!.MinCount.ShouldBe(11);
        strictFirst.DeterminingClauses.ShouldBe(["strict"]);
        lenientFirst.Clause!.Id.ShouldBe("lenient");
        lenientFirst.Obligations!.MinCount.ShouldBe(5);
    }

    [Fact]
    public void A_clause_that_does_not_permit_is_skipped_for_the_next_one_listed()
    {
        var evaluationOnly = InlineContract.Clause("evaluation-only", purposes: "[evaluation]", minCount: 20);
        var observation = InlineContract.Clause("observation", minCount: 5);

        var decision = DecisionEngine.Decide(InlineContract.Load(InlineContract.Yaml("cdv-a", [evaluationOnly, observation])), InlineContract.Query(), At);

        decision.Effect.ShouldBe(Effect.Permit);
        decision.Clause!.Id.ShouldBe("observation");
        decision.Reasons.ShouldBe([new Reason(Rules.ClausePermits, "cdv-a", "observation", null)]);
    }

    [Fact]
    public void An_extract_permitted_at_once_by_a_later_clause_beats_an_earlier_clause_that_needs_approval()
    {
        var steward = InlineContract.Clause("steward-first", approval: "steward");
        var automatic = InlineContract.Clause("automatic-second", approval: "automatic");
        var request = InlineContract.Query() with { Action = PolicyAction.Extract };

        var decision = DecisionEngine.Decide(InlineContract.Load(InlineContract.Yaml("cdv-a", [steward, automatic])), request, At);

        decision.Effect.ShouldBe(Effect.Permit);
        decision.Clause!.Id.ShouldBe("automatic-second");
        decision.Obligations!.ApprovalsRequired.ShouldBe(0);
    }

    [Fact]
    public void Among_clauses_that_need_approval_the_first_listed_determines()
    {
        var fourEyes = InlineContract.Clause("four-eyes-first", approval: "four-eyes");
        var steward = InlineContract.Clause("steward-second", approval: "steward");
        var request = InlineContract.Query() with { Action = PolicyAction.Extract };

        var decision = DecisionEngine.Decide(InlineContract.Load(InlineContract.Yaml("cdv-a", [fourEyes, steward])), request, At);

        decision.Effect.ShouldBe(Effect.ApprovalRequired);
        decision.Clause!.Id.ShouldBe("four-eyes-first");
        decision.Reasons.ShouldBe([new Reason(Rules.ApprovalRequired, "cdv-a", "four-eyes-first", "four-eyes")]);
        decision.Obligations!.ApprovalsRequired.ShouldBe(2);
    }

    [Fact]
    public void When_two_contracts_permit_the_first_one_in_the_set_determines_unless_the_request_names_one()
    {
        var a = InlineContract.Yaml("cdv-a", [InlineContract.Clause("clause-a", minCount: 11)]);
        var b = InlineContract.Yaml("cdv-b", [InlineContract.Clause("clause-b", minCount: 5)]);

        DecisionEngine.Decide(InlineContract.Load(a, b), InlineContract.Query(), At).Clause!.Id.ShouldBe("clause-a");
        DecisionEngine.Decide(InlineContract.Load(b, a), InlineContract.Query(), At).Clause!.Id.ShouldBe("clause-b");
        var named = DecisionEngine.Decide(InlineContract.Load(a, b), InlineContract.Query(contract: "cdv-b"), At);
        named.Contract!.Id.ShouldBe("cdv-b");
        named.Clause!.Id.ShouldBe("clause-b");
    }

    [Fact]
    public void A_denial_over_two_contracts_lists_the_reasons_of_each()
    {
        var a = InlineContract.Yaml("cdv-a", [InlineContract.Clause("clause-a")]);
        var b = InlineContract.Yaml("cdv-b", [InlineContract.Clause("clause-b")]);

        var decision = DecisionEngine.Decide(InlineContract.Load(a, b), InlineContract.Query(purpose: "evaluation"), At);

        decision.Effect.ShouldBe(Effect.Deny);
        decision.Reasons.ShouldBe([
            new Reason(Rules.PurposeNotPermitted, "cdv-a", "clause-a", "evaluation"),
            new Reason(Rules.PurposeNotPermitted, "cdv-b", "clause-b", "evaluation"),
        ]);
        decision.DeterminingClauses.ShouldBe(["clause-a", "clause-b"]);
    }
}
