using System.Globalization;
using System.Text;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>
/// Small contracts written inline for the rules the demo contract cannot show: one territory (commune 44901, QPV
/// QN04401M), an EPCI and a CAF, one CAF dataset <c>foyers</c>, and the clauses and amendments a test gives.
/// </summary>
internal static class InlineContract
{
    public const string Dataset = "foyers";

    /// <summary>A clause on <see cref="Dataset"/> permitting the EPCI's analysts to observe it, with the overrides given.</summary>
    public static string Clause(
        string id,
        string purposes = "[observation]",
        int minCount = 11,
        string approval = "automatic",
        string retention = "{ max: P1Y, atEnd: delete }",
        string finest = "qpv",
        string? dimensions = null) =>
        $$"""
          - id: {{id}}
            title: Clause {{id}}
            provider: caf-44
            dataset: {{Dataset}}
            recipients: { organisations: [epci-demo] }
            purposes: {{purposes}}
            dimensions: {{dimensions ?? (finest == "iris" ? "[iris, qpv, commune, type_menage]" : "[qpv, commune, type_menage]")}}
            measures: [foyers]
            geography: { finest: {{finest}} }
            disclosure: { minCount: {{minCount.ToString(CultureInfo.InvariantCulture)}} }
            retention: {{retention}}
            approval: {{approval}}
            legalBasis: RGPD art. 6.1.e

        """;

    /// <summary>The YAML of a contract with the given clauses (and amendments).</summary>
    public static string Yaml(
        string id,
        IEnumerable<string> clauses,
        string purposes = "[observation, evaluation]",
        string prohibited = "[profiling]",
        string start = "2024-01-01",
        string end = "2030-12-31",
        string amendments = "")
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $$"""
            id: {{id}}
            title: Contrat de test {{id}}
            period: { start: {{start}}, end: {{end}} }
            territory:
              epci: { code: "200099999", name: Métropole Test }
              communes:
                - { code: "44901", name: Testville }
              qpv:
                - { code: QN04401M, name: Quartier Test, commune: "44901" }
            signatories:
              - { id: epci-demo, name: Métropole Test, kind: epci, dpo: dpo@epci.example }
              - { id: caf-44, name: CAF Test, kind: caf, dpo: dpo@caf.example }
            purposes:

            """);
        foreach (var purpose in List(purposes))
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: {purpose}, label: Finalité {purpose} }}\n");
        }

        if (List(prohibited).Count > 0)
        {
            yaml.Append("prohibitedPurposes:\n");
            foreach (var purpose in List(prohibited))
            {
                yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: {purpose}, label: Interdit {purpose} }}\n");
            }
        }

        yaml.Append(CultureInfo.InvariantCulture, $$"""
            datasets:
              - id: {{Dataset}}
                provider: caf-44
                title: Foyers de test
                dimensions:
                  - { name: iris, label: IRIS, geo: iris }
                  - { name: qpv, label: QPV, geo: qpv }
                  - { name: commune, label: Commune, geo: commune }
                  - { name: type_menage, label: Type de ménage, values: [seul, couple] }
                measures:
                  - { name: foyers, kind: count }
            clauses:

            """);
        foreach (var clause in clauses)
        {
            yaml.Append(clause);
        }

        yaml.Append(amendments);
        return yaml.ToString();
    }

    /// <summary>Loads contracts (in this order) and indexes them; fails the test with the loader's errors if one is invalid.</summary>
    public static ContractSet Load(params string[] yamls)
    {
        var contracts = new List<Contract>();
        foreach (var yaml in yamls)
        {
            var result = ContractLoader.LoadText("inline.yaml", yaml);
            result.Errors.ShouldBeEmpty(string.Join('\n', result.Errors) + "\n" + yaml);
            contracts.Add(result.Contracts.ShouldHaveSingleItem());
        }

        return ContractSet.Create(contracts);
    }

    /// <summary>An EPCI analyst's query on <see cref="Dataset"/>.</summary>
    public static DecisionRequest Query(string purpose = "observation", string? contract = null) => new()
    {
        Requester = new Requester("ana-epci", "epci-demo", ["analyst"]),
        Action = PolicyAction.Query,
        Dataset = Dataset,
        Dimensions = ["qpv"],
        Measures = ["foyers"],
        Purpose = purpose,
        Contract = contract,
    };

    private static List<string> List(string flow) =>
        flow.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
