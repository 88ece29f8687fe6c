using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Federation;

/// <summary>A version of a dataset as its holding node lists it to peers.</summary>
internal sealed record PeerVersion(string Version, long RowCount, DateTimeOffset PublishedAt, string ContentSha256);

/// <summary>A dataset as its holding node lists it to peers: its declared schema (JSON) and versions, oldest first.</summary>
internal sealed record PeerDataset(string Id, string Provider, string? Schema, IReadOnlyList<PeerVersion> Versions);

/// <summary>What this node knows of a peer's catalogue: the datasets of its last successful fetch, when, and the last error.</summary>
internal sealed record PeerCatalog(string Node, IReadOnlyDictionary<string, PeerDataset> Datasets, DateTimeOffset? FetchedAt, DateTimeOffset? AttemptedAt, string? Error)
{
    /// <summary>Stale when the last fetch failed or never succeeded: the entries are those of <see cref="FetchedAt"/>.</summary>
    public bool Stale => Error is not null || FetchedAt is null;
}

/// <summary>The body of <c>GET /federation/v1/catalog</c>.</summary>
internal sealed record PeerCatalogBody(string Node, IReadOnlyList<PeerDataset> Datasets);

/// <summary>
/// Catalogue federation: each node serves the catalogue of the datasets its organisation provides to its peers
/// (<c>GET /federation/v1/catalog</c>, peer-authenticated), and fetches its peers' every
/// <see cref="FederationOptions.CatalogRefreshInterval"/>. A peer that is down keeps its last entries, marked stale
/// with the time of the last successful fetch: the catalogue never fails because a peer does.
/// </summary>
internal sealed partial class PeerCatalogs(
    NodeDirectory nodes,
    PeerAssertions assertions,
    IHttpClientFactory http,
    TimeProvider clock,
    ILogger<PeerCatalogs> logger)
{
    public const string Path = "/federation/v1/catalog";
    public const string HttpClientName = "federation-catalog";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly ConcurrentDictionary<string, PeerCatalog> _catalogs = new(StringComparer.Ordinal);

    /// <summary>What is known of the catalogue of <paramref name="node"/>, or null before any attempt.</summary>
    public PeerCatalog? Of(string node) => _catalogs.TryGetValue(node, out var catalog) ? catalog : null;

    /// <summary>Fetches every peer's catalogue once (the peers holding a dataset of a contract in force that lists this node).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var (peer, contractId) in nodes.PeersToAsk())
        {
            var previous = Of(peer.Id);
            try
            {
                var self = new Caller("node:" + nodes.Self, null, nodes.Self, []);
                var assertion = await assertions.CreateAsync(self, peer.Id, contractId, null, Guid.NewGuid().ToString("N"), cancellationToken);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer.Url, Path.TrimStart('/')));
                request.Headers.TryAddWithoutValidation(PeerAssertions.HeaderName, assertion);
                using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }

                var body = await response.Content.ReadFromJsonAsync<PeerCatalogBody>(Json, cancellationToken)
                    ?? throw new JsonException("empty catalogue");
                var held = body.Datasets.Where(d => nodes.HolderOf(d.Id)?.Id == peer.Id).ToDictionary(d => d.Id, StringComparer.Ordinal);
                var now = clock.GetUtcNow();
                _catalogs[peer.Id] = new PeerCatalog(peer.Id, held, now, now, null);
            }
            catch (Exception e) when ((PeerFailures.IsPeerFailure(e) || e is JsonException or NotSupportedException) && !cancellationToken.IsCancellationRequested)
            {
                LogFetchFailed(logger, peer.Id, e.Message);
                _catalogs[peer.Id] = new PeerCatalog(peer.Id, previous?.Datasets ?? new Dictionary<string, PeerDataset>(), previous?.FetchedAt, clock.GetUtcNow(), e.GetType().Name);
            }
        }
    }

    /// <summary>The catalogue this node serves its peers: the datasets its own organisation provides, with their versions.</summary>
    public static async Task<PeerCatalogBody> ServeAsync(NodeDirectory nodes, GatewayDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(db);
        var mine = await db.Datasets.AsNoTracking().Where(d => d.ProviderId == nodes.Self).ToListAsync(cancellationToken);
        var ids = mine.Select(d => d.DatasetId).ToList();
        var versions = (await db.DatasetVersions.AsNoTracking().Where(v => ids.Contains(v.DatasetId)).ToListAsync(cancellationToken))
            .GroupBy(v => v.DatasetId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal).Select(v => new PeerVersion(v.Version, v.RowCount, v.PublishedAt, v.ContentSha256)).ToList(), StringComparer.Ordinal);
        return new PeerCatalogBody(nodes.Self, [.. mine.Select(d => new PeerDataset(d.DatasetId, d.ProviderId, d.SchemaJson, versions.TryGetValue(d.DatasetId, out var v) ? v : []))]);
    }

    /// <summary><c>GET /federation/v1/catalog</c> for peers only (the peer scheme); audited as <c>federation.catalog-served</c>.</summary>
    public static IEndpointRouteBuilder MapPeerCatalog(IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (HttpContext context, NodeDirectory nodes, GatewayDbContext db, AuditService audit, CancellationToken cancellationToken) =>
            {
                var body = await ServeAsync(nodes, db, cancellationToken);
                var auditEvent = audit.Create("federation.catalog-served", "success") with
                {
                    Details = new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["node"] = Caller.From(context.User).Node ?? string.Empty,
                        ["datasets"] = body.Datasets.Count.ToString(CultureInfo.InvariantCulture),
                    },
                };
                await audit.RecordAsync(auditEvent, cancellationToken);
                return Results.Json(body, Json);
            })
            .RequireAuthorization(p => p.AddAuthenticationSchemes(PeerAuthentication.SchemeName).RequireClaim(ClaimNames.Node))
            .ExcludeFromDescription();
        return app;
    }

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "The catalogue of peer node {Peer} could not be fetched: {Error}")]
    private static partial void LogFetchFailed(ILogger logger, string peer, string error);
}

/// <summary>Fetches the peers' catalogues at start and then periodically, when federation is on.</summary>
internal sealed partial class PeerCatalogRefresh(PeerCatalogs catalogs, NodeDirectory nodes, TimeProvider clock, IOptions<GatewayOptions> options, ILogger<PeerCatalogRefresh> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!nodes.Enabled)
        {
            return;
        }

        await catalogs.RefreshAsync(stoppingToken);
        await PeriodicPass.RunAsync(options.Value.Federation.CatalogRefreshInterval, clock, catalogs.RefreshAsync, e => LogFailed(logger, e), stoppingToken);
    }

    [LoggerMessage(EventId = 9104, Level = LogLevel.Error, Message = "A refresh of the peers' catalogues failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
