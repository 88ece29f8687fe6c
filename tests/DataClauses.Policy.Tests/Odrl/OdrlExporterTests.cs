using System.Text.Json;
using System.Text.Json.Nodes;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;
using DataClauses.Policy.Odrl;

namespace DataClauses.Policy.Tests.Odrl;

public sealed class OdrlExporterTests
{
    private const string DemoId = "cdv-demo-2024-2030";

    private static readonly Contract Demo = ContractLoader.Load([Paths.DemoContract]).Contracts.Single();

    [Fact]
    public void The_export_is_valid_json_with_the_odrl_context_first()
    {
        var text = OdrlExporter.ToJsonLd([Demo]);

        using var document = JsonDocument.Parse(text);
        var context = document.RootElement.GetProperty("@context");
        context[0].GetString().ShouldBe("http://www.w3.org/ns/odrl.jsonld");
        context[1].GetProperty("dc").GetString().ShouldBe(OdrlExporter.Namespace);
        context[1].GetProperty("dpv").GetString().ShouldBe("https://w3id.org/dpv#");
        document.RootElement.GetProperty("@graph").ValueKind.ShouldBe(JsonValueKind.Array);
    }

    [Fact]
    public void There_is_one_policy_per_contract_named_by_its_uid()
    {
        var other = Demo with { Id = "cdv-autre-2024-2030" };

        var graph = Graph(OdrlExporter.ToJsonLd([Demo, other]));

        var policies = graph.Where(n => Text(n!["@type"]) is "Set" or "Agreement" or "Offer").ToList();
        policies.Select(p => (string?)p!["uid"]).ShouldBe(["urn:dataclauses:cdv-demo-2024-2030", "urn:dataclauses:cdv-autre-2024-2030"]);
        policies.ShouldAllBe(p => (string?)p!["profile"] == OdrlExporter.Profile);
    }

    [Fact]
    public void An_empty_list_of_contracts_exports_an_empty_graph()
    {
        Graph(OdrlExporter.ToJsonLd([])).ShouldBeEmpty();
    }

    [Fact]
    public void Every_clause_version_is_a_permission_granting_its_purposes_with_isAnyOf()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);
        var versions = OdrlExporter.ClauseVersions(Demo);

        Rules(policy, "permission").Count.ShouldBe(versions.Count);
        foreach (var version in versions)
        {
            var permission = Rule(policy, "permission", OdrlExporter.ClauseUid(DemoId, version.Clause.Id, version.Amendment));
            var purpose = Constraint(permission, "purpose");
            ((string?)purpose["operator"]).ShouldBe("isAnyOf");
            Ids(purpose["rightOperand"]).ShouldBe(version.Clause.Purposes.Select(p => OdrlExporter.PurposeUid(DemoId, p)));
            ((string?)permission["action"]).ShouldBe("use");
            ((string?)permission["target"]).ShouldBe(OdrlExporter.DatasetUid(DemoId, version.Clause.Dataset));
            ((string?)permission["assigner"]).ShouldBe(OdrlExporter.PartyUid(DemoId, version.Clause.Provider));
        }
    }

    [Fact]
    public void Amendment_one_grants_the_caf_clause_without_diagnostic_from_its_effective_date()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var signed = Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:caf-foyers-qpv");
        var amended = Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:caf-foyers-qpv:amendment:1");

        Ids(Constraint(signed, "purpose")["rightOperand"]).ShouldContain(OdrlExporter.PurposeUid(DemoId, "diagnostic"));
        Ids(Constraint(amended, "purpose")["rightOperand"]).ShouldBe([OdrlExporter.PurposeUid(DemoId, "observation"), OdrlExporter.PurposeUid(DemoId, "evaluation")]);
        ((int?)amended["dc:amendment"]).ShouldBe(1);
    }

    [Theory]
    [InlineData("caf-foyers-qpv", "", "2024-01-01", "2025-06-30")]
    [InlineData("caf-foyers-qpv", ":amendment:1", "2025-07-01", "2030-12-31")]
    [InlineData("bailleur-occupation-caf", ":amendment:1", "2025-07-01", "2030-12-31")]
    [InlineData("ft-demandeurs-qpv", "", "2024-01-01", "2030-12-31")]
    [InlineData("bailleur-logements-qpv", "", "2024-01-01", "2030-12-31")]
    public void Each_clause_version_is_bounded_by_dateTime_from_its_effective_date_to_its_next_change(string clause, string suffix, string start, string end)
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var permission = Rule(policy, "permission", $"urn:dataclauses:cdv-demo-2024-2030:clause:{clause}{suffix}");

        Period(permission).ShouldBe((start, end));
    }

    [Fact]
    public void A_clause_removed_by_an_amendment_ends_the_day_before_the_removal_takes_effect()
    {
        var contract = DemoWithAmendment("""
              - number: 2
                signed: 2026-12-01
                effective: 2027-01-01
                changes:
                  - remove: ft-demandeurs-commune-open
                  - modify: caf-foyers-qpv
                    set:
                      purposes: [observation]
            """);

        var policy = Policy(OdrlExporter.ToJsonLd([contract]), DemoId);

        Period(Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:ft-demandeurs-commune-open")).ShouldBe(("2024-01-01", "2026-12-31"));
        Period(Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:caf-foyers-qpv:amendment:1")).ShouldBe(("2025-07-01", "2026-12-31"));
        Period(Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:caf-foyers-qpv:amendment:2")).ShouldBe(("2027-01-01", "2030-12-31"));
        Rules(policy, "permission").ShouldNotContain(p => ((string?)p["uid"])!.StartsWith("urn:dataclauses:cdv-demo-2024-2030:clause:ft-demandeurs-commune-open:", StringComparison.Ordinal));
    }

    [Fact]
    public void Clause_versions_are_exactly_the_clauses_in_force_on_each_day_of_their_period()
    {
        var contract = DemoWithAmendment("""
              - number: 2
                signed: 2026-12-01
                effective: 2027-01-01
                changes:
                  - remove: ft-demandeurs-commune-open
            """);

        foreach (var version in OdrlExporter.ClauseVersions(contract))
        {
            contract.ClausesAt(version.Start).ShouldContain(version.Clause);
            contract.ClausesAt(version.End).ShouldContain(version.Clause);
            if (version.End < contract.End)
            {
                contract.ClausesAt(version.End.AddDays(1)).ShouldNotContain(version.Clause);
            }

            if (version.Start > contract.Start)
            {
                contract.ClausesAt(version.Start.AddDays(-1)).ShouldNotContain(version.Clause);
            }
        }
    }

    [Fact]
    public void Each_prohibited_purpose_is_a_prohibition_to_use_the_contracts_datasets_for_it()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var prohibitions = Rules(policy, "prohibition");

        prohibitions.Count.ShouldBe(Demo.ProhibitedPurposes.Count);
        foreach (var purpose in Demo.ProhibitedPurposes)
        {
            var prohibition = prohibitions.Single(p => Ids(Constraint(p, "purpose")["rightOperand"]).SequenceEqual([OdrlExporter.PurposeUid(DemoId, purpose.Id)]));
            ((string?)prohibition["action"]).ShouldBe("use");
            ((string?)Constraint(prohibition, "purpose")["operator"]).ShouldBe("eq");
            ((string?)prohibition["target"]).ShouldBe(OdrlExporter.DatasetsUid(DemoId));
        }

        Rules(policy, "permission").ShouldNotContain(p => Ids(Constraint(p, "purpose")["rightOperand"]).Contains(OdrlExporter.PurposeUid(DemoId, "profiling")));
    }

    [Theory]
    [InlineData("caf-foyers-qpv", "P1Y")]
    [InlineData("caf-foyers-qpv:amendment:1", "P9M")]
    [InlineData("ft-demandeurs-qpv", "P6M")]
    [InlineData("bailleur-logements-qpv", "P2Y")]
    public void The_retention_duty_deletes_extracts_within_the_clauses_iso_duration(string clause, string duration)
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var delete = Duties(Rule(policy, "permission", $"urn:dataclauses:cdv-demo-2024-2030:clause:{clause}"))
            .Single(d => Text(d["action"]) == "delete");

        var elapsed = Constraint(delete, "elapsedTime");
        ((string?)elapsed["operator"]).ShouldBe("lteq");
        ((string?)elapsed["rightOperand"]!["@value"]).ShouldBe(duration);
        ((string?)elapsed["rightOperand"]!["@type"]).ShouldBe("xsd:duration");
        ((string?)Constraint(delete, "dateTime", "lteq")["rightOperand"]!["@value"]).ShouldBe("2030-12-31");
    }

    [Fact]
    public void A_clause_without_retention_has_no_deletion_duty()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var duties = Duties(Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:ft-demandeurs-commune-open"));

        duties.ShouldNotContain(d => Text(d["action"]) == "delete" || Text(d["action"]) == "anonymize");
        duties.ShouldContain(d => Text(d["action"]) == "inform");
    }

    [Fact]
    public void The_disclosure_duty_refines_disclosure_control_with_the_clauses_thresholds()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var action = DutyAction(Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:bailleur-logements-qpv"), "dc:applyDisclosureControl");

        var refinements = action["refinement"]!.AsArray().ToDictionary(r => (string)r!["leftOperand"]!, r => r!);
        ((int)refinements["dc:minCount"]["rightOperand"]!).ShouldBe(5);
        ((string?)refinements["dc:minCount"]["operator"]).ShouldBe("gteq");
        ((int)refinements["dc:dominanceContributors"]["rightOperand"]!).ShouldBe(2);
        ((double)refinements["dc:dominanceShare"]["rightOperand"]!).ShouldBe(90);
        ((string?)refinements["dc:rounding"]["rightOperand"]).ShouldBe("midpoint-6");
        ((bool)refinements["dc:secondarySuppression"]["rightOperand"]!).ShouldBeTrue();
    }

    [Theory]
    [InlineData("bailleur-logements-qpv", 2)]
    [InlineData("caf-foyers-qpv", 1)]
    public void Extracts_needing_approval_carry_an_obtain_consent_duty_from_the_provider(string clause, int approvals)
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);
        var permission = Rule(policy, "permission", $"urn:dataclauses:cdv-demo-2024-2030:clause:{clause}");

        var action = DutyAction(permission, "odrl:obtainConsent");

        ((int)action["refinement"]![0]!["rightOperand"]!).ShouldBe(approvals);
        var duty = Duties(permission).Single(d => IsAction(d, "odrl:obtainConsent"));
        ((string?)duty["consentingParty"]!["@id"]).ShouldBe((string?)permission["assigner"]);
    }

    [Fact]
    public void Automatic_clauses_have_no_approval_duty()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var duties = Duties(Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:ft-demandeurs-qpv"));

        duties.Where(d => IsAction(d, "odrl:obtainConsent")).ShouldBeEmpty();
    }

    [Fact]
    public void Recipients_are_one_party_collection_of_organisations_and_kinds_refined_by_role()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var assignee = Rule(policy, "permission", "urn:dataclauses:cdv-demo-2024-2030:clause:caf-foyers-qpv")["assignee"]!;

        ((string?)assignee["@type"]).ShouldBe("PartyCollection");
        Ids(assignee["dc:member"]).ShouldBe([OdrlExporter.PartyUid(DemoId, "epci-demo"), OdrlExporter.KindUid(DemoId, OrganisationKind.State)]);
        ((string?)assignee["refinement"]![0]!["leftOperand"]).ShouldBe("dc:role");
        assignee["refinement"]![0]!["rightOperand"]!.AsArray().Select(r => (string?)r).ShouldBe(["analyst"]);
    }

    [Fact]
    public void Every_party_asset_and_purpose_a_rule_names_is_declared_in_the_graph()
    {
        var graph = Graph(OdrlExporter.ToJsonLd([Demo]));
        var declared = graph.Select(n => (string?)n!["uid"]).ToHashSet(StringComparer.Ordinal);
        var policy = graph.Single(n => Text(n!["@type"]) == "Set")!;

        var referenced = new List<string>();
        foreach (var rule in Rules(policy, "permission").Concat(Rules(policy, "prohibition")))
        {
            referenced.Add((string)rule["target"]!);
            if (rule["assigner"] is { } assigner)
            {
                referenced.Add((string)assigner!);
                referenced.AddRange(Ids(rule["assignee"]!["dc:member"]));
            }

            referenced.AddRange(Ids(Constraint(rule, "purpose")["rightOperand"]));
        }

        referenced.Distinct(StringComparer.Ordinal).Where(r => !declared.Contains(r)).ShouldBeEmpty();
        graph.Where(n => ((string?)n!["uid"])!.Contains(":party:", StringComparison.Ordinal))
            .ShouldAllBe(p => declared.Contains((string?)p!["partOf"]));
    }

    [Fact]
    public void Purposes_mapped_to_dpv_are_narrower_than_their_dpv_purpose()
    {
        var graph = Graph(OdrlExporter.ToJsonLd([Demo]));

        var observation = graph.Single(n => (string?)n!["uid"] == OdrlExporter.PurposeUid(DemoId, "observation"))!;
        var diagnostic = graph.Single(n => (string?)n!["uid"] == OdrlExporter.PurposeUid(DemoId, "diagnostic"))!;

        ((string?)observation["@type"]).ShouldBe("dpv:Purpose");
        ((string?)observation["skos:broader"]!["@id"]).ShouldBe("https://w3id.org/dpv#PublicBenefit");
        diagnostic["skos:broader"].ShouldBeNull();
    }

    [Fact]
    public void Publication_commitments_are_obligations_of_the_provider_at_their_frequency()
    {
        var policy = Policy(OdrlExporter.ToJsonLd([Demo]), DemoId);

        var obligation = Rule(policy, "obligation", "urn:dataclauses:cdv-demo-2024-2030:clause:ft-demandeurs-qpv:publication");

        ((string?)obligation["assignee"]).ShouldBe(OdrlExporter.PartyUid(DemoId, "ft-pdl"));
        ((string?)Constraint(obligation, "timeInterval")["rightOperand"]!["@value"]).ShouldBe("P3M");
        ((string?)obligation["action"]![0]!["rdf:value"]!["@id"]).ShouldBe("odrl:distribute");
    }

    private static Contract DemoWithAmendment(string amendmentYaml)
    {
        var text = File.ReadAllText(Paths.DemoContract);
        var index = text.IndexOf("\ngovernance:", StringComparison.Ordinal);
        index.ShouldBeGreaterThan(0);
        var yaml = string.Concat(text.AsSpan(0, index + 1), amendmentYaml, "\n", text.AsSpan(index + 1));
        var result = ContractLoader.LoadText("amended.yaml", yaml);
        result.Errors.ShouldBeEmpty();
        return result.Contracts.Single();
    }

    private static JsonArray Graph(string json) => JsonNode.Parse(json)!["@graph"]!.AsArray();

    private static JsonNode Policy(string json, string contractId) =>
        Graph(json).Single(n => (string?)n!["uid"] == OdrlExporter.ContractUid(contractId))!;

    private static List<JsonNode> Rules(JsonNode policy, string kind) =>
        policy[kind] is JsonArray rules ? rules.Select(r => r!).ToList() : [];

    private static JsonNode Rule(JsonNode policy, string kind, string uid) =>
        Rules(policy, kind).Where(r => (string?)r["uid"] == uid).ShouldHaveSingleItem();

    private static JsonNode Constraint(JsonNode rule, string leftOperand, string? @operator = null) =>
        rule["constraint"]!.AsArray().Select(c => c!)
            .Where(c => (string?)c["leftOperand"] == leftOperand && (@operator == null || (string?)c["operator"] == @operator))
            .ShouldHaveSingleItem();

    private static List<JsonNode> Duties(JsonNode rule) => rule["duty"]!.AsArray().Select(d => d!).ToList();

    private static JsonNode DutyAction(JsonNode rule, string action) =>
        Duties(rule).Select(d => d["action"]).OfType<JsonArray>().Select(a => a[0]!).Single(a => (string?)a["rdf:value"]!["@id"] == action);

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool IsAction(JsonNode rule, string action) =>
        rule["action"] is JsonArray actions && (string?)actions[0]!["rdf:value"]!["@id"] == action;

    private static (string Start, string End) Period(JsonNode rule)
    {
        var dates = rule["constraint"]!.AsArray().Where(c => (string?)c!["leftOperand"] == "dateTime").ToList();
        dates.Count.ShouldBe(2);
        var start = dates.Single(c => (string?)c!["operator"] == "gteq")!["rightOperand"]!;
        var end = dates.Single(c => (string?)c!["operator"] == "lteq")!["rightOperand"]!;
        ((string?)start["@type"]).ShouldBe("xsd:date");
        return ((string)start["@value"]!, (string)end["@value"]!);
    }

    private static List<string> Ids(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(i => (string)i!["@id"]!).ToList(),
        JsonObject single => [(string)single["@id"]!],
        _ => [],
    };
}
