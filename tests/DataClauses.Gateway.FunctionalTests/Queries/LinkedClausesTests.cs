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
/// exactly, and an open clause by commune × sex, rounded to base 5. Many job seekers live outside every QPV: the open
/// clause counts them in their commune, the QPV clause does not (its communes are the sums of their QPVs). A random
/// table (seed printed; rows in QPVs and, per commune, few or many outside them, one commune without a QPV) is
/// published through the API, both clauses' answers are read over HTTP as the recipient gets them, and the integer
/// attacker of the disclosure tests (glpsol, shared with them) attacks every primary cell of either answer with
/// everything both publish: additivity (a commune is its QPVs plus its rows outside QPVs, unknown and non-negative;
/// the QPV answer's commune is its QPVs alone), integrality, published values (rounded ones as their intervals),
/// which secret cells are primary (ground truth from the stored cubes, which no recipient sees) and the rules. No
/// primary may be pinned or kept narrower than the protection level.
/// </summary>
public abstract class LinkedClausesTests(ITestOutputHelper output)
{
    private const string Dataset = "ft-test-liens";
    private const string ContractFile = "cdv-test-liens-2024-2030.yaml";
    private const int MinCount = 5;

    /// <summary>Versions published, each a new random table: each adds a chance to catch cubes protected apart.</summary>
    private const int Versions = 3;

    private static readonly string[] Communes = ["44921", "44922", "44923"];

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
    private static async Task<(List<string> Failures, int Primaries, int Weaker, bool JointPattern)> AttackAsync(GatewayHost host, HttpClient analyst, string version, Dictionary<(string Place, string Sex, string Age), long> counts)
    {
        var byQpv = await QueryOkAsync(analyst, new { dataset = Dataset, version, purpose = "observation", dimensions = new[] { "qpv", "commune", "sexe", "tranche_age" }, measures = new[] { "demandeurs" } });
        var byCommune = await QueryOkAsync(analyst, new { dataset = Dataset, version, purpose = "observation", dimensions = new[] { "commune", "sexe" }, measures = new[] { "demandeurs" } });
        byQpv.GetProperty("clause").GetString().ShouldBe("ft-liens-qpv");
        byCommune.GetProperty("clause").GetString().ShouldBe("ft-liens-commune-open");
        Cells(byQpv).Count.ShouldBe(8 * 3 * 4);
        Cells(byCommune).Count.ShouldBe(4 * 3);

        // The attacker's model of both answers, built from the raw data and the contract alone (not from the gateway's joint table).
        var model = new AttackerModel(counts);
        var cells = new CellKnowledge?[model.CellCount];
        var primary = new bool[model.CellCount];
        var statuses = new Dictionary<int, List<string>>();

        // The library's joint pattern of both answers, rebuilt here only to learn which primaries it guarantees against a weaker attacker.
        var (mirror, mirrorReleased) = Mirror(counts);
        var mirrorOf = new Dictionary<int, int>();
        var mirrorStatuses = new List<(int Cell, string Status)>();
        foreach (var (answer, rounding, qpvAnswer) in new[] { (byQpv, Rounding.None, true), (byCommune, Rounding.Base5, false) })
        {
            var cube = await StoredCubeOfAsync(host, answer);
            foreach (var cell in Cells(answer))
            {
                var index = model.CellOf(cell, qpvAnswer);
                var status = cell.GetProperty("status").GetString()!;
                statuses.TryAdd(index, []);
                statuses[index].Add(status);
                status.ShouldBeOneOf(Statuses);
                mirrorOf[index] = MirrorCell(mirror, cell, qpvAnswer);
                mirrorStatuses.Add((mirrorOf[index], status));
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

        // A primary is known to lie in [1, k−1] unless some answer publishes it (cubes protected apart may disagree);
        // the rows outside QPVs, which neither answer shows alone, are unknown (only non-negative).
        var knowledge = cells.Select((c, i) => c is { } known && Rank(known) > 0 ? known
            : primary[i] ? new CellKnowledge(Knowledge.Primary, 0, Rounding.None)
            : c ?? new CellKnowledge(Knowledge.Unknown, 0, Rounding.None)).ToArray();
        var failures = new List<string>();
        foreach (var cell in statuses.Keys.Where(c => statuses[c].Contains("secret") && !statuses[c].TrueForAll(st => st == "secret")))
        {
            failures.Add($"{model.NameOf(cell)} is secret in one answer and published in the other");
        }

        // The guarantees the library gives the joint pattern: a primary the statuses themselves pin (ADR 0004) is
        // attacked without the primary ceiling, as the disclosure tests do; used only when the answers are that pattern.
        var rules = new DataClauses.Disclosure.DisclosureRules { MinCount = MinCount };
        var joint = TableProtector.Protect(mirror, rules, mirrorReleased);
        var samePattern = mirrorStatuses.TrueForAll(p => (p.Status == "secret") == !joint.IsPublished(p.Cell));
        var targets = Enumerable.Range(0, model.CellCount).Where(c => primary[c]).ToList();
        foreach (var cell in targets.Where(c => knowledge[c].Knowledge == Knowledge.Exact))
        {
            failures.Add($"{model.NameOf(cell)} = {model.Counts[cell]} is primary in one answer and published exactly in the other");
        }

        var attacked = targets.Where(c => knowledge[c].Knowledge != Knowledge.Exact).ToList();
        var weaker = attacked.Where(c => samePattern && joint.GuaranteeOf(mirrorOf[c]) != Guarantee.Full).ToList();
        var big = (2 * model.Counts[0]) + 10;
        var ranges = IntegerAttacker.Ranges(model.Equations, knowledge, MinCount, protectZeros: false, ceiling: true, big, attacked.Except(weaker));
        foreach (var (cell, range) in IntegerAttacker.Ranges(model.Equations, knowledge, MinCount, protectZeros: false, ceiling: false, big, weaker))
        {
            ranges[cell] = range;
        }

        foreach (var (cell, (min, max)) in ranges.OrderBy(r => r.Key))
        {
            // The protection level (units or share), capped by the k − 2 that [1, k−1] leaves open when the ceiling is used.
            var required = Math.Max(1, weaker.Contains(cell) ? rules.RequiredWidth(model.Counts[cell]) : Math.Min(rules.RequiredWidth(model.Counts[cell]), MinCount - 2));
            if (max - min < required)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{model.NameOf(cell)} = {model.Counts[cell]} ranges over [{min}, {max}] for the attacker of both answers, needs width {required}"));
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

    /// <summary>The communes that have QPVs (the QPV answer's communes).</summary>
    private static IEnumerable<string> CommunesWithQpvs => Communes.Where(c => Qpvs.Any(q => q.Commune == c));

    /// <summary>The place of a count: a QPV, or the rows of a commune outside its QPVs.</summary>
    private static string OutsideOf(string commune) => "hors QPV de " + commune;

    /// <summary>
    /// What the attacker reasons over, from the contract's structure alone: a table of places — each commune ⊃ its
    /// QPVs and its rows outside QPVs (a leaf nobody publishes) — × sex × age band, every marginal (the commune
    /// answer's cells are its commune rows); then, after the table's cells, one variable per commune with QPVs (and
    /// the total) × sex × age band for the QPV answer's commune cells, each the sum of the commune's QPVs alone.
    /// </summary>
    private sealed class AttackerModel
    {
        private readonly Dictionary<(string Place, int Sex, int Age), int> _inside = [];

        public AttackerModel(Dictionary<(string Place, string Sex, string Age), long> counts)
        {
            var places = Communes.SelectMany(c => Qpvs.Where(q => q.Commune == c).Select(q => (q.Qpv, (string?)c)).Append((OutsideOf(c), c)));
            var geo = Hierarchy.FromParents([.. Communes.Select(c => (c, (string?)null)), .. places]);
            var builder = new TableBuilder([new Dimension("geo", geo), new Dimension("sexe", Hierarchy.Flat(Sexes)), new Dimension("tranche_age", Hierarchy.Flat(Ages))]);
            foreach (var ((place, sex, age), count) in counts)
            {
                builder.AddAggregate([Communes.Contains(place) ? OutsideOf(place) : place, sex, age], count);
            }

            Table = builder.Build();
            Equations = Additivity.Equations(Table);
            var truth = Table.Counts.ToList();
            var (sexes, ages) = (Table.Dimensions[1].Hierarchy.Count, Table.Dimensions[2].Hierarchy.Count);
            foreach (var place in CommunesWithQpvs.Append(Hierarchy.DefaultTotal))
            {
                for (var sex = 0; sex < sexes; sex++)
                {
                    for (var age = 0; age < ages; age++)
                    {
                        // The QPV answer's commune: its QPVs' cells; its total: the communes' in-QPV variables.
                        int[] children = place == Hierarchy.DefaultTotal
                            ? [.. CommunesWithQpvs.Select(c => _inside[(c, sex, age)])]
                            : [.. Qpvs.Where(q => q.Commune == place).Select(q => Table.IndexOf([geo.IndexOf(q.Qpv), sex, age]))];
                        _inside[(place, sex, age)] = truth.Count;
                        truth.Add(children.Sum(c => truth[c]));
                        Equations.Add(new Additivity.Equation(truth.Count - 1, children));
                    }
                }
            }

            Counts = [.. truth];
        }

        /// <summary>The table of places × sex × age band.</summary>
        public Table Table { get; }

        /// <summary>The table's cells, then the QPV answer's commune and total variables.</summary>
        public int CellCount => Counts.Length;

        /// <summary>The true count of each cell and variable (ground truth, never the attacker's).</summary>
        public long[] Counts { get; }

        /// <summary>The table's additivity, and each QPV-answer variable = the sum of its QPVs (or of the communes' variables).</summary>
        public List<Additivity.Equation> Equations { get; }

        /// <summary>The cell or variable an answer's cell is: a QPV's, a commune's of the QPV answer (in QPVs), or a commune's of the other (every row).</summary>
        public int CellOf(JsonElement cell, bool qpvAnswer)
        {
            string Code(string column) => cell.TryGetProperty(column, out var code) ? code.GetString()! : Hierarchy.DefaultTotal;
            var (sex, age) = (Table.Dimensions[1].Hierarchy.IndexOf(Code("sexe")), Table.Dimensions[2].Hierarchy.IndexOf(Code("tranche_age")));
            var geo = Table.Dimensions[0].Hierarchy;
            return Code("qpv") is var qpv and not Hierarchy.DefaultTotal ? Table.IndexOf([geo.IndexOf(qpv), sex, age])
                : qpvAnswer ? _inside[(Code("commune"), sex, age)]
                : Table.IndexOf([geo.IndexOf(Code("commune")), sex, age]);
        }

        /// <summary>A cell's or variable's codes, for messages.</summary>
        public string NameOf(int index)
        {
            if (index < Table.CellCount)
            {
                return string.Join('/', Table.CodesOf(index));
            }

            var ((place, sex, age), _) = _inside.Single(p => p.Value == index);
            return $"{place} (in QPVs)/{Table.Dimensions[1].Hierarchy.Codes[sex]}/{Table.Dimensions[2].Hierarchy.Codes[age]}";
        }
    }

    /// <summary>
    /// The gateway's joint table as ADR 0004 describes it (places × sex × age band × zone, the QPV answer in zone "in",
    /// the commune answer at the zone total, the zeros of a QPV outside QPVs and of an outside leaf in QPVs released),
    /// rebuilt only to read the library's guarantees; the attacker never uses it.
    /// </summary>
    private static (Table Table, bool[] Released) Mirror(Dictionary<(string Place, string Sex, string Age), long> counts)
    {
        const string Inside = "in";
        const string Outside = "out";
        var geo = Hierarchy.FromParents([
            .. Communes.Select(c => (c, (string?)null)),
            .. Qpvs.Select(q => (q.Qpv, (string?)q.Commune)),
            .. Communes.Select(c => (OutsideOf(c), (string?)c))]);
        var builder = new TableBuilder([
            new Dimension("geo", geo), new Dimension("sexe", Hierarchy.Flat(Sexes)), new Dimension("tranche_age", Hierarchy.Flat(Ages)), new Dimension("zone", Hierarchy.Flat([Inside, Outside]))]);
        foreach (var ((place, sex, age), count) in counts)
        {
            var outside = Communes.Contains(place);
            builder.AddAggregate([outside ? OutsideOf(place) : place, sex, age, outside ? Outside : Inside], count);
        }

        var table = builder.Build();
        var released = new bool[table.CellCount];
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            var (place, zone) = (geo.Codes[table.CodeOf(cell, 0)], table.CodeOf(cell, 3));
            var qpvAnswer = zone == 1 && (place == Hierarchy.DefaultTotal || CommunesWithQpvs.Contains(place) || Qpvs.Any(q => q.Qpv == place));
            var communeAnswer = zone == 0 && table.CodeOf(cell, 2) == 0 && (place == Hierarchy.DefaultTotal || Communes.Contains(place));
            var structuralZero = (zone == 2 && Qpvs.Any(q => q.Qpv == place)) || (zone == 1 && place.StartsWith("hors QPV", StringComparison.Ordinal));
            released[cell] = qpvAnswer || communeAnswer || structuralZero;
        }

        return (table, released);
    }

    /// <summary>The mirror's cell of an answer's cell: its finest place, sex, age band, and zone "in" for the QPV answer (its total for the other).</summary>
    private static int MirrorCell(Table mirror, JsonElement cell, bool qpvAnswer)
    {
        string Code(string column) => cell.TryGetProperty(column, out var code) ? code.GetString()! : Hierarchy.DefaultTotal;
        var place = Code("qpv") is var qpv and not Hierarchy.DefaultTotal ? qpv : Code("commune");
        return mirror.IndexOf([
            mirror.Dimensions[0].Hierarchy.IndexOf(place),
            mirror.Dimensions[1].Hierarchy.IndexOf(Code("sexe")),
            mirror.Dimensions[2].Hierarchy.IndexOf(Code("tranche_age")),
            qpvAnswer ? 1 : 0]);
    }

    /// <summary>
    /// Random counts per place × sex × age band. In QPVs: half tiny (0 to 3), the others often small, some comfortable.
    /// Outside QPVs, per commune and version: few (0 to 3), some (0 to 12) or many (5 to 40) — 44923 has no QPV, only such rows.
    /// </summary>
    private static Dictionary<(string Place, string Sex, string Age), long> Generate(Random random)
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

        foreach (var commune in Communes)
        {
            var (low, high) = random.Next(3) switch { 0 => (0, 4), 1 => (0, 13), _ => (5, 41) };
            foreach (var sex in Sexes)
            {
                foreach (var age in Ages)
                {
                    counts[(commune, sex, age)] = random.Next(low, high);
                }
            }

            // At least one row outside QPVs in each commune, so that every version has some.
            counts[(commune, Sexes[0], Ages[0])] = Math.Max(1, counts[(commune, Sexes[0], Ages[0])]);
        }

        return counts;
    }

    /// <summary>The CSV of the counts: a row per job seeker, its QPV empty when it lives outside every QPV.</summary>
    private static string Csv(Dictionary<(string Place, string Sex, string Age), long> counts)
    {
        var csv = new StringBuilder("id_demandeur;qpv;commune;sexe;tranche_age\n");
        var id = 0;
        foreach (var ((place, sex, age), count) in counts)
        {
            var (qpv, commune) = Communes.Contains(place) ? (string.Empty, place) : (place, Qpvs.Single(q => q.Qpv == place).Commune);
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
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv", "constraints": { "required": false } },
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
                - { code: "44923", name: Horsville }
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
