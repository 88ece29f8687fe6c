using System.Collections.Concurrent;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;

namespace DataClauses.Gateway.Federation;

/// <summary>
/// Extracts across nodes: an extract of datasets held by a peer is requested, produced and kept at that node (the
/// request is forwarded whole); afterwards its requester reaches it through this node, which finds the holding node by
/// asking its peers once (an extract id is 128 random bits and only its requester may read it) and then forwards the
/// reads, downloads and attestations there. One extract never mixes datasets of several nodes.
/// </summary>
internal sealed class PeerExtracts(NodeDirectory nodes, PeerAssertions assertions, IHttpClientFactory http)
{
    private readonly ConcurrentDictionary<string, (PeerNode Peer, string ContractId)> _holders = new(StringComparer.Ordinal);

    /// <summary>
    /// The node holding every dataset of the request (null when this node holds them all), or a 400 problem when they
    /// are held by several nodes.
    /// </summary>
    public (PeerNode? Holder, ApiProblem? Problem) HolderOf(IEnumerable<string?> datasets)
    {
        var holders = datasets.Select(d => d is null ? null : nodes.HolderOf(d)).ToList();
        if (holders.All(h => h is null))
        {
            return (null, null);
        }

        return holders.Any(h => h is null) || holders.Select(h => h!.Id).Distinct(StringComparer.Ordinal).Count() > 1
            ? (null, new ApiProblem(
                StatusCodes.Status400BadRequest,
                "extract-across-nodes",
                "Extraction sur plusieurs nœuds / Extract across nodes",
                $"The tables are held by different nodes ({string.Join(", ", holders.Select(h => h?.Id ?? nodes.Self).Distinct(StringComparer.Ordinal))}): an extract is produced and kept where its rows are, so request one extract per node."))
            : (holders[0], null);
    }

    /// <summary>The peer holding extract <paramref name="id"/> of <paramref name="caller"/>, when one does (asked once per person, then remembered).</summary>
    public async Task<(PeerNode Peer, string ContractId)?> FindAsync(Caller caller, string id, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        // A node speaks to its peers for its own organisation's people only; and what one person found is theirs.
        if (!nodes.Enabled || caller.Node is not null || caller.Organisation != nodes.Self)
        {
            return null;
        }

        var key = caller.Subject + " " + id;
        if (_holders.TryGetValue(key, out var known))
        {
            return known;
        }

        foreach (var (peer, contractId) in nodes.PeersToAsk())
        {
            var assertion = await assertions.CreateAsync(caller, peer.Id, contractId, null, correlationId, cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer.Url, "api/v1/extracts/" + Uri.EscapeDataString(id)));
            request.Headers.TryAddWithoutValidation(PeerAssertions.HeaderName, assertion);
            request.Headers.TryAddWithoutValidation(CorrelationId.HeaderName, correlationId);
            try
            {
                using var response = await http.CreateClient(PeerForwarder.HttpClientName).SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    _holders[key] = (peer, contractId);
                    return (peer, contractId);
                }
            }
            catch (Exception e) when (PeerFailures.IsPeerFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                // That peer is down: it may be the holder, but the others are asked all the same.
            }
        }

        return null;
    }
}
