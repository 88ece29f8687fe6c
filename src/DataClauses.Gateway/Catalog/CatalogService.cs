using System.Globalization;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Federation;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Catalog;

/// <summary>One dataset of the catalogue as a caller sees it.</summary>
/// <param name="Contract">The contract declaring the dataset.</param>
/// <param name="Dataset">The dataset's declaration.</param>
/// <param name="Clauses">The clauses of that contract in force on the dataset today.</param>
/// <param name="Granted">Those of <paramref name="Clauses"/> that the caller's organisation receives.</param>
/// <param name="Entity">The declared schema, or null before its declaration.</param>
/// <param name="Versions">The published versions, oldest first.</param>
/// <param name="Holder">The catalogue of the peer node holding the dataset (federation), or null when this node holds it.</param>
internal sealed record CatalogEntry(
    Contract Contract, DatasetDeclaration Dataset, IReadOnlyList<Clause> Clauses, IReadOnlyList<Clause> Granted,
    DatasetEntity? Entity, IReadOnlyList<DatasetVersionEntity> Versions, PeerCatalog? Holder = null)
{
    /// <summary>The signatory holding the dataset, when the contract names it.</summary>
    public Signatory? Provider => Contract.FindSignatory(Dataset.Provider);

    /// <summary>The current version, or null before the first publication.</summary>
    public DatasetVersionEntity? Latest => Versions.Count == 0 ? null : Versions[^1];

    /// <summary>published, awaiting-publication or awaiting-declaration.</summary>
    public string Status => Latest is not null ? "published" : Entity is null ? "awaiting-declaration" : "awaiting-publication";
}

/// <summary>
/// The catalogue a caller may see (<c>GET /api/v1/catalog</c> and the portal's catalogue pages): every dataset of the
/// node's contracts whose provider is the caller's organisation or which it receives under a clause in force.
/// </summary>
internal sealed class CatalogService(ContractCatalog contracts, GatewayDbContext db, AuditService audit, NodeDirectory nodes, PeerCatalogs peers, TimeProvider clock)
{
    /// <summary>Whether the caller's organisation provides the dataset or receives it under a clause in force (or an open one).</summary>
    public static bool CanSee(Caller caller, DatasetDeclaration dataset, IEnumerable<(Contract Contract, Clause Clause)> clauses) =>
        string.Equals(caller.Organisation, dataset.Provider, StringComparison.Ordinal)
        || clauses.Any(c => IsRecipient(caller, c.Contract, c.Clause));

    /// <summary>Whether the clause is open or names the caller's organisation, or its kind, among its recipients.</summary>
    public static bool IsRecipient(Caller caller, Contract contract, Clause clause) =>
        clause.Publication?.Tier == Tier.Open
        || clause.Recipients.Organisations.Contains(caller.Organisation, StringComparer.Ordinal)
        || (contract.FindSignatory(caller.Organisation) is { } signatory && clause.Recipients.Kinds.Contains(signatory.Kind));

    /// <summary>The datasets the caller may see, in contract order; records one <c>catalog.read</c> audit event.</summary>
    public async Task<IReadOnlyList<CatalogEntry>> ReadAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var declared = await db.Datasets.AsNoTracking().ToDictionaryAsync(d => d.DatasetId, StringComparer.Ordinal, cancellationToken);
        var versions = (await db.DatasetVersions.AsNoTracking().ToListAsync(cancellationToken))
            .GroupBy(v => v.DatasetId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);

        var entries = new List<CatalogEntry>();
        foreach (var contract in contracts.Contracts.Contracts)
        {
            foreach (var dataset in contract.Datasets)
            {
                var clauses = contracts.Contracts.ClausesInForce(dataset.Id, today).Where(c => c.Contract.Id == contract.Id).ToList();
                if (!CanSee(caller, dataset, clauses))
                {
                    continue;
                }

                declared.TryGetValue(dataset.Id, out var entity);
                versions.TryGetValue(dataset.Id, out var datasetVersions);
                var inForce = clauses.Select(c => c.Clause).ToList();
                var granted = inForce.Where(c => IsRecipient(caller, contract, c)).ToList();
                if (nodes.HolderOf(dataset.Id) is { } holder)
                {
                    // Held by a peer: its schema and versions as its catalogue said when last fetched.
                    var catalog = peers.Of(holder.Id) ?? new PeerCatalog(holder.Id, new Dictionary<string, PeerDataset>(), null, null, "not-fetched-yet");
                    catalog.Datasets.TryGetValue(dataset.Id, out var held);
                    entries.Add(new CatalogEntry(contract, dataset, inForce, granted, FromPeer(contract, dataset, held), FromPeer(held), catalog));
                    continue;
                }

                entries.Add(new CatalogEntry(contract, dataset, inForce, granted, entity, datasetVersions ?? []));
            }
        }

        var auditEvent = audit.Create("catalog.read", "success") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["datasets"] = entries.Count.ToString(CultureInfo.InvariantCulture) },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
        return entries;
    }

    private static DatasetEntity? FromPeer(Contract contract, DatasetDeclaration dataset, PeerDataset? held) => held?.Schema is not { } schema ? null : new DatasetEntity
    {
        DatasetId = dataset.Id,
        ContractId = contract.Id,
        ProviderId = dataset.Provider,
        Title = dataset.Title,
        SchemaJson = schema,
        UnitIdKey = string.Empty,
        DeclaredBy = dataset.Provider,
    };

    private static List<DatasetVersionEntity> FromPeer(PeerDataset? held) => [.. (held?.Versions ?? []).Select(v => new DatasetVersionEntity
    {
        DatasetId = held!.Id,
        Version = v.Version,
        TableName = string.Empty,
        RowCount = v.RowCount,
        ContentSha256 = v.ContentSha256,
        SchemaJson = held.Schema ?? "{}",
        PublishedAt = v.PublishedAt,
        PublishedBy = held.Provider,
    })];
}
