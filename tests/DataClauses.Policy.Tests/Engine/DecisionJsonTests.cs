using System.Text.Json;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>The one JSON shape of a decision that the CLI, the gateway and the golden cases share.</summary>
public sealed class DecisionJsonTests
{
    [Fact]
    public void A_decision_has_effect_contract_clause_determining_clauses_reasons_and_obligations_in_that_order()
    {
        using var json = JsonDocument.Parse(DecisionJson.ToJson(Demo.Decide(Demo.CafQuery)));

        json.RootElement.EnumerateObject().Select(p => p.Name)
            .ShouldBe(["effect", "contract", "clause", "determiningClauses", "reasons", "obligations"]);
    }

    [Fact]
    public void A_permit_names_its_contract_and_clause_and_explains_itself_in_french_and_english()
    {
        using var json = JsonDocument.Parse(DecisionJson.ToJson(Demo.Decide(Demo.CafQuery)));
        var root = json.RootElement;

        root.GetProperty("effect").GetString().ShouldBe("permit");
        root.GetProperty("contract").GetString().ShouldBe("cdv-demo-2024-2030");
        root.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        root.GetProperty("determiningClauses").EnumerateArray().Select(e => e.GetString()).ShouldBe(["caf-foyers-qpv"]);
        var reason = root.GetProperty("reasons").EnumerateArray().ShouldHaveSingleItem();
        reason.EnumerateObject().Select(p => p.Name).ShouldBe(["rule", "contract", "clause", "subject", "message"]);
        reason.GetProperty("rule").GetString().ShouldBe("clause-permits");
        reason.GetProperty("subject").ValueKind.ShouldBe(JsonValueKind.Null);
        reason.GetProperty("message").GetProperty("fr").GetString().ShouldBe("Autorisé par la clause caf-foyers-qpv du contrat cdv-demo-2024-2030.");
        reason.GetProperty("message").GetProperty("en").GetString().ShouldBe("Permitted by clause caf-foyers-qpv of contract cdv-demo-2024-2030.");
    }

    [Fact]
    public void The_obligations_carry_every_protection_the_clause_sets()
    {
        using var json = JsonDocument.Parse(DecisionJson.ToJson(Demo.Decide(Demo.CafQuery with { Action = PolicyAction.Extract, Retention = Demo.Duration("P3M") })));
        var obligations = json.RootElement.GetProperty("obligations");

        obligations.EnumerateObject().Select(p => p.Name).ShouldBe([
            "minCount", "dominance", "pPercent", "rounding", "secondarySuppression", "protectZeros", "publicTotal", "protectionLevel", "protectionPercent", "allowedDimensions",
            "allowedMeasures", "finestGeography", "maxRetention", "retentionEnd", "retentionDeadline", "approvalsRequired", "audit",
        ]);
        obligations.GetProperty("minCount").GetInt32().ShouldBe(11);
        obligations.GetProperty("dominance").GetProperty("n").GetInt32().ShouldBe(1);
        obligations.GetProperty("dominance").GetProperty("k").GetDouble().ShouldBe(85);
        obligations.GetProperty("pPercent").ValueKind.ShouldBe(JsonValueKind.Null);
        obligations.GetProperty("protectionLevel").ValueKind.ShouldBe(JsonValueKind.Null);
        obligations.GetProperty("rounding").GetString().ShouldBe("none");
        obligations.GetProperty("secondarySuppression").GetBoolean().ShouldBeTrue();
        obligations.GetProperty("allowedDimensions").EnumerateArray().Select(e => e.GetString()).ShouldBe(["qpv", "commune", "type_menage", "prestation"]);
        obligations.GetProperty("allowedMeasures").EnumerateArray().Select(e => e.GetString()).ShouldBe(["foyers", "montant_mensuel"]);
        obligations.GetProperty("finestGeography").GetString().ShouldBe("qpv");
        obligations.GetProperty("maxRetention").GetString().ShouldBe("P1Y");
        obligations.GetProperty("retentionEnd").GetString().ShouldBe("delete");
        obligations.GetProperty("retentionDeadline").GetString().ShouldBe("2025-06-01T10:00:00Z");
        obligations.GetProperty("approvalsRequired").GetInt32().ShouldBe(1);
        obligations.GetProperty("audit").GetBoolean().ShouldBeTrue();
        json.RootElement.GetProperty("effect").GetString().ShouldBe("approval-required");
    }

    [Fact]
    public void A_query_has_no_retention_deadline()
    {
        using var json = JsonDocument.Parse(DecisionJson.ToJson(Demo.Decide(Demo.CafQuery)));

        json.RootElement.GetProperty("obligations").GetProperty("retentionDeadline").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public void A_denial_has_null_contract_clause_and_obligations_and_every_reason()
    {
        var decision = Demo.Decide(Demo.CafQuery with { Dimensions = ["qpv", "age"], Measures = ["patrimoine"] });

        using var json = JsonDocument.Parse(DecisionJson.ToJson(decision));
        var root = json.RootElement;

        root.GetProperty("effect").GetString().ShouldBe("deny");
        root.GetProperty("contract").ValueKind.ShouldBe(JsonValueKind.Null);
        root.GetProperty("clause").ValueKind.ShouldBe(JsonValueKind.Null);
        root.GetProperty("obligations").ValueKind.ShouldBe(JsonValueKind.Null);
        root.GetProperty("determiningClauses").EnumerateArray().Select(e => e.GetString()).ShouldBe(["caf-foyers-qpv"]);
        root.GetProperty("reasons").EnumerateArray().Select(r => (r.GetProperty("rule").GetString(), r.GetProperty("subject").GetString()))
            .ShouldBe([("dimension-not-allowed", "age"), ("measure-not-allowed", "patrimoine")]);
        root.GetProperty("reasons")[0].GetProperty("message").GetProperty("fr").GetString()
            .ShouldBe("La dimension age n'est pas autorisée par la clause caf-foyers-qpv.");
    }

    [Fact]
    public void A_deadline_is_written_as_the_utc_instant_whatever_its_offset()
    {
        var obligations = Demo.Decide(Demo.CafQuery).Obligations!;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            DecisionJson.WriteObligations(writer, obligations, new DateTimeOffset(2025, 9, 1, 10, 0, 0, TimeSpan.FromHours(2)));
        }

        using var json = JsonDocument.Parse(stream.ToArray());
        json.RootElement.GetProperty("retentionDeadline").GetString().ShouldBe("2025-09-01T08:00:00Z");
    }

    [Fact]
    public void French_text_is_written_unescaped_and_compact_on_request()
    {
        var decision = Demo.Decide(Demo.CafQuery with { Purpose = "profiling" });

        var compact = DecisionJson.ToJson(decision, indented: false);

        compact.ShouldNotContain("\n");
        compact.ShouldContain("La finalité profiling est interdite par le contrat cdv-demo-2024-2030.");
    }
}
