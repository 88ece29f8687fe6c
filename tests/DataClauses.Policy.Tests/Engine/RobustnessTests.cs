using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>The engine answers every request, however odd, with a decision that explains itself; it never throws.</summary>
public sealed class RobustnessTests
{
    private static readonly Dictionary<string, DecisionRequest> OddRequests = new(StringComparer.Ordinal)
    {
        ["empty lists everywhere"] = Demo.CafQuery with { Dimensions = [], Measures = [], Filters = [], Requester = Demo.EpciAnalyst with { Roles = [] } },
        ["an unknown dataset"] = Demo.CafQuery with { Dataset = "no-such-dataset" },
        ["an empty dataset id"] = Demo.CafQuery with { Dataset = string.Empty },
        ["an empty organisation"] = Demo.CafQuery with { Requester = new Requester(string.Empty, string.Empty, ["analyst"]) },
        ["duplicate roles"] = Demo.CafQuery with { Requester = Demo.EpciAnalyst with { Roles = ["analyst", "analyst", "steward", "analyst"] } },
        ["duplicate dimensions and measures"] = Demo.CafQuery with { Dimensions = ["qpv", "qpv", "qpv"], Measures = ["foyers", "foyers"] },
        ["an empty dimension name"] = Demo.CafQuery with { Dimensions = [string.Empty] },
        ["an empty purpose"] = Demo.CafQuery with { Purpose = string.Empty },
        ["a filter without values"] = Demo.CafQuery with { Filters = [new Filter("qpv", [])] },
        ["a filter on an empty dimension"] = Demo.CafQuery with { Filters = [new Filter(string.Empty, [string.Empty])] },
        ["the same filter twice"] = Demo.CafQuery with { Filters = [new Filter("qpv", ["QN04401M"]), new Filter("qpv", ["QN04401M"])] },
        ["a ten-thousand-year retention"] = Demo.FtExtract with { Retention = Demo.Duration("P9999Y") },
        ["a retention of hours"] = Demo.FtExtract with { Retention = Demo.Duration("PT1H") },
        ["an empty node"] = Demo.CafQuery with { Node = string.Empty },
        ["an empty contract"] = Demo.CafQuery with { Contract = string.Empty },
        ["an undefined action"] = Demo.CafQuery with { Action = (PolicyAction)42 },
        ["an undefined zoning"] = Demo.CafQuery with { Zoning = (Zoning)42 },
        ["a publication with query fields"] = Demo.FtExtract with { Action = PolicyAction.Publish, Requester = new Requester("pub", "ft-pdl", ["publisher"]) },
    };

    public static TheoryData<string> OddRequestNames() => [.. OddRequests.Keys];

    [Theory]
    [MemberData(nameof(OddRequestNames))]
    public void An_odd_request_gets_a_decision_that_explains_itself(string name)
    {
        var decision = Demo.Decide(OddRequests[name]);

        decision.Reasons.ShouldNotBeEmpty();
        decision.MessageTexts().ShouldAllBe(m => !string.IsNullOrWhiteSpace(m));
        (decision.Obligations is null).ShouldBe(decision.Effect == Effect.Deny);
        DecisionJson.ToJson(decision).ShouldContain("\"effect\"");
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00+00:00", "0001-01-01")]
    [InlineData("9999-12-31T23:59:59+00:00", "9999-12-31")]
    public void An_instant_at_the_ends_of_the_calendar_is_outside_the_contract(string instant, string day)
    {
        var decision = DecisionEngine.Decide(Demo.Contracts, Demo.FtExtract, DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        decision.Effect.ShouldBe(Effect.Deny);
        decision.Reasons.ShouldBe([new Reason(Rules.ContractNotInForce, "cdv-demo-2024-2030", null, day)]);
    }

    [Fact]
    public void An_unknown_dataset_is_denied_with_no_clause_naming_it()
    {
        var decision = Demo.Decide(Demo.CafQuery with { Dataset = "no-such-dataset" });

        decision.Effect.ShouldBe(Effect.Deny);
        decision.Reasons.ShouldBe([new Reason(Rules.NoClause, null, null, "no-such-dataset")]);
        decision.Contract.ShouldBeNull();
        decision.Clause.ShouldBeNull();
        decision.Obligations.ShouldBeNull();
        decision.RetentionDeadline.ShouldBeNull();
    }

    [Fact]
    public void Duplicate_roles_decide_like_the_role_held_once()
    {
        var once = Demo.Decide(Demo.CafQuery);
        var repeated = Demo.Decide(Demo.CafQuery with { Requester = Demo.EpciAnalyst with { Roles = ["analyst", "analyst"] } });

        DecisionJson.ToJson(repeated).ShouldBe(DecisionJson.ToJson(once));
        repeated.Effect.ShouldBe(Effect.Permit);
    }

    [Fact]
    public void An_empty_role_list_is_denied_for_lack_of_the_analyst_role()
    {
        var decision = Demo.Decide(Demo.CafQuery with { Requester = Demo.EpciAnalyst with { Roles = [] } });

        decision.Reasons.ShouldBe([new Reason(Rules.RoleNotPermitted, "cdv-demo-2024-2030", "caf-foyers-qpv", "analyst")]);
    }

    [Fact]
    public void A_retention_beyond_the_calendar_is_capped_by_the_clause_instead_of_throwing()
    {
        var decision = Demo.Decide(Demo.FtExtract with { Retention = Demo.Duration("P9999Y") });

        decision.Effect.ShouldBe(Effect.Permit);
        decision.RetentionDeadline.ShouldBe(new DateTimeOffset(2025, 9, 1, 10, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void An_undefined_action_is_denied_rather_than_treated_as_a_query()
    {
        var decision = Demo.Decide(Demo.CafQuery with { Action = (PolicyAction)42 });

        decision.Effect.ShouldBe(Effect.Deny);
        decision.Reasons.ShouldBe([new Reason(Rules.RoleNotPermitted, "cdv-demo-2024-2030", "caf-foyers-qpv", "42")]);
    }

    [Fact]
    public void An_empty_purpose_is_an_unknown_purpose_not_a_missing_one()
    {
        var decision = Demo.Decide(Demo.CafQuery with { Purpose = string.Empty });

        decision.Reasons.ShouldBe([new Reason(Rules.UnknownPurpose, "cdv-demo-2024-2030", "caf-foyers-qpv", string.Empty)]);
    }

    [Theory]
    [InlineData("449010101", true)]
    [InlineData("449019999", true)]
    [InlineData("44901010", false)]
    [InlineData("4490101011", false)]
    [InlineData("44901ABCD", false)]
    [InlineData("751010101", false)]
    [InlineData("44901", false)]
    [InlineData("QN04401M", false)]
    public void An_iris_filter_must_be_an_iris_code_of_a_commune_of_the_territory(string code, bool inTerritory)
    {
        var contracts = InlineContract.Load(InlineContract.Yaml("cdv-a", [InlineContract.Clause("iris-clause", finest: "iris")]));
        var request = InlineContract.Query() with { Dimensions = ["iris"], Filters = [new Filter("iris", [code])] };

        var decision = DecisionEngine.Decide(contracts, request, Demo.March2025);

        if (inTerritory)
        {
            decision.Effect.ShouldBe(Effect.Permit);
        }
        else
        {
            decision.Reasons.ShouldBe([new Reason(Rules.FilterOutsideTerritory, "cdv-a", "iris-clause", code)]);
        }
    }

    [Theory]
    [InlineData("qpv", "QN04401M", true)]
    [InlineData("qpv", "44901", false)]
    [InlineData("qpv", "200099999", false)]
    [InlineData("commune", "44901", true)]
    [InlineData("commune", "QN04401M", false)]
    [InlineData("commune", "200099999", false)]
    public void A_geographic_filter_accepts_only_codes_of_its_own_level(string dimension, string code, bool inTerritory)
    {
        var request = Demo.CafQuery with { Filters = [new Filter(dimension, [code])] };

        var decision = Demo.Decide(request);

        decision.Effect.ShouldBe(inTerritory ? Effect.Permit : Effect.Deny);
        if (!inTerritory)
        {
            decision.Reasons.ShouldBe([new Reason(Rules.FilterOutsideTerritory, "cdv-demo-2024-2030", "caf-foyers-qpv", code)]);
        }
    }
}
