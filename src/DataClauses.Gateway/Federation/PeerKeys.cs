using System.Collections.Concurrent;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Model;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Federation;

/// <summary>
/// The keys a peer's assertions are checked with: the contract's <c>publicKey</c>, or the key set fetched from its
/// <c>jwks</c> address, kept for <see cref="FederationOptions.PeerKeysLifetime"/> and fetched again at most every
/// 10 s when an assertion names a key id the set lacks (the peer rotated), so that unknown ids cannot flood the peer.
/// </summary>
internal sealed partial class PeerKeys(IHttpClientFactory http, TimeProvider clock, IOptions<GatewayOptions> options, ILogger<PeerKeys> logger)
{
    public const string HttpClientName = "federation-keys";
    private static readonly TimeSpan MinimumRefetch = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt)> _sets = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _fetch = new(1, 1);

    /// <summary>The keys that may have signed an assertion of <paramref name="peer"/> with key id <paramref name="keyId"/>.</summary>
    public async Task<IReadOnlyList<SecurityKey>> ForAsync(PeerNode peer, string? keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.PublicKey is { } publicKey)
        {
            return NodeKeys.Import(publicKey) is { } key ? [new ECDsaSecurityKey(key)] : [];
        }

        if (peer.Jwks is not { } address)
        {
            return [];
        }

        var now = clock.GetUtcNow();
        if (_sets.TryGetValue(address, out var cached) && now - cached.FetchedAt < options.Value.Federation.PeerKeysLifetime
            && (keyId is null || cached.Keys.Any(k => k.KeyId == keyId) || now - cached.FetchedAt < MinimumRefetch))
        {
            return cached.Keys;
        }

        await _fetch.WaitAsync(cancellationToken);
        try
        {
            if (_sets.TryGetValue(address, out cached) && now - cached.FetchedAt < MinimumRefetch)
            {
                return cached.Keys;
            }

            try
            {
                var json = await http.CreateClient(HttpClientName).GetStringAsync(new Uri(address), cancellationToken);
                var keys = new JsonWebKeySet(json).GetSigningKeys();
                _sets[address] = (keys.ToList(), clock.GetUtcNow());
                return keys.ToList();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException)
            {
                // The keys known so far stay, and the next attempt waits its turn: a peer that is down is not asked per request.
                LogFetchFailed(logger, peer.Id, address, e.Message);
                _sets[address] = (cached.Keys ?? [], clock.GetUtcNow());
                return cached.Keys ?? [];
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "The key set of peer node {Peer} at {Address} could not be fetched: {Error}")]
    private static partial void LogFetchFailed(ILogger logger, string peer, string address, string error);
}
