using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Tests.Extracts;

public sealed class ExtractApprovalRulesTests
{
    private static ExtractTable Table(string provider, int approvals) => new()
    {
        Dataset = provider + "-data",
        Version = "2024-12-31",
        Provider = provider,
        Contract = "cdv",
        Clause = provider + "-clause",
        Dimensions = ["qpv"],
        Measures = ["n"],
        Effect = approvals == 0 ? "permit" : "approval-required",
        ApprovalsRequired = approvals,
    };

    private static ExtractApprovalEntity Vote(string steward, string organisation, string decision = ExtractVotes.Approve) => new()
    {
        ExtractId = new string('a', 32),
        StewardSubject = steward,
        Organisation = organisation,
        Decision = decision,
    };

    [Fact]
    public void Each_provider_owes_the_most_approvals_any_of_its_tables_needs_and_automatic_tables_owe_none()
    {
        var required = Extract.ApprovalsRequired([Table("caf-44", 1), Table("bailleur", 2), Table("bailleur", 1), Table("ft-pdl", 0)]);

        required.ShouldBe(new Dictionary<string, int>(StringComparer.Ordinal) { ["caf-44"] = 1, ["bailleur"] = 2 }, ignoreOrder: true);
        Extract.ApprovalsRequired([Table("ft-pdl", 0)]).ShouldBeEmpty();
    }

    [Fact]
    public void Four_eyes_needs_two_distinct_stewards_of_the_provider_and_other_votes_do_not_count()
    {
        var required = Extract.ApprovalsRequired([Table("bailleur", 2)]);

        Extract.IsFullyApproved(required, [Vote("s1", "bailleur")]).ShouldBeFalse();
        Extract.IsFullyApproved(required, [Vote("s1", "bailleur"), Vote("x", "caf-44")]).ShouldBeFalse("a steward of another organisation does not count");
        Extract.IsFullyApproved(required, [Vote("s1", "bailleur"), Vote("s2", "bailleur", ExtractVotes.Reject)]).ShouldBeFalse();
        Extract.IsFullyApproved(required, [Vote("s1", "bailleur"), Vote("s2", "bailleur")]).ShouldBeTrue();
    }

    [Fact]
    public void Every_provider_must_approve_an_extract_spanning_several()
    {
        var required = Extract.ApprovalsRequired([Table("caf-44", 1), Table("bailleur", 2)]);

        Extract.IsFullyApproved(required, [Vote("c", "caf-44")]).ShouldBeFalse();
        Extract.IsFullyApproved(required, [Vote("b1", "bailleur"), Vote("b2", "bailleur")]).ShouldBeFalse();
        Extract.IsFullyApproved(required, [Vote("c", "caf-44"), Vote("b1", "bailleur"), Vote("b2", "bailleur")]).ShouldBeTrue();
        Extract.IsFullyApproved(Extract.ApprovalsRequired([Table("ft-pdl", 0)]), []).ShouldBeTrue("automatic approval");
    }

    [Fact]
    public void Providers_are_stored_between_bars_so_that_one_organisation_is_never_a_prefix_of_another()
    {
        var column = Extract.ProvidersColumn(["caf-44", "bailleur", "caf-44"]);

        column.ShouldBe("|bailleur|caf-44|");
        column.Contains("|caf-4|", StringComparison.Ordinal).ShouldBeFalse();
        var extract = new ExtractEntity
        {
            Id = Extract.NewId(),
            RequesterSubject = "a",
            RequesterOrganisation = "epci",
            RequesterRoles = "analyst",
            Providers = column,
            Purpose = "observation",
            Justification = "j",
            RequestedRetention = "P1M",
            TablesJson = "[]",
            DecisionJson = "{}",
            Status = ExtractStatus.Ready,
            RetentionEnd = "delete",
            CorrelationId = "c",
        };
        Extract.IsProvider(extract, "caf-44").ShouldBeTrue();
        Extract.IsProvider(extract, "caf-4").ShouldBeFalse();
        Extract.RequesterOf(extract).Roles.ShouldBe(["analyst"]);
    }

    [Fact]
    public void Ids_are_128_random_bits_in_hex_and_anything_else_is_not_an_id()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => Extract.NewId()).ToList();

        ids.ShouldAllBe(id => Extract.IsId(id));
        ids.Distinct(StringComparer.Ordinal).Count().ShouldBe(100);
        Extract.IsId(ids[0].ToUpperInvariant()).ShouldBeFalse();
        Extract.IsId(ids[0][..31]).ShouldBeFalse();
        Extract.IsId("../" + ids[0][3..]).ShouldBeFalse();
        Extract.IsId(null).ShouldBeFalse();
    }

    [Fact]
    public void Revocation_reasons_are_summarised_by_rule_and_clause_once_each()
    {
        var summary = Extract.Summarise(
        [
            new Policy.Engine.Reason("purpose-not-permitted", "cdv", "caf-foyers-qpv", "diagnostic"),
            new Policy.Engine.Reason("purpose-not-permitted", "cdv", "caf-foyers-qpv", "diagnostic"),
            new Policy.Engine.Reason("contract-not-in-force", "cdv", null, "2031-01-01"),
        ]);

        summary.ShouldBe("purpose-not-permitted (caf-foyers-qpv); contract-not-in-force");
    }
}
