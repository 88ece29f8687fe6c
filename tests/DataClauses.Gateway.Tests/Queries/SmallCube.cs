using DataClauses.Gateway.Queries;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Tests.Queries;

/// <summary>
/// A small contract built in code: EPCI 200099999 ⊃ communes 44901 (QPV QN04401M, QN04402M) and 44902 (QPV
/// QN04403N); dataset <c>d</c> with geographic dimensions qpv, commune and iris, a category <c>type</c> (a, b), a
/// count <c>n</c> and a sum <c>m</c>; clause <c>c</c> over qpv, commune and type with a minimum count of 3.
/// </summary>
internal static class SmallCube
{
    public const string Q1 = "QN04401M";
    public const string Q2 = "QN04402M";
    public const string Q3 = "QN04403N";

    public static DatasetDeclaration Dataset { get; } = new()
    {
        Id = "d",
        Provider = "caf-44",
        Title = "Petit jeu",
        Dimensions =
        [
            new DimensionDeclaration { Name = "qpv", Geo = GeoLevel.Qpv },
            new DimensionDeclaration { Name = "commune", Geo = GeoLevel.Commune },
            new DimensionDeclaration { Name = "iris", Geo = GeoLevel.Iris },
            new DimensionDeclaration { Name = "type", Values = ["a", "b"] },
            new DimensionDeclaration { Name = "libre" },
        ],
        Measures = [new MeasureDeclaration("n", MeasureKind.Count, null), new MeasureDeclaration("m", MeasureKind.Sum, "EUR")],
    };

    public static Contract Contract { get; } = new()
    {
        Id = "cdv-small",
        Title = "Petit contrat",
        Territory = new Territory
        {
            EpciCode = "200099999",
            EpciName = "Métropole Test",
            Communes = [new Commune("44901", "Une"), new Commune("44902", "Deux"), new Commune("44903", "Sans quartier")],
            Qpv = [new Qpv(Q1, "Un", "44901"), new Qpv(Q2, "Deux", "44901"), new Qpv(Q3, "Trois", "44902")],
        },
        Start = new DateOnly(2024, 1, 1),
        End = new DateOnly(2030, 12, 31),
        Signatories = [new Signatory { Id = "caf-44", Name = "CAF", Kind = OrganisationKind.Caf, DpoContact = "dpo@caf.example" }],
        Purposes = [new Purpose("observation", "Observation", null)],
        ProhibitedPurposes = [],
        Datasets = [Dataset],
        Clauses = [Clause()],
    };

    public static Clause Clause(IReadOnlyList<string>? dimensions = null, int minCount = 3, int amendment = 0) => new()
    {
        Id = "c",
        Provider = "caf-44",
        Dataset = "d",
        Recipients = new Recipients { Organisations = ["caf-44"] },
        Purposes = ["observation"],
        Dimensions = dimensions ?? ["qpv", "commune", "type"],
        Measures = ["n", "m"],
        FinestGeography = GeoLevel.Iris,
        Disclosure = new DisclosureRules { MinCount = minCount },
        LegalBasis = "RGPD art. 6.1.e",
        Amendment = amendment,
    };

    public static Obligations ObligationsOf(Clause clause) => Obligations.Of(clause);

    public static CubeDefinition Definition(Clause? clause = null)
    {
        clause ??= Clause();
        return CubeDefinition.Create(Contract, Dataset, clause, ObligationsOf(clause));
    }

    /// <summary>Leaf counts: (Q1, b) has 2 units, below the minimum; every other leaf has enough. Sums are 10.25 per unit.</summary>
    public static IReadOnlyList<LeafAggregate> Aggregates { get; } =
    [
        Leaf(Q1, "a", 10),
        Leaf(Q1, "b", 2),
        Leaf(Q2, "a", 8),
        Leaf(Q2, "b", 9),
        Leaf(Q3, "a", 7),
        Leaf(Q3, "b", 6),
    ];

    public static ProtectedCube Cube { get; } = CubeBuilder.FromAggregates(Definition(), "2024-12-31", Aggregates, null, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static LeafAggregate Leaf(string qpv, string type, long count) => new([qpv, type], count, [count * 10.25]);
}
