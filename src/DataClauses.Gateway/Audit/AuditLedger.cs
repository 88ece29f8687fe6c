using System.Security.Cryptography;
using DataClauses.Audit;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Reads the stored chain for verification and export: rows streamed in sequence order, checkpoints, the latest
/// retention anchor and the public keys of every signing key the node ever had.
/// </summary>
internal sealed class AuditLedger(GatewayDbContext db)
{
    /// <summary>The last retention anchor: what remains of the chain starts right after it.</summary>
    public async Task<AuditCheckpoint?> LatestAnchorAsync(CancellationToken cancellationToken)
    {
        var entity = await db.AuditCheckpoints.AsNoTracking()
            .Where(c => c.Kind == AuditCheckpoint.Anchor)
            .OrderByDescending(c => c.Sequence)
            .FirstOrDefaultAsync(cancellationToken);
        return entity is null ? null : ToModel(entity);
    }

    /// <summary>The chain's head (last stored event), or null when the chain is empty.</summary>
    public async Task<(long Sequence, string Hash)?> HeadAsync(CancellationToken cancellationToken)
    {
        var head = await db.AuditEvents.AsNoTracking()
            .OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash })
            .FirstOrDefaultAsync(cancellationToken);
        return head is null ? null : (head.Sequence, head.Hash);
    }

    /// <summary>The stored rows from <paramref name="from"/> to <paramref name="to"/>, in sequence order, streamed.</summary>
    public IAsyncEnumerable<StoredAuditRow> RowsAsync(long from, long to) =>
        db.AuditEvents.AsNoTracking()
            .Where(e => e.Sequence >= from && e.Sequence <= to)
            .OrderBy(e => e.Sequence)
            .Select(e => new StoredAuditRow(e.Sequence, e.PreviousHash, e.Hash, e.Canonical))
            .AsAsyncEnumerable();

    /// <summary>The checkpoints from <paramref name="from"/> to <paramref name="to"/>, in sequence order.</summary>
    public async Task<List<AuditCheckpoint>> CheckpointsAsync(long from, long to, CancellationToken cancellationToken)
    {
        var entities = await db.AuditCheckpoints.AsNoTracking()
            .Where(c => c.Sequence >= from && c.Sequence <= to)
            .OrderBy(c => c.Sequence)
            .ToListAsync(cancellationToken);
        return [.. entities.Select(ToModel)];
    }

    /// <summary>The public JWK of every signing key the node ever created, by key id (retired keys included).</summary>
    public async Task<Dictionary<string, string>> PublicJwksAsync(CancellationToken cancellationToken) =>
        await db.SigningKeys.AsNoTracking().ToDictionaryAsync(k => k.KeyId, k => k.PublicJwk, StringComparer.Ordinal, cancellationToken);

    /// <summary>
    /// Recomputes the chain, or the range <paramref name="from"/>–<paramref name="to"/> of it, against the stored
    /// checkpoints and the node's public keys. The whole chain starts after the last retention anchor (whose signature
    /// is checked too); a range starts after the stored hash of the event before it.
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(long? from, long? to, CancellationToken cancellationToken)
    {
        var anchor = await LatestAnchorAsync(cancellationToken);
        var start = anchor is null ? 1 : anchor.Sequence + 1;
        var first = Math.Max(from ?? start, start);
        var last = to ?? long.MaxValue;
        string previous;
        if (first == start)
        {
            previous = anchor?.Hash ?? AuditChain.GenesisHash;
        }
        else
        {
            var before = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence == first - 1).Select(e => e.Hash).FirstOrDefaultAsync(cancellationToken);
            if (before is null)
            {
                return new AuditVerification(false, 0, first - 1, AuditVerifier.MissingEvent, $"event {first - 1} is missing: the range cannot be linked to the chain", AuditChain.GenesisHash);
            }

            previous = before;
        }

        // Checkpoints first, then rows: a checkpoint signed meanwhile is then always covered by the rows read.
        var checkpoints = await CheckpointsAsync(first - 1, last, cancellationToken);
        var jwks = await PublicJwksAsync(cancellationToken);
        var keys = new Dictionary<string, ECDsa?>(StringComparer.Ordinal);
        Task<bool> judged = Task.FromResult(true);
        try
        {
            // Reading the next chunk overlaps with hashing the previous one (one chunk at a time is judged, in order).
            var session = new AuditChainVerifier(checkpoints, KeyOf, first, previous);
            var chunk = new List<StoredAuditRow>(AuditChainVerifier.ChunkSize);
            await foreach (var row in RowsAsync(first, last).WithCancellation(cancellationToken))
            {
                chunk.Add(row);
                if (chunk.Count == AuditChainVerifier.ChunkSize)
                {
                    if (!await judged)
                    {
                        return session.Complete();
                    }

                    var full = chunk;
                    judged = Task.Run(() => session.Add(full), CancellationToken.None);
                    chunk = new List<StoredAuditRow>(AuditChainVerifier.ChunkSize);
                }
            }

            if (await judged)
            {
                session.Add(chunk);
            }

            return session.Complete();
        }
        finally
        {
            // A chunk may still be hashing when reading failed: the keys it uses are disposed after it.
            await judged;
            foreach (var key in keys.Values)
            {
                key?.Dispose();
            }
        }

        ECDsa? KeyOf(string keyId)
        {
            if (!keys.TryGetValue(keyId, out var key))
            {
                keys[keyId] = key = jwks.TryGetValue(keyId, out var jwk) ? AuditExport.PublicKeyFromJwk(jwk) : null;
            }

            return key;
        }
    }

    public static AuditCheckpoint ToModel(AuditCheckpointEntity c) => new(c.NodeId, c.Sequence, c.Hash, c.SignedAt, c.KeyId, c.Signature, c.Kind);

    public static AuditCheckpointEntity ToEntity(AuditCheckpoint c) => new()
    {
        Sequence = c.Sequence,
        Hash = c.Hash,
        NodeId = c.NodeId,
        KeyId = c.KeyId,
        SignedAt = c.Timestamp,
        Signature = c.Signature,
        Kind = c.Kind,
    };
}
