using DataClauses.Policy.Engine;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>The demo contract, loaded once, and requests on it.</summary>
internal static class Demo
{
    private static readonly Lazy<ContractSet> LazyContracts = new(() => ContractLoader.Load([Paths.DemoContract]).ToContractSet());

    /// <summary>1 March 2025, 10:00 UTC: the contract is in force, amendment 1 is not yet.</summary>
    public static readonly DateTimeOffset March2025 = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    public static ContractSet Contracts => LazyContracts.Value;

    public static Requester EpciAnalyst { get; } = new("ana-epci", "epci-demo", ["analyst"]);

    /// <summary>An EPCI analyst's query of CAF households per QPV for observation, which caf-foyers-qpv permits.</summary>
    public static DecisionRequest CafQuery { get; } = new()
    {
        Requester = EpciAnalyst,
        Action = PolicyAction.Query,
        Dataset = "caf-foyers-allocataires",
        Dimensions = ["qpv", "type_menage"],
        Measures = ["foyers"],
        Purpose = "observation",
    };

    /// <summary>An EPCI analyst's automatic extract of job seekers per QPV, which ft-demandeurs-qpv permits.</summary>
    public static DecisionRequest FtExtract { get; } = new()
    {
        Requester = EpciAnalyst,
        Action = PolicyAction.Extract,
        Dataset = "ft-demandeurs-emploi",
        Dimensions = ["qpv", "categorie"],
        Measures = ["demandeurs"],
        Purpose = "observation",
        Retention = Duration("P3M"),
    };

    public static Decision Decide(DecisionRequest request) => DecisionEngine.Decide(Contracts, request, March2025);

    /// <summary>Every message of every reason, in French and English.</summary>
    public static IEnumerable<string> MessageTexts(this Decision decision) =>
        decision.Reasons.SelectMany(r => new[] { r.MessageFr, r.MessageEn });

    public static IsoDuration Duration(string text) =>
        IsoDuration.TryParse(text, out var duration) ? duration : throw new ArgumentException($"not a duration: {text}", nameof(text));
}
