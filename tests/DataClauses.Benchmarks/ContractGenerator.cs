using System.Globalization;
using System.Text;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Benchmarks;

/// <summary>
/// Writes a deterministic set of large, valid contracts as YAML text, for benchmarks that must go through the same
/// loading and validation as real files. Every contract has 10 datasets taken from a pool of 20 shared by the
/// département's providers (so each dataset is governed by about 25 contracts, as a CAF's table is by every contrat de
/// ville of its département), 3 clauses per dataset (30), and two amendments (a modification and an addition from
/// 2025-07-01, a removal and a modification from 2027-01-01).
/// </summary>
public static class ContractGenerator
{
    /// <summary>Contracts in the set.</summary>
    public const int ContractCount = 50;

    /// <summary>Datasets each contract declares.</summary>
    public const int DatasetsPerContract = 10;

    /// <summary>The pool the datasets are taken from.</summary>
    public const int DatasetPool = 20;

    private static readonly (string Id, string Kind)[] Providers =
    [
        ("caf-44", "caf"), ("caf-35", "caf"), ("ft-pdl", "france-travail"), ("ft-bzh", "france-travail"),
        ("bailleur-atlantique", "bailleur"), ("bailleur-armor", "bailleur"), ("cpam-44", "cpam"), ("region-pdl", "region"),
    ];

    private static readonly string[] ThirdPurposes = ["diagnostic", "pilotage", "statistique"];

    /// <summary>The id of contract <paramref name="contract"/>.</summary>
    public static string ContractId(int contract) => string.Create(CultureInfo.InvariantCulture, $"cdv-gen-{contract:00}");

    /// <summary>The EPCI (the main recipient) of contract <paramref name="contract"/>.</summary>
    public static string Epci(int contract) => string.Create(CultureInfo.InvariantCulture, $"epci-{contract:00}");

    /// <summary>The dataset a contract declares at position <paramref name="index"/> (0–9).</summary>
    public static string DatasetId(int contract, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"ds-{((contract * 3) + index) % DatasetPool:00}");

    /// <summary>The YAML text of every contract.</summary>
    public static IReadOnlyList<string> Generate() => Enumerable.Range(0, ContractCount).Select(Yaml).ToList();

    /// <summary>Loads every generated contract through <see cref="ContractLoader.LoadText"/> and indexes them.</summary>
    /// <exception cref="InvalidOperationException">A generated contract does not validate.</exception>
    public static ContractSet Load()
    {
        var contracts = new List<Contract>();
        for (var c = 0; c < ContractCount; c++)
        {
            var result = ContractLoader.LoadText(ContractId(c) + ".yaml", Yaml(c));
            if (!result.IsValid)
            {
                throw new InvalidOperationException("A generated contract is not valid:\n" + string.Join('\n', result.Errors.Take(20)));
            }

            contracts.AddRange(result.Contracts);
        }

        return ContractSet.Create(contracts);
    }

    /// <summary>The YAML text of contract <paramref name="c"/>.</summary>
    public static string Yaml(int c)
    {
        var y = new Writer();
        y.Line($"id: {ContractId(c)}");
        y.Line($"title: Contrat de ville généré n°{c} (banc d'essai)");
        y.Line("period: { start: 2024-01-01, end: 2030-12-31 }");

        y.Line("territory:");
        y.Line($"  epci: {{ code: \"2000{c:00000}\", name: EPCI {c} }}");
        y.Line("  communes:");
        for (var i = 0; i < 3; i++)
        {
            y.Line($"    - {{ code: \"44{(c * 3) + i:000}\", name: Commune {c}-{i} }}");
        }

        y.Line("  qpv:");
        for (var i = 0; i < 6; i++)
        {
            y.Line($"    - {{ code: QN044{i + 1:00}{(i % 2 == 0 ? 'M' : 'N')}, name: Quartier {c}-{i}, commune: \"44{(c * 3) + (i % 3):000}\" }}");
        }

        var datasets = Enumerable.Range(0, DatasetsPerContract).Select(j => (Index: j, Id: DatasetId(c, j), Pool: ((c * 3) + j) % DatasetPool)).ToList();
        var providers = datasets.Select(d => Providers[d.Pool % Providers.Length]).Distinct().ToList();
        y.Line("signatories:");
        Signatory(y, Epci(c), $"EPCI {c}", "epci");
        Signatory(y, $"etat-{c:00}", $"Préfecture {c}", "state");
        Signatory(y, $"ville-{c:00}-a", $"Ville {c} A", "commune");
        Signatory(y, $"ville-{c:00}-b", $"Ville {c} B", "commune");
        Signatory(y, $"agence-{c:00}", $"Agence d'urbanisme {c}", "agency");
        foreach (var (id, kind) in providers)
        {
            Signatory(y, id, $"Fournisseur {id}", kind);
        }

        y.Line("purposes:");
        foreach (var purpose in new[] { "observation", "evaluation", "diagnostic", "pilotage", "statistique", "recherche" })
        {
            y.Line($"  - {{ id: {purpose}, label: Finalité {purpose} }}");
        }

        y.Line("prohibitedPurposes:");
        y.Line("  - { id: individual-control, label: Contrôle individuel }");
        y.Line("  - { id: profiling, label: Profilage }");
        y.Line("  - { id: scoring, label: Score de risque individuel }");

        y.Line("datasets:");
        foreach (var dataset in datasets)
        {
            y.Line($"  - id: {dataset.Id}");
            y.Line($"    provider: {Providers[dataset.Pool % Providers.Length].Id}");
            y.Line($"    title: Jeu de données {dataset.Id}");
            y.Line("    dimensions:");
            y.Line("      - { name: qpv, geo: qpv }");
            y.Line("      - { name: iris, geo: iris }");
            y.Line("      - { name: commune, geo: commune }");
            y.Line("      - { name: categorie, values: [a, b, c] }");
            y.Line("      - { name: tranche_age, values: [moins-25, 25-49, 50-plus] }");
            y.Line($"      - {{ name: dim_{dataset.Pool:00}, values: [x1, x2, x3, x4] }}");
            y.Line("    measures:");
            y.Line("      - { name: effectif, kind: count }");
            y.Line("      - { name: montant, kind: sum, unit: EUR }");
        }

        y.Line("clauses:");
        foreach (var dataset in datasets)
        {
            var provider = Providers[dataset.Pool % Providers.Length].Id;
            var variant = (c + dataset.Index) % 7;

            // a: the EPCI and the State observe and evaluate at QPV level.
            y.Line($"  - id: cl-{dataset.Index:00}-a");
            ClauseHead(y, provider, dataset.Id);
            y.Line($"    recipients: {{ organisations: [{Epci(c)}], kinds: [state], roles: [analyst] }}");
            y.Line($"    purposes: [observation, evaluation, {ThirdPurposes[(c + dataset.Index) % 3]}]");
            y.Line($"    dimensions: [qpv, commune, categorie, dim_{dataset.Pool:00}]");
            y.Line(variant % 2 == 0 ? "    measures: [effectif, montant]" : "    measures: [effectif]");
            y.Line("    geography: { finest: qpv }");
            y.Line(variant % 2 == 0
                ? $"    disclosure: {{ minCount: {5 + variant}, dominance: {{ n: 1, k: 85 }}, rounding: none }}"
                : $"    disclosure: {{ minCount: {5 + variant}, rounding: base-5 }}");
            y.Line($"    retention: {{ max: P{6 + variant}M, atEnd: delete }}");
            y.Line($"    approval: {(variant % 3) switch { 0 => "automatic", 1 => "steward", _ => "four-eyes" }}");
            y.Line("    publication: { frequency: P1Y, format: csv, tier: protected }");

            // b: the agency and a city diagnose and steer at commune level, with sums.
            y.Line($"  - id: cl-{dataset.Index:00}-b");
            ClauseHead(y, provider, dataset.Id);
            y.Line($"    recipients: {{ organisations: [agence-{c:00}, ville-{c:00}-a] }}");
            y.Line("    purposes: [diagnostic, pilotage, recherche]");
            y.Line("    dimensions: [commune, categorie, tranche_age]");
            y.Line("    measures: [effectif, montant]");
            y.Line("    geography: { finest: commune }");
            y.Line("    disclosure: { minCount: 11, dominance: { n: 2, k: 90 }, rounding: midpoint-6 }");
            y.Line("    retention: { max: P2Y, atEnd: anonymise }");
            y.Line("    approval: four-eyes");
            y.Line("    publication: { frequency: P3M, format: csv, tier: aggregated }");

            // c: open data by commune for every local body.
            y.Line($"  - id: cl-{dataset.Index:00}-c");
            ClauseHead(y, provider, dataset.Id);
            y.Line("    recipients: { kinds: [epci, commune, state, agency] }");
            y.Line("    purposes: [observation, statistique]");
            y.Line("    dimensions: [commune, categorie]");
            y.Line("    measures: [effectif]");
            y.Line("    geography: { finest: commune }");
            y.Line("    disclosure: { minCount: 5, rounding: base-5 }");
            y.Line("    approval: automatic");
            y.Line("    publication: { frequency: P1Y, format: csv, tier: open }");
        }

        var added = datasets[c % DatasetsPerContract];
        y.Line("amendments:");
        y.Line("  - number: 1");
        y.Line("    signed: 2025-06-15");
        y.Line("    effective: 2025-07-01");
        y.Line("    changes:");
        y.Line($"      - modify: cl-{(c + 3) % DatasetsPerContract:00}-a");
        y.Line("        set:");
        y.Line("          purposes: [observation, evaluation]");
        y.Line("          retention: { max: P9M, atEnd: delete }");
        y.Line("      - add:");
        y.Line($"          id: cl-{added.Index:00}-d");
        y.Line("          title: Clause ajoutée par avenant");
        y.Line($"          provider: {Providers[added.Pool % Providers.Length].Id}");
        y.Line($"          dataset: {added.Id}");
        y.Line($"          recipients: {{ organisations: [ville-{c:00}-b] }}");
        y.Line("          purposes: [diagnostic]");
        y.Line("          dimensions: [commune, categorie]");
        y.Line("          measures: [effectif]");
        y.Line("          geography: { finest: commune }");
        y.Line("          disclosure: { minCount: 5 }");
        y.Line("          retention: { max: P1Y, atEnd: delete }");
        y.Line("          approval: steward");
        y.Line("          legalBasis: RGPD art. 6.1.e");
        y.Line("  - number: 2");
        y.Line("    signed: 2026-11-15");
        y.Line("    effective: 2027-01-01");
        y.Line("    changes:");
        y.Line($"      - remove: cl-{(c + 5) % DatasetsPerContract:00}-c");
        y.Line($"      - modify: cl-{(c + 7) % DatasetsPerContract:00}-b");
        y.Line("        set:");
        y.Line("          disclosure: { minCount: 15, dominance: { n: 2, k: 85 }, rounding: midpoint-6 }");

        y.Line("governance:");
        y.Line($"  steeringCommittee: [{Epci(c)}, etat-{c:00}]");
        y.Line("  reviewDate: 2027-06-30");
        return y.ToString();
    }

    private static void Signatory(Writer y, string id, string name, string kind) =>
        y.Line($"  - {{ id: {id}, name: {name}, kind: {kind}, dpo: dpo@{id}.example }}");

    private static void ClauseHead(Writer y, string provider, string dataset)
    {
        y.Line("    title: Clause générée");
        y.Line($"    provider: {provider}");
        y.Line($"    dataset: {dataset}");
        y.Line("    legalBasis: RGPD art. 6.1.e");
    }

    /// <summary>Appends lines (the numbers written are non-negative integers: culture does not change them).</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Line(string line) => _text.Append(line).Append('\n');

        public override string ToString() => _text.ToString();
    }
}
