using System.Reflection;
using DataClauses.Policy.Engine;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>Every rule explains itself in French and in English, naming the clause and the value at fault.</summary>
public sealed class ReasonMessageTests
{
    // The rules whose reasons come from the contract as a whole, never from one clause.
    private static readonly HashSet<string> ContractLevelRules = new(StringComparer.Ordinal)
    {
        Rules.NoClause, Rules.ContractNotInForce, Rules.NoClauseInForce, Rules.ProhibitedPurpose, Rules.UnknownNode,
    };

    // The rules whose reasons have no subject.
    private static readonly HashSet<string> RulesWithoutSubject = new(StringComparer.Ordinal) { Rules.ClausePermits, Rules.PurposeMissing };

    private static readonly string[] RuleCodes =
        [.. typeof(Rules).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    public static TheoryData<string> AllRules() => [.. RuleCodes];

    [Fact]
    public void There_is_a_message_for_each_of_the_twenty_one_rules_and_no_other()
    {
        RuleCodes.Length.ShouldBe(21);
        Rules.Messages.Keys.Order(StringComparer.Ordinal).ShouldBe(RuleCodes.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(AllRules))]
    public void A_rule_has_distinct_non_empty_french_and_english_messages(string rule)
    {
        var (fr, en) = Rules.Messages[rule];

        fr.ShouldNotBeNullOrWhiteSpace();
        en.ShouldNotBeNullOrWhiteSpace();
        fr.ShouldNotBe(en);
    }

    [Theory]
    [MemberData(nameof(AllRules))]
    public void A_message_names_the_clause_and_the_subject_its_reason_carries(string rule)
    {
        var clause = ContractLevelRules.Contains(rule) ? null : "clause-temoin";
        var subject = RulesWithoutSubject.Contains(rule) ? null : "sujet-temoin";
        var reason = new Reason(rule, "contrat-temoin", clause, subject);

        foreach (var message in new[] { reason.MessageFr, reason.MessageEn })
        {
            message.ShouldNotContain("{");
            if (clause is not null)
            {
                message.ShouldContain(clause);
            }
            else if (rule != Rules.NoClause)
            {
                message.ShouldContain("contrat-temoin");
            }

            if (subject is not null)
            {
                message.ShouldContain(subject);
            }
        }
    }

    [Fact]
    public void A_subject_that_looks_like_a_placeholder_is_written_as_is()
    {
        var reason = new Reason(Rules.DimensionNotAllowed, "cdv", "clause-x", "{clause}");

        reason.MessageEn.ShouldBe("Dimension {clause} is not allowed by clause clause-x.");
    }
}
