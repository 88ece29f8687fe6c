using System.Collections.Frozen;
using System.Security.Cryptography;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Model;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Federation;

/// <summary>A peer node as a contract lists it: its signatory id, base URL, and its key or key set address.</summary>
internal sealed record PeerNode(string Id, Uri Url, string? PublicKey, string? Jwks);

/// <summary>
/// Who holds what and whom this node trusts, read from the contracts this node enforces: a dataset is held by its
/// provider's node when the provider lists one (and federation is on), here otherwise; a peer is trusted for a
/// contract in force that lists its node. Each contract's hash (SHA-256 of its file) detects drift between nodes.
/// </summary>
internal sealed class NodeDirectory
{
    private readonly ContractCatalog _contracts;
    private readonly TimeProvider _clock;
    private readonly FrozenDictionary<string, string> _hashes;

    public NodeDirectory(ContractCatalog contracts, TimeProvider clock, IOptions<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _contracts = contracts;
        _clock = clock;
        Self = options.Value.NodeId;
        Enabled = options.Value.Federation.Enabled;
        _hashes = contracts.Contracts.Contracts.ToFrozenDictionary(c => c.Id, HashOf, StringComparer.Ordinal);
    }

    /// <summary>This node's id: the signatory running it.</summary>
    public string Self { get; }

    /// <summary>Whether federation is on.</summary>
    public bool Enabled { get; }

    /// <summary>The SHA-256 (hex) of the contract's file as this node loaded it.</summary>
    public string ContractHash(string contractId) => _hashes.TryGetValue(contractId, out var hash) ? hash : string.Empty;

    /// <summary>The node holding the dataset when it is not this one; null when this node holds it.</summary>
    public PeerNode? HolderOf(string datasetId)
    {
        if (!Enabled || _contracts.FindDataset(datasetId) is not ({ } contract, { } dataset) || dataset.Provider == Self)
        {
            return null;
        }

        return Peer(contract, dataset.Provider);
    }

    /// <summary>The problem of a request this node cannot serve because another node holds the dataset (421, naming it).</summary>
    public ApiProblem NotHeldHere(string datasetId, PeerNode holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return new ApiProblem(
            StatusCodes.Status421MisdirectedRequest,
            "not-held-here",
            "Jeu de données détenu par un autre nœud / Held by another node",
            $"Dataset '{datasetId}' is held by node '{holder.Id}' ({holder.Url}), not by this node ('{Self}'): send it there.")
        {
            Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["node"] = holder.Id, ["nodeUrl"] = holder.Url.ToString() },
        };
    }

    /// <summary>
    /// The peers whose catalogues this node reads: in each contract in force that lists this node, the other
    /// signatories with a node that provide a dataset; each with the first such contract (their assertions name it).
    /// </summary>
    public IReadOnlyList<(PeerNode Peer, string ContractId)> PeersToAsk()
    {
        var today = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        var peers = new Dictionary<string, (PeerNode, string)>(StringComparer.Ordinal);
        foreach (var contract in _contracts.Contracts.Contracts.Where(c => c.Start <= today && today <= c.End && c.FindSignatory(Self)?.Node is not null))
        {
            foreach (var provider in contract.Datasets.Select(d => d.Provider).Distinct(StringComparer.Ordinal).Where(p => p != Self))
            {
                if (Peer(contract, provider) is { } peer)
                {
                    peers.TryAdd(peer.Id, (peer, contract.Id));
                }
            }
        }

        return [.. peers.Values];
    }

    /// <summary>The contract in force with this id, or null.</summary>
    public Contract? ContractInForce(string contractId)
    {
        var today = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        return _contracts.Contracts.Contracts.FirstOrDefault(c => c.Id == contractId && c.Start <= today && today <= c.End);
    }

    /// <summary>The node of signatory <paramref name="id"/> in <paramref name="contract"/>, or null when it lists none.</summary>
    public static PeerNode? Peer(Contract contract, string id) =>
        contract.FindSignatory(id)?.Node is { } node && Uri.TryCreate(node.Url.TrimEnd('/') + "/", UriKind.Absolute, out var url)
            ? new PeerNode(id, url, node.PublicKey, node.Jwks)
            : null;

    private static string HashOf(Contract contract) =>
        contract.SourcePath is { } path && File.Exists(path) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : string.Empty;
}
