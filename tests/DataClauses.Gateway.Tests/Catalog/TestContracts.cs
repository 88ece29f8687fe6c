using System.Text.Json;
using DataClauses.Gateway.Catalog;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Tests.Catalog;

/// <summary>
/// The demo contract (its CAF dataset), and a small contract built in code for what the demo cannot show: IRIS and
/// EPCI geography, typed dimensions, the 2015 zoning.
/// </summary>
internal static class TestContracts
{
    public const string CafDataset = "caf-foyers-allocataires";

    public const string CafSchema = """
        {
          "title": "Foyers allocataires",
          "fields": [
            { "name": "id_foyer", "type": "string", "role": "unit-id" },
            { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
            { "name": "commune", "type": "string", "role": "geo", "geo": "commune" },
            { "name": "type_menage", "type": "string", "role": "dimension" },
            { "name": "prestation", "type": "string", "role": "dimension" },
            { "name": "montant_mensuel", "type": "number", "role": "measure", "constraints": { "minimum": 0 } }
          ]
        }
        """;

    public const string MixedSchema = """
        {
          "fields": [
            { "name": "id", "type": "integer", "role": "unit-id" },
            { "name": "iris", "type": "string", "role": "geo", "geo": "iris" },
            { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv", "constraints": { "required": false } },
            { "name": "epci", "type": "string", "role": "geo", "geo": "epci" },
            { "name": "annee", "type": "integer", "role": "dimension" },
            { "name": "jour", "type": "date", "role": "dimension" },
            { "name": "actif", "type": "boolean", "role": "dimension" },
            { "name": "categorie", "type": "string", "role": "dimension", "constraints": { "enum": ["A", "B"] } },
            { "name": "montant", "type": "number", "role": "measure", "constraints": { "minimum": -100, "maximum": 100, "required": false } },
            { "name": "nombre", "type": "integer", "role": "measure", "constraints": { "minimum": 0 } }
          ]
        }
        """;

    private static readonly Lazy<Contract> DemoContract = new(() =>
    {
        var result = ContractLoader.Load([Paths.DemoContract]);
        result.Errors.ShouldBeEmpty();
        return result.Contracts[0];
    });

    public static Contract Demo => DemoContract.Value;

    public static DatasetDeclaration Caf => Demo.FindDataset(CafDataset)!;

    /// <summary>Territory: communes 44901 and 44902, QPV QN04401M (2024) and QP044001 (2015), EPCI 200099999.</summary>
    public static Contract Mixed { get; } = new()
    {
        Id = "cdv-test",
        Title = "Contrat de test",
        Territory = new Territory
        {
            EpciCode = "200099999",
            EpciName = "Métropole Test",
            Communes = [new Commune("44901", "Une"), new Commune("44902", "Deux")],
            Qpv = [new Qpv("QN04401M", "Quartier", "44901")],
            Qpv2015 = [new Qpv("QP044001", "Ancien quartier", "44901")],
        },
        Start = new DateOnly(2024, 1, 1),
        End = new DateOnly(2030, 12, 31),
        Signatories = [new Signatory { Id = "caf-44", Name = "CAF", Kind = OrganisationKind.Caf, DpoContact = "dpo@caf.example" }],
        Purposes = [new Purpose("observation", "Observation", null)],
        ProhibitedPurposes = [],
        Datasets =
        [
            new DatasetDeclaration
            {
                Id = "mixte",
                Provider = "caf-44",
                Title = "Jeu mixte",
                Dimensions =
                [
                    new DimensionDeclaration { Name = "iris", Geo = GeoLevel.Iris },
                    new DimensionDeclaration { Name = "qpv", Geo = GeoLevel.Qpv },
                    new DimensionDeclaration { Name = "epci", Geo = GeoLevel.Epci },
                    new DimensionDeclaration { Name = "annee", Values = ["2023", "2024"] },
                    new DimensionDeclaration { Name = "jour", Values = ["2024-01-31", "2024-02-29"] },
                    new DimensionDeclaration { Name = "actif", Values = ["true", "false"] },
                    new DimensionDeclaration { Name = "categorie", Values = ["A", "B", "C"] },
                ],
                Measures = [new MeasureDeclaration("foyers", MeasureKind.Count, null), new MeasureDeclaration("montant", MeasureKind.Sum, "EUR"), new MeasureDeclaration("nombre", MeasureKind.Sum, null)],
            },
            new DatasetDeclaration
            {
                Id = "ancien",
                Provider = "caf-44",
                Title = "Zonage 2015",
                Zoning = Zoning.Qpv2015,
                Dimensions = [new DimensionDeclaration { Name = "qpv", Geo = GeoLevel.Qpv }],
                Measures = [new MeasureDeclaration("foyers", MeasureKind.Count, null)],
            },
        ],
        Clauses = [],
    };

    public static DatasetDeclaration MixedDataset => Mixed.FindDataset("mixte")!;

    public static DatasetDeclaration Zoning2015Dataset => Mixed.FindDataset("ancien")!;

    /// <summary>Parses a schema that must be valid.</summary>
    public static DatasetSchema Schema(string json, Contract contract, DatasetDeclaration dataset)
    {
        var errors = new List<SchemaError>();
        using var document = JsonDocument.Parse(json);
        var schema = DatasetSchema.Parse(document.RootElement, contract, dataset, errors);
        errors.ShouldBeEmpty();
        return schema!;
    }
}
