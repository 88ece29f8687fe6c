using System.Reflection;
using BenchmarkDotNet.Attributes;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Benchmarks;

/// <summary>
/// One decision of the policy engine, on the demo contract and on a generated set of 50 contracts × 30 clauses
/// (<see cref="ContractGenerator"/>). The goal: a median of at most 2 µs per decision on the large set, and no
/// allocation on the permit path beyond the <see cref="Decision"/> itself.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class DecisionBenchmarks
{
    private static readonly DateTimeOffset DemoInstant = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    // Between the generated contracts' two amendments: three periods, the middle one in force.
    private static readonly DateTimeOffset LargeInstant = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private ContractSet _demo = ContractSet.Empty;
    private ContractSet _large = ContractSet.Empty;
    private DecisionRequest _demoPermit = null!;
    private DecisionRequest _demoDeny = null!;
    private DecisionRequest _demoExtract = null!;
    private DecisionRequest _largePermitShallow = null!;
    private DecisionRequest _largePermit = null!;
    private DecisionRequest _largeDeny = null!;

    /// <summary>Loads the contracts and checks that every request takes the path its benchmark is named after.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var root = typeof(DecisionBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!;
        var demo = ContractLoader.Load([Path.Combine(root, "policies", "cdv-demo-2024-2030.yaml")]);
        _demo = demo.ToContractSet();
        _large = ContractGenerator.Load();

        var epciDemo = new Requester("ana-epci", "epci-demo", ["analyst"]);
        _demoPermit = Query(epciDemo, "caf-foyers-allocataires", "observation", ["qpv", "type_menage"], ["foyers"]);
        _demoDeny = Query(epciDemo, "caf-foyers-allocataires", "pilotage", ["qpv", "type_menage"], ["foyers"]);
        _demoExtract = Query(epciDemo, "ft-demandeurs-emploi", "observation", ["qpv", "categorie"], ["demandeurs"]) with
        {
            Action = PolicyAction.Extract,
            Retention = new IsoDuration(0, 3, 0, 0, 0, 0, 0),
        };

        // The first contract's EPCI on a dataset the first contract is the first to govern: one clause evaluated.
        var first = new Requester("ana-" + ContractGenerator.Epci(0), ContractGenerator.Epci(0), ["analyst"]);
        _largePermitShallow = Query(first, ContractGenerator.DatasetId(0, ContractGenerator.DatasetsPerContract - 1), "observation", ["qpv", "categorie"], ["effectif"]);

        // The last contract's EPCI on a dataset about 25 contracts govern: every earlier contract's clauses are
        // evaluated (and fail) before the last contract's first clause on it permits.
        const int last = ContractGenerator.ContractCount - 1;
        var epci = new Requester("ana-" + ContractGenerator.Epci(last), ContractGenerator.Epci(last), ["analyst"]);
        var dataset = ContractGenerator.DatasetId(last, ContractGenerator.DatasetsPerContract - 1);
        _largePermit = Query(epci, dataset, "observation", ["qpv", "categorie"], ["effectif"]);
        _largeDeny = Query(epci, dataset, "recherche", ["qpv", "categorie"], ["effectif"]);

        Expect(_demo, _demoPermit, DemoInstant, Effect.Permit, "caf-foyers-qpv");
        Expect(_demo, _demoDeny, DemoInstant, Effect.Deny, null);
        Expect(_demo, _demoExtract, DemoInstant, Effect.Permit, "ft-demandeurs-qpv");
        Expect(_large, _largePermitShallow, LargeInstant, Effect.Permit, "cl-09-a");
        Expect(_large, _largePermit, LargeInstant, Effect.Permit, "cl-09-a");
        Expect(_large, _largeDeny, LargeInstant, Effect.Deny, null);
        var governing = _large.FindDataset(dataset).Count();
        if (governing < 20)
        {
            throw new InvalidOperationException($"{dataset} is governed by {governing} contracts only; the large benchmark expects about 25.");
        }
    }

    /// <summary>The demo contract: an EPCI analyst queries CAF households per QPV for observation.</summary>
    [Benchmark]
    public Decision Demo_permitted_query() => DecisionEngine.Decide(_demo, _demoPermit, DemoInstant);

    /// <summary>The demo contract: the same query for a purpose the CAF clause does not grant.</summary>
    [Benchmark]
    public Decision Demo_denied_query() => DecisionEngine.Decide(_demo, _demoDeny, DemoInstant);

    /// <summary>The demo contract: an extract of job seekers kept three months (automatic approval, a retention deadline).</summary>
    [Benchmark]
    public Decision Demo_extract() => DecisionEngine.Decide(_demo, _demoExtract, DemoInstant);

    /// <summary>50 contracts × 30 clauses: a query the first contract's first clause on the dataset permits.</summary>
    [Benchmark]
    public Decision Large_permitted_query_shallow() => DecisionEngine.Decide(_large, _largePermitShallow, LargeInstant);

    /// <summary>50 contracts × 30 clauses: a query the last contract permits on a dataset 25 contracts govern.</summary>
    [Benchmark]
    public Decision Large_permitted_query_deep() => DecisionEngine.Decide(_large, _largePermit, LargeInstant);

    /// <summary>50 contracts × 30 clauses: the same query for a purpose no clause grants that EPCI (every reason collected).</summary>
    [Benchmark]
    public Decision Large_denied_query_deep() => DecisionEngine.Decide(_large, _largeDeny, LargeInstant);

    private static DecisionRequest Query(Requester requester, string dataset, string purpose, string[] dimensions, string[] measures) => new()
    {
        Requester = requester,
        Action = PolicyAction.Query,
        Dataset = dataset,
        Purpose = purpose,
        Dimensions = dimensions,
        Measures = measures,
    };

    private static void Expect(ContractSet contracts, DecisionRequest request, DateTimeOffset at, Effect effect, string? clause)
    {
        var decision = DecisionEngine.Decide(contracts, request, at);
        if (decision.Effect != effect || decision.Clause?.Id != clause)
        {
            throw new InvalidOperationException(
                $"Expected {effect} by {clause ?? "no clause"} on {request.Dataset}, got {decision.Effect} by {decision.Clause?.Id ?? "no clause"}: "
                + string.Join("; ", decision.Reasons.Take(5).Select(r => $"{r.Rule} {r.ClauseId} {r.Subject}")));
        }
    }
}
