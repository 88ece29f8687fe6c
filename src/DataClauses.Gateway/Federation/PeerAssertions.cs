using System.Collections.Concurrent;
using System.Security.Claims;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Federation;

/// <summary>Why a peer's assertion was refused: the problem type, its status, and what the audit records.</summary>
internal sealed record PeerRefusal(string Type, int Status, string Detail, string? Peer, IReadOnlyDictionary<string, string> Details);

/// <summary>
/// The short-lived assertion a node signs when it forwards a request (a JWT, ES256 with the node's own key, type
/// <c>dataclauses-peer+jwt</c>): who asks (subject, organisation, roles), for which purpose, under which contract and
/// its hash, the correlation id, the audience (the holding node), a unique id and an expiry of at most 60 s. The
/// holding node checks it against the contract's trust list and refuses replays (an id is accepted once while it lives,
/// across the node's replicas on PostgreSQL, where the ids are kept in its database).
/// </summary>
internal sealed class PeerAssertions(NodeDirectory nodes, SigningKeys signingKeys, PeerKeys peerKeys, TimeProvider clock, IOptions<GatewayOptions> options)
{
    /// <summary>The request header that carries the assertion.</summary>
    public const string HeaderName = "DataClauses-Peer-Assertion";

    /// <summary>The JWT type of an assertion (RFC 8725 §3.11: a token of another kind is never taken for one).</summary>
    public const string TokenType = "dataclauses-peer+jwt";

    /// <summary>The longest lifetime a node accepts.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(5);

    // One handler, and one set of signing credentials per node key: built per request, they were a measured share of
    // the forwarding overhead (the crypto provider's cache is keyed by the key object).
    private static readonly JsonWebTokenHandler Handler = new();
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private CachedCredentials? _credentials;
    private long _nextPurgeUnix;

    /// <summary>Signs an assertion for <paramref name="caller"/> addressed to <paramref name="audience"/>.</summary>
    public async Task<string> CreateAsync(Caller caller, string audience, string contractId, string? purpose, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var (key, keyId) = await signingKeys.GetSigningKeyAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var lifetime = options.Value.Federation.AssertionLifetime;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [ClaimNames.Subject] = caller.Subject,
            [ClaimNames.Organisation] = caller.Organisation,
            [ClaimNames.Roles] = caller.Roles.ToArray(),
            ["contract"] = contractId,
            ["contract_sha256"] = nodes.ContractHash(contractId),
            ["cid"] = correlationId,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (purpose is not null)
        {
            claims["purpose"] = purpose;
        }

        var cached = _credentials;
        if (cached is null || cached.KeyId != keyId || !ReferenceEquals(cached.Key, key))
        {
            // A reference swap: a request racing a key rotation signs with either key, both published.
            _credentials = cached = new CachedCredentials(keyId, key, new SigningCredentials(new ECDsaSecurityKey(key.ECDsa) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256));
        }

        var credentials = cached.Credentials;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = nodes.Self,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime > MaximumLifetime ? MaximumLifetime : lifetime),
            TokenType = TokenType,
            Claims = claims,
            SigningCredentials = credentials,
        });
    }

    /// <summary>
    /// Checks an assertion received by this node; returns the principal it stands for, or why it is refused. An
    /// accepted assertion's id is recorded in <paramref name="db"/>, shared by the node's replicas.
    /// </summary>
    public async Task<(ClaimsPrincipal? Principal, PeerRefusal? Refusal)> ValidateAsync(string token, GatewayDbContext db, CancellationToken cancellationToken)
    {
        if (!nodes.Enabled)
        {
            // Outside a federation no peer is trusted, and no key of the contracts' nodes is ever fetched.
            return Refuse("peer-untrusted", StatusCodes.Status403Forbidden, "This node does not take part in a federation: it accepts no node assertion.", null);
        }

        JsonWebToken unverified;
        try
        {
            unverified = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return Refuse("peer-assertion-invalid", StatusCodes.Status401Unauthorized, "The node assertion is not a JWT.", null);
        }

        var peerId = unverified.Issuer;
        var contractId = unverified.TryGetPayloadValue<string>("contract", out var c) ? c : null;
        if (contractId is null || nodes.ContractInForce(contractId) is not { } contract)
        {
            return Refuse("peer-untrusted", StatusCodes.Status403Forbidden, $"No contract in force here is named '{contractId}': node '{peerId}' is not trusted for it.", peerId);
        }

        if (NodeDirectory.Peer(contract, peerId) is not { } peer || peerId == nodes.Self)
        {
            return Refuse("peer-untrusted", StatusCodes.Status403Forbidden, $"Node '{peerId}' is not in the trust list of contract '{contract.Id}'.", peerId, ("contract", contract.Id));
        }

        var keys = await peerKeys.ForAsync(peer, unverified.Kid, cancellationToken);
        // The token read above is validated as it is: parsed once.
        var result = await Handler.ValidateTokenAsync(unverified, new TokenValidationParameters
        {
            ValidIssuer = peerId,
            ValidAudience = nodes.Self,
            ValidTypes = [TokenType],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeys = keys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = true,
            ClockSkew = Skew,
            LifetimeValidator = (notBefore, expires, _, parameters) => AuthenticationSetup.ValidateLifetime(notBefore, expires, parameters, clock),
        });
        if (!result.IsValid)
        {
            var (type, detail) = result.Exception switch
            {
                SecurityTokenInvalidAudienceException => ("peer-wrong-audience", $"The node assertion is addressed to '{unverified.Audiences.FirstOrDefault()}', not to this node ('{nodes.Self}')."),
                SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenNoExpirationException => ("peer-assertion-expired", "The node assertion has expired (or is not valid yet)."),
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => ("peer-bad-signature", $"The node assertion's signature does not verify with the key of node '{peerId}' in contract '{contract.Id}'."),
                _ => ("peer-assertion-invalid", $"The node assertion is not valid: {result.Exception?.GetType().Name}."),
            };
            return Refuse(type, StatusCodes.Status401Unauthorized, detail, peerId, ("contract", contract.Id));
        }

        var verified = (JsonWebToken)result.SecurityToken;
        if (verified.ValidTo - verified.IssuedAt > MaximumLifetime)
        {
            return Refuse("peer-assertion-invalid", StatusCodes.Status401Unauthorized, $"The node assertion lives longer than {MaximumLifetime.TotalSeconds:0} s.", peerId, ("contract", contract.Id));
        }

        var organisation = verified.TryGetPayloadValue<string>(ClaimNames.Organisation, out var o) ? o : null;
        if (organisation != peerId)
        {
            // A node speaks for the people of its own organisation only.
            return Refuse("peer-organisation", StatusCodes.Status403Forbidden, $"Node '{peerId}' may not speak for organisation '{organisation}'.", peerId, ("contract", contract.Id));
        }

        var theirs = verified.TryGetPayloadValue<string>("contract_sha256", out var h) ? h : string.Empty;
        var ours = nodes.ContractHash(contract.Id);
        if (!string.Equals(theirs, ours, StringComparison.Ordinal))
        {
            return Refuse(
                "contract-drift",
                StatusCodes.Status409Conflict,
                $"Nodes '{peerId}' and '{nodes.Self}' hold different versions of contract '{contract.Id}' (SHA-256 {theirs} there, {ours} here): both must load the same file.",
                peerId,
                ("contract", contract.Id),
                ("theirHash", theirs),
                ("ourHash", ours));
        }

        if (!await RememberAsync(db, verified.Id, new DateTimeOffset(verified.ValidTo, TimeSpan.Zero), cancellationToken))
        {
            return Refuse("peer-assertion-replayed", StatusCodes.Status401Unauthorized, "This node assertion was already used: each one is accepted once.", peerId, ("contract", contract.Id), ("jti", verified.Id));
        }

        var identity = new ClaimsIdentity(PeerAuthentication.SchemeName, ClaimNames.Subject, ClaimNames.Roles);
        identity.AddClaim(new Claim(ClaimNames.Subject, verified.Subject));
        identity.AddClaim(new Claim(ClaimNames.Organisation, organisation));
        identity.AddClaim(new Claim(ClaimNames.ClientId, "node:" + peerId));
        identity.AddClaim(new Claim(ClaimNames.Node, peerId));
        identity.AddClaim(new Claim("contract", contract.Id));
        foreach (var role in verified.Claims.Where(x => x.Type == ClaimNames.Roles))
        {
            identity.AddClaim(new Claim(ClaimNames.Roles, role.Value));
        }

        return (new ClaimsPrincipal(identity), null);
    }

    /// <summary>
    /// Records an assertion id until it expires; false when it was seen already: by any replica on PostgreSQL (the
    /// ids are in the database), by this process on SQLite (one process per database).
    /// </summary>
    private async Task<bool> RememberAsync(GatewayDbContext db, string id, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 100)
        {
            return false;
        }

        // Expired ids are dropped at most once every 30 s per process: a walk or a DELETE per request would cost
        // O(ids alive) each time, and a replay of an expired id is refused by its expiry anyway.
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var before = now - (long)Skew.TotalSeconds;
        var nextPurge = Interlocked.Read(ref _nextPurgeUnix);
        var purge = now >= nextPurge && Interlocked.CompareExchange(ref _nextPurgeUnix, now + 30, nextPurge) == nextPurge;
        var expiresUnix = expires.ToUnixTimeSeconds();
        if (!db.IsPostgreSql)
        {
            if (purge)
            {
                foreach (var (old, until) in _seen)
                {
                    if (until < before)
                    {
                        _seen.TryRemove(old, out _);
                    }
                }
            }

            return _seen.TryAdd(id, expiresUnix);
        }

        if (purge)
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM peer_assertion_ids WHERE expires_unix < {before}", cancellationToken);
        }

        // The primary key decides: a second insert of the same id, here or at another replica, inserts nothing.
        return await db.Database.ExecuteSqlAsync(
            $"INSERT INTO peer_assertion_ids (id, expires_unix) VALUES ({id}, {expiresUnix}) ON CONFLICT (id) DO NOTHING", cancellationToken) == 1;
    }

    private sealed record CachedCredentials(string KeyId, ECDsaSecurityKey Key, SigningCredentials Credentials);

    private static (ClaimsPrincipal?, PeerRefusal?) Refuse(string type, int status, string detail, string? peer, params (string Key, string Value)[] details) =>
        (null, new PeerRefusal(type, status, detail, peer, details.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal)));
}
