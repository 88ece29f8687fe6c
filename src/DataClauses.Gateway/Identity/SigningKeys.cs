using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// The node's ES256 signing keys, stored in the database (private parts protected by Data Protection) so that
/// every replica signs and validates with the same keys. Rotation without downtime: the next key is created ahead
/// of time; a retired key stays in the JWKS until the last token it signed has expired.
/// </summary>
internal sealed partial class SigningKeys(
    IServiceScopeFactory scopes,
    IDataProtectionProvider dataProtection,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<SigningKeys> logger)
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private Snapshot _snapshot = new([], DateTimeOffset.MinValue);

    private IDataProtector Protector => dataProtection.CreateProtector("DataClauses.SigningKeys.v1");

    /// <summary>The key to sign with now (creating the first key or the successor when due).</summary>
    public async Task<(ECDsaSecurityKey Key, string KeyId)> GetSigningKeyAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var snapshot = await GetCurrentSnapshotAsync(now, cancellationToken);
        var active = snapshot.Keys.Where(k => k.Entity.ActivatesAt <= now && k.Entity.RetiresAt > now).MaxBy(k => k.Entity.ActivatesAt)
            ?? throw new InvalidOperationException("No active signing key after rotation.");
        return (active.Key, active.Entity.KeyId);
    }

    /// <summary>Keys that validate tokens now (the JWKS): active, upcoming and retired-but-not-expired keys.</summary>
    public async Task<IReadOnlyList<(SecurityKey Key, SigningKeyEntity Entity)>> GetValidationKeysAsync(CancellationToken cancellationToken)
    {
        // The successor is created here too, so that it is published ahead of time even by a node that issues no token.
        var now = clock.GetUtcNow();
        var snapshot = await GetCurrentSnapshotAsync(now, cancellationToken);
        return snapshot.Keys.Where(k => k.Entity.ExpiresAt > now).Select(k => ((SecurityKey)k.Key, k.Entity)).ToList();
    }

    /// <summary>
    /// The cached keys, after creating the first key or the successor when one is due. The check runs on the cached
    /// snapshot, so that issuing a token costs no database round trip while no key is due.
    /// </summary>
    private async Task<Snapshot> GetCurrentSnapshotAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken);
        if (NextKeyNeeded([.. snapshot.Keys.Select(k => k.Entity)], now, options.Value.Identity) is null)
        {
            return snapshot;
        }

        await EnsureKeysAsync(cancellationToken);
        return await GetSnapshotAsync(cancellationToken, force: true);
    }

    /// <summary>Synchronous access for JwtBearer's key resolver (served from the cached snapshot).</summary>
    public IEnumerable<SecurityKey> ResolveForValidation(string? keyId)
    {
        var now = clock.GetUtcNow();
        var snapshot = _snapshot;
        if (keyId is not null && !snapshot.Keys.Any(k => k.Entity.KeyId == keyId) && now - snapshot.LoadedAt > TimeSpan.FromSeconds(5))
        {
            // A key created by another replica: reload once, synchronously (rare).
            snapshot = GetSnapshotAsync(CancellationToken.None, force: true).GetAwaiter().GetResult();
        }

        return snapshot.Keys.Where(k => k.Entity.ExpiresAt > now && (keyId is null || k.Entity.KeyId == keyId)).Select(k => (SecurityKey)k.Key);
    }

    /// <summary>Creates the first key, or the next one when the active key nears retirement.</summary>
    public async Task EnsureKeysAsync(CancellationToken cancellationToken)
    {
        var identity = options.Value.Identity;
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var needed = NextKeyNeeded(await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken), now, identity);
        if (needed is null)
        {
            return;
        }

        // The key is generated and protected before the write transaction: protecting may write the Data Protection
        // key ring, which on SQLite would wait for this very transaction.
        var key = NewKey(now, needed.Value.ActivatesAt, needed.Value.RetiresAt, identity);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.SigningKeys, cancellationToken);
        if (NextKeyNeeded(await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken), now, identity) is null)
        {
            return; // Another replica created it meanwhile.
        }

        db.SigningKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogKeyCreated(logger, needed.Value.Kind);
    }

    /// <summary>Whether a key must be created now: the first one, or the successor when the latest nears retirement.</summary>
    private static (DateTimeOffset ActivatesAt, DateTimeOffset RetiresAt, string Kind)? NextKeyNeeded(List<SigningKeyEntity> keys, DateTimeOffset now, IdentityOptions identity)
    {
        var latest = keys.MaxBy(k => k.RetiresAt);
        if (latest is null || latest.RetiresAt <= now)
        {
            // Active since a clock skew ago: a replica whose clock is slightly behind the one that created it must find
            // an active key too (it would otherwise have none until its clock caught up).
            return (now - identity.ClockSkew, now + identity.SigningKeyLifetime, "initial");
        }

        // The successor is published in the JWKS before it signs, so that caches already know it.
        var activatesAt = latest.RetiresAt - identity.AccessTokenLifetime - identity.ClockSkew;
        return latest.RetiresAt - now < TimeSpan.FromTicks(identity.SigningKeyLifetime.Ticks / 4)
            ? (activatesAt, activatesAt + identity.SigningKeyLifetime, "successor")
            : null;
    }

    private SigningKeyEntity NewKey(DateTimeOffset now, DateTimeOffset activatesAt, DateTimeOffset retiresAt, IdentityOptions identity)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var jwk = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
            ["kid"] = keyId,
            ["use"] = "sig",
            ["alg"] = SecurityAlgorithms.EcdsaSha256,
        };
        return new SigningKeyEntity
        {
            KeyId = keyId,
            Algorithm = SecurityAlgorithms.EcdsaSha256,
            ProtectedPrivateKey = Protector.Protect(Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey())),
            PublicJwk = JsonSerializer.Serialize(jwk),
            CreatedAt = now,
            ActivatesAt = activatesAt,
            RetiresAt = retiresAt,
            ExpiresAt = retiresAt + identity.AccessTokenLifetime + identity.ClockSkew,
        };
    }

    private async Task<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken, bool force = false)
    {
        var now = clock.GetUtcNow();
        if (!force && now - _snapshot.LoadedAt < RefreshInterval && _snapshot.Keys.Count > 0)
        {
            return _snapshot;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var entities = await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken);
            var loaded = entities.Select(e =>
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(Protector.Unprotect(e.ProtectedPrivateKey)), out _);
                return new LoadedKey(e, new ECDsaSecurityKey(new CanonicalEcdsa(ecdsa)) { KeyId = e.KeyId });
            }).ToList();
            _snapshot = new Snapshot(loaded, now);
            return _snapshot;
        }
        finally
        {
            _refresh.Release();
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Created a {Kind} token signing key")]
    private static partial void LogKeyCreated(ILogger logger, string kind);

    private sealed record LoadedKey(SigningKeyEntity Entity, ECDsaSecurityKey Key);

    private sealed record Snapshot(IReadOnlyList<LoadedKey> Keys, DateTimeOffset LoadedAt);
}
