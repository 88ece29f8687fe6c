using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Disclosure.Tests.Oracle;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// Linked clauses (issue 11, ADR 0004 "Linked tables"): a dataset with two clauses that one recipient reads side by
/// side, as the demo's France Travail clauses — job seekers by geography (QPV ⊂ commune) × sex × age band, published
/// exactly, and an open clause by commune × sex, rounded to base 5 — sharing every cell of the open one. A random table (seed printed) is
/// published through the API, both clauses' answers are read over HTTP as the recipient gets them, and the integer
/// attacker of the disclosure tests (glpsol, shared with them) attacks every primary cell of either answer with
/// everything both publish: additivity over the joint table, integrality, published values (rounded ones as their
/// intervals), which secret cells are primary (ground truth from the stored cubes, which no recipient sees) and the
/// rules. No primary may be pinned or kept narrower than the protection level.
/// </summary>
public abstract class LinkedClausesTests(ITestOutputHelper output)
{
    private const string Dataset = "ft-test-liens";
    private const string ContractFile = "cdv-test-liens-2024-2030.yaml";
    private const int MinCount = 5;

    /// <summary>Versions published, each a new random table: each adds a chance to catch cubes protected apart.</summary>
    private const int Versions = 3;

    private static readonly string[] Communes = ["44921", "44922"];

    private static readonly (string Qpv, string Commune)[] Qpvs =
        [("QN04431M", "44921"), ("QN04432M", "44921"), ("QN04433N", "44921"), ("QN04434M", "44922"), ("QN04435N", "44922")];

    private static readonly string[] Sexes = ["F", "H"];

    private static readonly string[] Ages = ["moins-25", "25-49", "50-plus"];

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task No_primary_cell_of_two_linked_clauses_is_narrower_than_the_protection_level_for_the_integer_attacker_of_both_answers()
    {
        Glpsol.IsInstalled.ShouldBeTrue("glpsol is missing: apt-get install glpk-utils (./test.sh installs it)");
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DATACLAUSES_LINKED_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261215;
        output.WriteLine($"seed {seed} (DATACLAUSES_LINKED_SEED replays another)");
        var random = new Random(seed);
        var policies = Policies();
        try
        {
            await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal) { ["DataClauses:PoliciesPath"] = policies });
            await DeclareAsync(host);
            using var publisher = await host.ClientForAsync("ft-pdl", "publisher");
            using var analyst = await host.ClientForAsync("epci-demo", "analyst");
            var failures = new List<string>();
            var primaries = 0;
            for (var v = 0; v < Versions; v++)
            {
                var version = string.Create(CultureInfo.InvariantCulture, $"2025-{v + 1:D2}");
                var counts = Generate(random);
                using (var upload = await Publishing.UploadAsync(publisher, Dataset, version, Csv(counts)))
                {
                    upload.StatusCode.ShouldBe(HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
                }

                var (found, attacked, weaker, joint) = await AttackAsync(host, analyst, version, counts);
                failures.AddRange(found.Select(f => $"version {version}: {f}"));
                primaries += attacked;
                output.WriteLine($"version {version}: {attacked} primaries ({weaker} pinned by the statuses alone, attacked without the ceiling); the answers are {(joint ? string.Empty : "not ")}slices of the joint pattern");
            }

            output.WriteLine($"{Versions} versions, {primaries} primary cells attacked across both answers, {failures.Count} failures");
            foreach (var failure in failures)
            {
                output.WriteLine(failure);
            }

            primaries.ShouldBeGreaterThan(0, "the random tables have small cells to protect");
            failures.ShouldBeEmpty(string.Join(Environment.NewLine, failures));
        }
        finally
        {
            Directory.Delete(policies, recursive: true);
        }
    }

    /// <summary>
    /// Reads both answers of a version and attacks every primary cell with what they publish together; returns the
    /// failures, the number of primaries, how many were attacked without the ceiling, and whether the answers are the joint pattern.
    /// </summary>
    private static async Task<(List<string> Failures, int Primaries, int Weaker, bool JointPattern)> AttackAsync(GatewayHost host, HttpClient analyst, string version, Dictionary<(string Qpv, string Sex, string Age), long> counts)
    {
        var byQpv = await QueryOkAsync(analyst, new { dataset = Dataset, version, purpose = "observation", dimensions = new[] { "qpv", "commune", "sexe", "tranche_age" }, measures = new[] { "demandeurs" } });
        var byCommune = await QueryOkAsync(analyst, new { dataset = Dataset, version, purpose = "observation", dimensions = new[] { "commune", "sexe" }, measures = new[] { "demandeurs" } });
        byQpv.GetProperty("clause").GetString().ShouldBe("ft-liens-qpv");
        byCommune.GetProperty("clause").GetString().ShouldBe("ft-liens-commune-open");
        Cells(byQpv).Count.ShouldBe(8 * 3 * 4);
        Cells(byCommune).Count.ShouldBe(3 * 3);

        // The joint table the attacker reasons over: geography × sex × age band, built from the raw data.
        var table = JointTable(counts);
        var cells = new CellKnowledge?[table.CellCount];
        var primary = new bool[table.CellCount];
        var statuses = new Dictionary<int, List<string>>();
        foreach (var (answer, rounding) in new[] { (byQpv, Rounding.None), (byCommune, Rounding.Base5) })
        {
            var cube = await StoredCubeOfAsync(host, answer);
            foreach (var cell in Cells(answer))
            {
                var index = JointCell(table, cell);
                var status = cell.GetProperty("status").GetString()!;
                statuses.TryAdd(index, []);
                statuses[index].Add(status);
                status.ShouldBeOneOf(Statuses);
                var value = cell.GetProperty("demandeurs");
                var known = status switch
                {
                    "published" => new CellKnowledge(Knowledge.Exact, value.GetInt64(), Rounding.None),
                    "rounded" => new CellKnowledge(Knowledge.Rounded, value.GetInt64(), rounding),
                    _ => new CellKnowledge(Knowledge.Secondary, 0, Rounding.None),
                };
                if (status == "secret" && CubeStatusOf(cube, answer, cell) == CellStatus.SuppressedPrimary)
                {
                    primary[index] = true;
                }

                // What both answers say of a cell: an exact value beats an interval, which beats a secret.
                cells[index] = cells[index] is not { } before || Rank(known) > Rank(before) ? known : before;
            }
        }

        // A primary is known to lie in [1, k−1] unless some answer publishes it (cubes protected apart may disagree).
        var knowledge = cells.Select((c, i) => c is { } known && Rank(known) > 0 ? known
            : primary[i] ? new CellKnowledge(Knowledge.Primary, 0, Rounding.None)
            : c ?? new CellKnowledge(Knowledge.Unknown, 0, Rounding.None)).ToArray();
        var released = cells.Select(c => c is not null).ToArray();
        var failures = new List<string>();
        foreach (var cell in statuses.Keys.Where(c => statuses[c].Contains("secret") && !statuses[c].TrueForAll(st => st == "secret")))
        {
            failures.Add($"{string.Join('/', table.CodesOf(cell))} is secret in one answer and published in the other");
        }

        // The guarantees the library gives the joint pattern: a primary the statuses themselves pin (ADR 0004) is
        // attacked without the primary ceiling, as the disclosure tests do; used only when the answers are that pattern.
        var rules = new DataClauses.Disclosure.DisclosureRules { MinCount = MinCount };
        var joint = TableProtector.Protect(table, rules, released);
        var samePattern = statuses.All(p => p.Value.TrueForAll(st => (st == "secret") == !joint.IsPublished(p.Key)));
        var targets = Enumerable.Range(0, table.CellCount).Where(c => primary[c]).ToList();
        foreach (var cell in targets.Where(c => knowledge[c].Knowledge == Knowledge.Exact))
        {
            failures.Add($"{string.Join('/', table.CodesOf(cell))} = {table.Counts[cell]} is primary in one answer and published exactly in the other");
        }

        var attacked = targets.Where(c => knowledge[c].Knowledge != Knowledge.Exact).ToList();
        var weaker = attacked.Where(c => samePattern && joint.GuaranteeOf(c) != Guarantee.Full).ToList();
        var equations = Additivity.Equations(table);
        var big = (2 * table.Counts[0]) + 10;
        var ranges = IntegerAttacker.Ranges(equations, knowledge, MinCount, protectZeros: false, ceiling: true, big, attacked.Except(weaker));
        foreach (var (cell, range) in IntegerAttacker.Ranges(equations, knowledge, MinCount, protectZeros: false, ceiling: false, big, weaker))
        {
            ranges[cell] = range;
        }

        foreach (var (cell, (min, max)) in ranges.OrderBy(r => r.Key))
        {
            // The protection level (units or share), capped by the k − 2 that [1, k−1] leaves open when the ceiling is used.
            var required = Math.Max(1, weaker.Contains(cell) ? rules.RequiredWidth(table.Counts[cell]) : Math.Min(rules.RequiredWidth(table.Counts[cell]), MinCount - 2));
            if (max - min < required)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{string.Join('/', table.CodesOf(cell))} = {table.Counts[cell]} ranges over [{min}, {max}] for the attacker of both answers, needs width {required}"));
            }
        }

        return (failures, targets.Count, weaker.Count, samePattern);
    }

    private static int Rank(CellKnowledge known) => known.Knowledge switch
    {
        Knowledge.Exact => 2,
        Knowledge.Rounded => 1,
        _ => 0,
    };

    /// <summary>Geography (communes ⊃ QPVs) × sex × age band, every marginal, from the leaf counts.</summary>
    private static Table JointTable(Dictionary<(string Qpv, string Sex, string Age), long> counts)
    {
        var geo = Hierarchy.FromParents([.. Communes.Select(c => (c, (string?)null)), .. Qpvs.Select(q => (q.Qpv, (string?)q.Commune))]);
        var builder = new TableBuilder([new Dimension("geo", geo), new Dimension("sexe", Hierarchy.Flat(Sexes)), new Dimension("tranche_age", Hierarchy.Flat(Ages))]);
        foreach (var ((qpv, sex, age), count) in counts)
        {
            builder.AddAggregate([qpv, sex, age], count);
        }

        return builder.Build();
    }

    /// <summary>The joint cell of an answer's cell: its finest place, sex and age band (Total when the answer lacks a column).</summary>
    private static int JointCell(Table table, JsonElement cell)
    {
        string Code(string column) => cell.TryGetProperty(column, out var code) ? code.GetString()! : "Total";
        var place = Code("qpv") is var qpv and not "Total" ? qpv : Code("commune");
        return table.IndexOf([
            table.Dimensions[0].Hierarchy.IndexOf(place),
            table.Dimensions[1].Hierarchy.IndexOf(Code("sexe")),
            table.Dimensions[2].Hierarchy.IndexOf(Code("tranche_age"))]);
    }

    /// <summary>Random counts per QPV × sex × age band: half tiny (0 to 3), the others often small, some comfortable.</summary>
    private static Dictionary<(string Qpv, string Sex, string Age), long> Generate(Random random)
    {
        var counts = new Dictionary<(string, string, string), long>();
        foreach (var (qpv, _) in Qpvs)
        {
            foreach (var sex in Sexes)
            {
                foreach (var age in Ages)
                {
                    var draw = random.NextDouble();
                    counts[(qpv, sex, age)] = random.Next(3) == 0 ? random.Next(0, 4) : draw switch
                    {
                        < 0.15 => 0,
                        < 0.30 => 1,
                        < 0.55 => random.Next(2, 5),
                        < 0.90 => random.Next(5, 16),
                        _ => random.Next(16, 40),
                    };
                }
            }
        }

        return counts;
    }

    private static string Csv(Dictionary<(string Qpv, string Sex, string Age), long> counts)
    {
        var csv = new StringBuilder("id_demandeur;qpv;commune;sexe;tranche_age\n");
        var id = 0;
        foreach (var ((qpv, sex, age), count) in counts)
        {
            var commune = Qpvs.Single(q => q.Qpv == qpv).Commune;
            for (var i = 0; i < count; i++)
            {
                csv.Append(CultureInfo.InvariantCulture, $"D{++id:D6};{qpv};{commune};{sex};{age}\n");
            }
        }

        return csv.ToString();
    }

    private static async Task DeclareAsync(GatewayHost host)
    {
        const string Schema = """
            { "fields": [
              { "name": "id_demandeur", "type": "string", "role": "unit-id" },
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
              { "name": "commune", "type": "string", "role": "geo", "geo": "commune" },
              { "name": "sexe", "type": "string", "role": "dimension" },
              { "name": "tranche_age", "type": "string", "role": "dimension" } ] }
            """;
        using var publisher = await host.ClientForAsync("ft-pdl", "publisher");
        using var response = await publisher.PutAsync($"api/v1/datasets/{Dataset}", new StringContent(Schema, Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The demo contracts and a fictional one whose dataset has the two linked clauses.</summary>
    private static string Policies()
    {
        var directory = Path.Combine(Path.GetTempPath(), "dataclauses-tests", "policies-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(GatewayHost.PoliciesPath, "*.yaml"))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(directory, ContractFile), """
            # FICTIONAL contract of the linked-clauses test: two clauses on one dataset that epci-demo reads side by side.
            id: cdv-test-liens-2024-2030
            title: Contrat de test des clauses liées (fictif)

            period:
              start: 2024-01-01
              end: 2030-12-31

            territory:
              epci:
                code: "200099997"
                name: Communauté Liens
              communes:
                - { code: "44921", name: Lienville }
                - { code: "44922", name: Liaison-sur-Mer }
              qpv:
                - { code: QN04431M, name: Quartier Un, commune: "44921" }
                - { code: QN04432M, name: Quartier Deux, commune: "44921" }
                - { code: QN04433N, name: Quartier Trois, commune: "44921" }
                - { code: QN04434M, name: Quartier Quatre, commune: "44922" }
                - { code: QN04435N, name: Quartier Cinq, commune: "44922" }

            signatories:
              - id: epci-demo
                name: Communauté Liens
                kind: epci
                dpo: dpo@liens.example
              - id: ft-pdl
                name: France Travail Pays-de-Démo
                kind: france-travail
                dpo: dpo@ft-pdl-demo.example

            purposes:
              - id: observation
                label: Observation

            datasets:
              - id: ft-test-liens
                provider: ft-pdl
                title: Demandeurs d'emploi (données de test)
                dimensions:
                  - { name: qpv, geo: qpv }
                  - { name: commune, geo: commune }
                  - { name: sexe, values: [F, H] }
                  - { name: tranche_age, values: [moins-25, 25-49, 50-plus] }
                measures:
                  - { name: demandeurs, kind: count }

            clauses:
              # Listed first: a query both permit (commune × sex) is answered from the open clause.
              - id: ft-liens-commune-open
                provider: ft-pdl
                dataset: ft-test-liens
                recipients:
                  kinds: [epci]
                purposes: [observation]
                dimensions: [commune, sexe]
                measures: [demandeurs]
                geography: { finest: commune }
                disclosure: { minCount: 5, rounding: base-5 }
                approval: automatic
                publication: { frequency: P1Y, format: csv, tier: open }
                legalBasis: RGPD art. 6.1.e

              - id: ft-liens-qpv
                provider: ft-pdl
                dataset: ft-test-liens
                recipients:
                  organisations: [epci-demo]
                purposes: [observation]
                dimensions: [qpv, commune, sexe, tranche_age]
                measures: [demandeurs]
                geography: { finest: qpv }
                disclosure: { minCount: 5, rounding: none }
                approval: automatic
                publication: { frequency: P1Y, format: csv, tier: protected }
                legalBasis: RGPD art. 6.1.e
            """);
        return directory;
    }
}

public sealed class LinkedClausesTests_on_Sqlite(ITestOutputHelper output) : LinkedClausesTests(output)
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}
