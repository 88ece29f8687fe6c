using System.Globalization;
using System.Text;
using System.Text.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Demo;

/// <summary>A synthetic dataset for the demo: its schema and its versions as CSV text.</summary>
/// <param name="DatasetId">Dataset id in the demo contract.</param>
/// <param name="Provider">Providing organisation.</param>
/// <param name="SchemaJson">The schema the provider declares.</param>
/// <param name="Versions">Version id and CSV content, oldest first.</param>
internal sealed record SyntheticDataset(string DatasetId, string Provider, string SchemaJson, IReadOnlyList<(string Version, string Csv)> Versions);

/// <summary>
/// SYNTHETIC microdata for the demo contract — one row per household, job seeker or dwelling — generated from a
/// fixed seed so that every machine gets the same rows. Sizes and distributions are skewed on purpose: some
/// neighbourhoods are small and some categories rare, so that disclosure control has cells to protect.
/// Nothing here describes real people.
/// </summary>
internal static class SyntheticData
{
    public const string Notice = "DONNÉES SYNTHÉTIQUES — générées aléatoirement (graine fixe) pour la démonstration ; aucune personne réelle. / SYNTHETIC DATA — randomly generated from a fixed seed; no real person.";

    public static IReadOnlyList<SyntheticDataset> Generate(Contract contract) =>
    [
        CafHouseholds(contract),
        JobSeekers(contract),
        Dwellings(contract),
    ];

    /// <summary>A size per neighbourhood: a few large, most medium, a few very small (deterministic).</summary>
    private static int SizeOf(Random random, int index, int small, int large) => (index % 6) switch
    {
        0 => large + random.Next(large / 2),
        4 => small + random.Next(small),
        _ => (small * 3) + random.Next(large - (small * 3)),
    };

    private static SyntheticDataset CafHouseholds(Contract contract)
    {
        var schema = Schema(
            ("id_foyer", "string", "unit-id", null, "Identifiant du foyer allocataire (haché à l'import, jamais exposé)"),
            ("qpv", "string", "geo", "qpv", "Code du quartier prioritaire (2024)"),
            ("commune", "string", "geo", "commune", "Code INSEE de la commune"),
            ("type_menage", "string", "dimension", null, "Type de ménage"),
            ("prestation", "string", "dimension", null, "Prestation principale versée"),
            ("montant_mensuel", "number", "measure", null, "Montant mensuel versé (euros)"));

        string Version(int seed, double growth)
        {
            var random = new Random(seed);
            var csv = new StringBuilder("id_foyer;qpv;commune;type_menage;prestation;montant_mensuel\r\n");
            var id = 0;
            for (var q = 0; q < contract.Territory.Qpv.Count; q++)
            {
                var qpv = contract.Territory.Qpv[q];
                var households = (int)(SizeOf(random, q, 40, 1400) * growth);
                for (var i = 0; i < households; i++)
                {
                    var type = Pick(random, ("personne-seule", 38), ("famille-monoparentale", 22), ("couple-avec-enfants", 20), ("couple-sans-enfant", 11), ("autre", 9));
                    var benefit = Pick(random, ("apl", 45), ("rsa", 20), ("prime-activite", 19), ("alloc-familiales", 13), ("aah", 3));
                    var amount = benefit switch
                    {
                        "rsa" => 480 + random.Next(300),
                        "apl" => 150 + random.Next(250),
                        "prime-activite" => 90 + random.Next(250),
                        "alloc-familiales" => 140 + random.Next(300),
                        _ => 800 + random.Next(300),
                    };

                    // A rare large amount, so that the dominance rule has something to catch.
                    if (random.Next(500) == 0)
                    {
                        amount *= 6;
                    }

                    csv.Append(CultureInfo.InvariantCulture, $"F{++id:D6};{qpv.Code};{qpv.CommuneCode};{type};{benefit};{amount},{random.Next(100):D2}\r\n");
                }
            }

            return csv.ToString();
        }

        return new SyntheticDataset("caf-foyers-allocataires", "caf-44", schema, [("2023-12-31", Version(4401, 0.96)), ("2024-12-31", Version(4402, 1.0))]);
    }

    private static SyntheticDataset JobSeekers(Contract contract)
    {
        var schema = Schema(
            ("id_demandeur", "string", "unit-id", null, "Identifiant du demandeur d'emploi (haché à l'import, jamais exposé)"),
            ("qpv", "string", "geo", "qpv", "Code du quartier prioritaire (2024)"),
            ("iris", "string", "geo", "iris", "Code IRIS de résidence"),
            ("commune", "string", "geo", "commune", "Code INSEE de la commune"),
            ("categorie", "string", "dimension", null, "Catégorie d'inscription"),
            ("tranche_age", "string", "dimension", null, "Tranche d'âge"),
            ("anciennete", "string", "dimension", null, "Ancienneté d'inscription"));
        var random = new Random(7501);
        var csv = new StringBuilder("id_demandeur,qpv,iris,commune,categorie,tranche_age,anciennete\n");
        var id = 0;
        for (var q = 0; q < contract.Territory.Qpv.Count; q++)
        {
            var qpv = contract.Territory.Qpv[q];
            var seekers = SizeOf(random, q + 2, 25, 700);
            for (var i = 0; i < seekers; i++)
            {
                var iris = $"{qpv.CommuneCode}{(q * 10) + random.Next(1, 4):D4}";
                var category = Pick(random, ("A", 60), ("B", 19), ("C", 21));
                var age = Pick(random, ("moins-25", 18), ("25-49", 60), ("50-plus", 22));
                var seniority = Pick(random, ("moins-1-an", 50), ("1-2-ans", 24), ("plus-2-ans", 26));
                csv.Append(CultureInfo.InvariantCulture, $"D{++id:D6},{qpv.Code},{iris},{qpv.CommuneCode},{category},{age},{seniority}\n");
            }
        }

        return new SyntheticDataset("ft-demandeurs-emploi", "ft-pdl", schema, [("2024-12-31", csv.ToString())]);
    }

    private static SyntheticDataset Dwellings(Contract contract)
    {
        var schema = Schema(
            ("id_logement", "string", "unit-id", null, "Identifiant du logement (haché à l'import, jamais exposé)"),
            ("qpv", "string", "geo", "qpv", "Code du quartier prioritaire (2024)"),
            ("commune", "string", "geo", "commune", "Code INSEE de la commune"),
            ("typologie", "string", "dimension", null, "Taille du logement"),
            ("tranche_revenu", "string", "dimension", null, "Revenus du ménage locataire (part du plafond PLUS)"),
            ("statut", "string", "dimension", null, "Statut du logement"),
            ("loyer_mensuel", "number", "measure", null, "Loyer mensuel hors charges (euros)"));
        var random = new Random(4403);
        var csv = new StringBuilder("\"id_logement\";\"qpv\";\"commune\";\"typologie\";\"tranche_revenu\";\"statut\";\"loyer_mensuel\"\r\n");
        var id = 0;
        for (var q = 0; q < contract.Territory.Qpv.Count; q++)
        {
            var qpv = contract.Territory.Qpv[q];
            var dwellings = SizeOf(random, q + 4, 60, 1200);
            for (var i = 0; i < dwellings; i++)
            {
                var size = Pick(random, ("T1", 9), ("T2", 21), ("T3", 36), ("T4", 25), ("T5-plus", 9));
                var income = Pick(random, ("moins-20", 32), ("20-40", 30), ("40-60", 20), ("60-100", 15), ("plus-100", 3));
                var status = Pick(random, ("occupe", 90), ("vacant", 5), ("emmenagement", 5));
                var rent = size switch
                {
                    "T1" => 230 + random.Next(80),
                    "T2" => 300 + random.Next(90),
                    "T3" => 360 + random.Next(110),
                    "T4" => 420 + random.Next(120),
                    _ => 480 + random.Next(150),
                };
                csv.Append(CultureInfo.InvariantCulture, $"\"L{++id:D6}\";\"{qpv.Code}\";\"{qpv.CommuneCode}\";\"{size}\";\"{income}\";\"{status}\";\"{rent},{random.Next(100):D2}\"\r\n");
            }
        }

        return new SyntheticDataset("bailleur-logements", "bailleur-atlantique", schema, [("2024-12-31", csv.ToString())]);
    }

    private static string Pick(Random random, params (string Value, int Weight)[] choices)
    {
        var total = 0;
        foreach (var choice in choices)
        {
            total += choice.Weight;
        }

        var draw = random.Next(total);
        foreach (var (value, weight) in choices)
        {
            if (draw < weight)
            {
                return value;
            }

            draw -= weight;
        }

        return choices[^1].Value;
    }

    private static string Schema(params (string Name, string Type, string Role, string? Geo, string Description)[] fields)
    {
        var document = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["description"] = Notice,
            ["fields"] = fields.Select(f =>
            {
                var field = new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    ["name"] = f.Name,
                    ["type"] = f.Type,
                    ["role"] = f.Role,
                    ["description"] = f.Description,
                };
                if (f.Geo is not null)
                {
                    field["geo"] = f.Geo;
                }

                if (f.Role == "measure")
                {
                    field["constraints"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["minimum"] = 0 };
                }

                return field;
            }).ToList(),
        };
        return JsonSerializer.Serialize(document);
    }
}
