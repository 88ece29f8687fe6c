using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Queries;

namespace DataClauses.Gateway.Federation;

/// <summary>The protected cells of one measure by one geographic dimension, as the holding node answered them.</summary>
/// <param name="Version">The version the holding node sliced.</param>
/// <param name="Fingerprint">Its protected cube's fingerprint.</param>
/// <param name="Slice">The cells (codes, published values or null, statuses), in the holding node's order.</param>
internal sealed record PeerSlice(string Version, string? Fingerprint, Slice Slice);

/// <summary>
/// Asks a holding node for protected cells on behalf of a caller of this node (the sides of an indicator across
/// nodes): a protected query sent with a node assertion, whose answer this node reads instead of relaying it. The
/// holding node decides, protects and audits as for any forwarded query; a secret cell comes back without a value.
/// </summary>
internal sealed class PeerQueries(PeerAssertions assertions, ContractCatalog contracts, IHttpClientFactory http)
{
    /// <summary>The cells of <paramref name="measure"/> by <paramref name="geoDimension"/> from <paramref name="holder"/>, or the problem it answered.</summary>
    public async Task<(PeerSlice? Slice, ApiProblem? Problem)> SliceAsync(
        Caller caller, PeerNode holder, string datasetId, string? version, string geoDimension, string measure, string? purpose, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(holder);
        var contract = contracts.FindDataset(datasetId)?.Contract.Id ?? string.Empty;
        var assertion = await assertions.CreateAsync(caller, holder.Id, contract, purpose, correlationId, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(holder.Url, "api/v1/queries"))
        {
            Content = JsonContent.Create(new { dataset = datasetId, version, purpose, dimensions = new[] { geoDimension }, measures = new[] { measure } }),
        };
        request.Headers.TryAddWithoutValidation(PeerAssertions.HeaderName, assertion);
        request.Headers.TryAddWithoutValidation(CorrelationId.HeaderName, correlationId);
        try
        {
            using var response = await http.CreateClient(PeerForwarder.HttpClientName).SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (!response.IsSuccessStatusCode)
            {
                var type = root.TryGetProperty("type", out var t) ? t.GetString()?.Split('/')[^1] : null;
                var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
                return (null, new ApiProblem((int)response.StatusCode, type ?? "peer-error", "Refusé par le nœud détenteur / Refused by the holding node", $"Node '{holder.Id}': {detail}"));
            }

            var rows = new List<SliceRow>();
            foreach (var cell in root.GetProperty("cells").EnumerateArray())
            {
                var value = cell.GetProperty(measure) is { ValueKind: JsonValueKind.Number } v ? v.GetDecimal() : (decimal?)null;
                var status = cell.GetProperty("status").GetString() switch
                {
                    "published" => CellStatus.Published,
                    "rounded" => CellStatus.Rounded,
                    _ => CellStatus.SuppressedSecondary, // "secret": which kind is not told, and never matters here
                };
                rows.Add(new SliceRow([cell.GetProperty(geoDimension).GetString()!], [value], status, rows.Count));
            }

            var answered = response.Headers.TryGetValues("DataClauses-Version", out var versions) ? versions.First() : version ?? string.Empty;
            var fingerprint = root.TryGetProperty("cube", out var cube) && cube.TryGetProperty("fingerprint", out var f) ? f.GetString() : null;
            return (new PeerSlice(answered, fingerprint, new Slice([], [], rows)), null);
        }
        catch (Exception e) when ((PeerFailures.IsPeerFailure(e) || e is JsonException or KeyNotFoundException or InvalidOperationException) && !cancellationToken.IsCancellationRequested)
        {
            return (null, new ApiProblem(
                StatusCodes.Status502BadGateway,
                "peer-unavailable",
                "Nœud indisponible / Peer node unavailable",
                $"Node '{holder.Id}' ({holder.Url}), which holds dataset '{datasetId}', did not give its cells ({e.GetType().Name}). Nothing was changed here; try again later."));
        }
    }
}
