using System.Collections.Frozen;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Engine;

/// <summary>
/// Validated contracts indexed for decisions: dataset → the contracts governing it → the clauses in force
/// in each period between amendments. Built once at load; deciding reads it and never scans every clause.
/// </summary>
public sealed class ContractSet
{
    private ContractSet(IReadOnlyList<Contract> contracts, FrozenDictionary<string, DatasetEntry[]> byDataset)
    {
        Contracts = contracts;
        ByDataset = byDataset;
        Index = byDataset.ToFrozenDictionary(p => p.Key, p => new DatasetIndex(p.Value), StringComparer.Ordinal);
    }

    /// <summary>The contracts.</summary>
    public IReadOnlyList<Contract> Contracts { get; }

    internal FrozenDictionary<string, DatasetEntry[]> ByDataset { get; }

    /// <summary>Per dataset: the entries relevant to each organisation and the contracts prohibiting each purpose.</summary>
    internal FrozenDictionary<string, DatasetIndex> Index { get; }

    /// <summary>An empty set (denies everything).</summary>
    public static ContractSet Empty { get; } = Create([]);

    /// <summary>Indexes validated contracts.</summary>
    public static ContractSet Create(IEnumerable<Contract> contracts)
    {
        var list = contracts.ToList();
        var byDataset = new Dictionary<string, List<DatasetEntry>>(StringComparer.Ordinal);
        foreach (var contract in list)
        {
            var compiled = new CompiledContract(contract);

            // The periods between amendments: the clauses in force change only on these days.
            var starts = new[] { contract.Start }
                .Concat(contract.Amendments.Select(a => a.Effective))
                .Where(d => d >= contract.Start)
                .Distinct()
                .Order()
                .ToArray();
            var periods = starts.Select(start => (Start: start, Clauses: contract.ClausesAt(start))).ToArray();

            foreach (var dataset in contract.Datasets)
            {
                var timeline = periods
                    .Select(p => new ClausePeriod(p.Start, [.. p.Clauses
                        .Where(c => string.Equals(c.Dataset, dataset.Id, StringComparison.Ordinal))
                        .Select(c => new CompiledClause(compiled, dataset, c))]))
                    .ToArray();
                if (!byDataset.TryGetValue(dataset.Id, out var entries))
                {
                    byDataset[dataset.Id] = entries = [];
                }

                entries.Add(new DatasetEntry(compiled, dataset, timeline));
            }
        }

        return new ContractSet(list, byDataset.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
    }

    /// <summary>The contracts that declare a dataset.</summary>
    public IEnumerable<(Contract Contract, DatasetDeclaration Dataset)> FindDataset(string datasetId) =>
        ByDataset.TryGetValue(datasetId, out var entries) ? entries.Select(e => (e.Contract.Contract, e.Dataset)) : [];

    /// <summary>The clauses governing a dataset on a given day, with their contract.</summary>
    public IEnumerable<(Contract Contract, Clause Clause)> ClausesInForce(string datasetId, DateOnly day)
    {
        if (!ByDataset.TryGetValue(datasetId, out var entries))
        {
            yield break;
        }

        foreach (var entry in entries)
        {
            if (!entry.Contract.Contract.IsInForce(day))
            {
                continue;
            }

            foreach (var clause in entry.PeriodAt(day).Clauses)
            {
                yield return (entry.Contract.Contract, clause.Clause);
            }
        }
    }
}

/// <summary>
/// What deciding on one dataset needs, precomputed: the entries an organisation can be granted anything by (the
/// contracts it signs, plus those with an open-tier clause), and the contracts prohibiting each purpose.
/// </summary>
internal sealed class DatasetIndex
{
    public DatasetIndex(DatasetEntry[] entries)
    {
        All = entries;
        OpenOnly = [.. entries.Where(e => e.HasOpenClause)];
        var organisations = entries.SelectMany(e => e.Contract.Kinds.Keys).Distinct(StringComparer.Ordinal);
        ByOrganisation = organisations.ToFrozenDictionary(
            o => o,
            o => entries.Where(e => e.HasOpenClause || e.Contract.Kinds.ContainsKey(o)).ToArray(),
            StringComparer.Ordinal);
        Prohibiting = entries.SelectMany(e => e.Contract.Prohibited.Select(p => (Purpose: p, e.Contract)))
            .GroupBy(p => p.Purpose, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(p => p.Contract).Distinct().ToArray(), StringComparer.Ordinal);
    }

    public DatasetEntry[] All { get; }

    public DatasetEntry[] OpenOnly { get; }

    public FrozenDictionary<string, DatasetEntry[]> ByOrganisation { get; }

    public FrozenDictionary<string, CompiledContract[]> Prohibiting { get; }

    /// <summary>The entries that could grant anything to an organisation, in contract order.</summary>
    public DatasetEntry[] RelevantTo(string organisation) =>
        ByOrganisation.TryGetValue(organisation, out var entries) ? entries : OpenOnly;
}

/// <summary>One contract's view of one dataset: its clauses over time.</summary>
internal sealed class DatasetEntry(CompiledContract contract, DatasetDeclaration dataset, ClausePeriod[] timeline)
{
    public CompiledContract Contract { get; } = contract;

    public DatasetDeclaration Dataset { get; } = dataset;

    public ClausePeriod[] Timeline { get; } = timeline;

    /// <summary>Whether any period has an open-tier clause (granted to every organisation).</summary>
    public bool HasOpenClause { get; } = timeline.Any(p => p.Clauses.Any(c => c.Is(Tier.Open)));

    /// <summary>The last period starting on or before <paramref name="day"/> (the first one before the contract starts).</summary>
    public ClausePeriod PeriodAt(DateOnly day)
    {
        var periods = Timeline;
        var found = periods[0];
        for (var i = 1; i < periods.Length && periods[i].Start <= day; i++)
        {
            found = periods[i];
        }

        return found;
    }
}

/// <summary>The clauses on one dataset in force from <see cref="Start"/> until the next period.</summary>
internal sealed class ClausePeriod
{
    public ClausePeriod(DateOnly start, CompiledClause[] clauses)
    {
        Start = start;
        Clauses = clauses;
        Open = [.. clauses.Where(c => c.IsOpen)];
        var organisations = clauses.Length == 0 ? [] : clauses[0].Contract.Kinds.Keys.ToArray();
        ForRecipient = organisations.ToFrozenDictionary(
            o => o,
            o => clauses.Where(c => c.IsOpen || c.Organisations.Contains(o, StringComparer.Ordinal) || (c.KindMask & (1 << (int)c.Contract.Kinds[o])) != 0).ToArray(),
            StringComparer.Ordinal);
        ForProvider = clauses.GroupBy(c => c.Clause.Provider, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    public DateOnly Start { get; }

    /// <summary>Every clause in force in the period, in contract order.</summary>
    public CompiledClause[] Clauses { get; }

    private CompiledClause[] Open { get; }

    private FrozenDictionary<string, CompiledClause[]> ForRecipient { get; }

    private FrozenDictionary<string, CompiledClause[]> ForProvider { get; }

    /// <summary>
    /// The clauses that could permit an action to an organisation, in contract order: those it receives (or open
    /// ones) for queries and extracts, those it provides for publishing, approving and reading the audit.
    /// </summary>
    public CompiledClause[] CandidatesFor(PolicyAction action, string organisation) => action is PolicyAction.Query or PolicyAction.Extract
        ? ForRecipient.TryGetValue(organisation, out var received) ? received : Open
        : ForProvider.TryGetValue(organisation, out var provided) ? provided : [];
}

/// <summary>A contract with lookups for deciding.</summary>
internal sealed class CompiledContract
{
    public CompiledContract(Contract contract)
    {
        Contract = contract;
        Kinds = contract.Signatories.ToFrozenDictionary(s => s.Id, s => s.Kind, StringComparer.Ordinal);
        Nodes = contract.Signatories.Where(s => s.Node is not null).Select(s => s.Id).ToFrozenSet(StringComparer.Ordinal);
        Purposes = contract.Purposes.Select(p => p.Id).ToFrozenSet(StringComparer.Ordinal);
        Prohibited = contract.ProhibitedPurposes.Select(p => p.Id).ToFrozenSet(StringComparer.Ordinal);
        Qpv2024Codes = contract.Territory.Qpv.Select(q => q.Code).ToFrozenSet(StringComparer.Ordinal);
        Qpv2015Codes = contract.Territory.Qpv2015.Select(q => q.Code).ToFrozenSet(StringComparer.Ordinal);
        CommuneCodes = contract.Territory.Communes.Select(c => c.Code).ToFrozenSet(StringComparer.Ordinal);
        EpciCode = contract.Territory.EpciCode;

        // The contract ends at the end of its last day.
        EndInstant = new DateTimeOffset(contract.End.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    }

    public Contract Contract { get; }

    public FrozenDictionary<string, OrganisationKind> Kinds { get; }

    public FrozenSet<string> Nodes { get; }

    public FrozenSet<string> Purposes { get; }

    public FrozenSet<string> Prohibited { get; }

    /// <summary>The 2024 QPV codes of the territory.</summary>
    public FrozenSet<string> Qpv2024Codes { get; }

    /// <summary>The 2015 QPV codes of the territory (for clauses in the 2015 zoning).</summary>
    public FrozenSet<string> Qpv2015Codes { get; }

    /// <summary>The INSEE codes of the territory's communes.</summary>
    public FrozenSet<string> CommuneCodes { get; }

    /// <summary>The EPCI's SIREN code.</summary>
    public string EpciCode { get; }

    public DateTimeOffset EndInstant { get; }

    /// <summary>
    /// Whether a geographic code of the given level belongs to the territory: a QPV code of the clause's zoning for
    /// the QPV level, a commune code for the commune level, the EPCI's code for the EPCI level, and for IRIS a 9-digit
    /// code starting with one of the communes' codes. A code of another level never passes (a commune code is not a QPV).
    /// </summary>
    public bool InTerritory(GeoLevel level, Zoning zoning, string code) => level switch
    {
        GeoLevel.Qpv => (zoning == Zoning.Qpv2015 ? Qpv2015Codes : Qpv2024Codes).Contains(code),
        GeoLevel.Commune => CommuneCodes.Contains(code),
        GeoLevel.Epci => string.Equals(code, EpciCode, StringComparison.Ordinal),
        GeoLevel.Iris => IsIrisOfTerritory(code),
        _ => false,
    };

    private bool IsIrisOfTerritory(string code)
    {
        // An IRIS code is its commune's INSEE code followed by four digits.
        if (code.Length != 9)
        {
            return false;
        }

        for (var i = 5; i < 9; i++)
        {
            if (!char.IsAsciiDigit(code[i]))
            {
                return false;
            }
        }

        return CommuneCodes.GetAlternateLookup<ReadOnlySpan<char>>().Contains(code.AsSpan(0, 5));
    }
}

/// <summary>A clause with its lookups, its precomputed obligations and its permit reasons.</summary>
internal sealed class CompiledClause
{
    public CompiledClause(CompiledContract contract, DatasetDeclaration dataset, Clause clause)
    {
        Contract = contract;
        Dataset = dataset;
        Clause = clause;
        Purposes = [.. clause.Purposes];
        Dimensions = [.. clause.Dimensions];
        Measures = [.. clause.Measures];
        Roles = [.. clause.Recipients.Roles];
        Organisations = [.. clause.Recipients.Organisations];
        foreach (var kind in clause.Recipients.Kinds)
        {
            KindMask |= 1 << (int)kind;
        }

        GeoLevels = dataset.Dimensions.Where(d => d.Geo is not null).ToFrozenDictionary(d => d.Name, d => d.Geo!.Value, StringComparer.Ordinal);
        Values = dataset.Dimensions.Where(d => d.Values.Count > 0).ToFrozenDictionary(d => d.Name, d => d.Values.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);
        Obligations = Obligations.Of(clause);
        IsOpen = clause.Publication?.Tier == Tier.Open;
        PermitReasons = [new Reason(Rules.ClausePermits, contract.Contract.Id, clause.Id, null)];
        ApprovalReasons = [new Reason(Rules.ApprovalRequired, contract.Contract.Id, clause.Id, clause.Approval.ToWire())];
        RolesSubject = string.Join('|', Roles);
    }

    public CompiledContract Contract { get; }

    public DatasetDeclaration Dataset { get; }

    public Clause Clause { get; }

    public string[] Purposes { get; }

    public string[] Dimensions { get; }

    public string[] Measures { get; }

    public string[] Roles { get; }

    public string[] Organisations { get; }

    /// <summary>The roles the clause accepts, as the subject of a role-not-permitted reason (computed once).</summary>
    public string RolesSubject { get; }

    public int KindMask { get; }

    public FrozenDictionary<string, GeoLevel> GeoLevels { get; }

    public FrozenDictionary<string, FrozenSet<string>> Values { get; }

    public Obligations Obligations { get; }

    public Reason[] PermitReasons { get; }

    public Reason[] ApprovalReasons { get; }

    public bool Is(Tier tier) => Clause.Publication?.Tier == tier;

    /// <summary>Whether the clause is in the open tier (granted to every organisation and role).</summary>
    public bool IsOpen { get; }
}
