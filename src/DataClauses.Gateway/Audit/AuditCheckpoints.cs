using DataClauses.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>What signing the head gave: the checkpoint (new or the one already there), or the verification that refused it.</summary>
/// <param name="Checkpoint">The checkpoint at the head; null when the chain is empty or broken.</param>
/// <param name="Created">Whether it was signed now (false: the head had not moved since the last one).</param>
/// <param name="Refused">The failed verification of the events since the last checkpoint, when the chain is broken.</param>
internal sealed record CheckpointResult(AuditCheckpoint? Checkpoint, bool Created, AuditVerification? Refused);

/// <summary>
/// Signs the chain's head with the node's current signing key and stores the checkpoint (append-only). The events
/// since the previous checkpoint are verified first, so that a checkpoint never vouches for a chain that was already
/// edited; the head signed is the last verified event. Replicas serialise on an advisory lock and never sign one
/// head twice.
/// </summary>
internal sealed partial class AuditCheckpoints(
    IServiceScopeFactory scopes,
    SigningKeys signingKeys,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<AuditCheckpoints> logger)
{
    /// <summary>Serialises checkpoint writers across replicas.</summary>
    public static readonly long LockKey = DistributedLock.KeyOf("audit", "checkpoints");

    /// <summary>Signs the head unless a checkpoint already states it.</summary>
    public async Task<CheckpointResult> SignHeadAsync(string kind, CancellationToken cancellationToken)
    {
        // The key first: creating one writes to the database, which on SQLite would wait for our own transaction.
        var (key, keyId) = await signingKeys.GetSigningKeyAsync(cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var ledger = new AuditLedger(db);
        var last = await db.AuditCheckpoints.AsNoTracking().MaxAsync(c => (long?)c.Sequence, cancellationToken);
        var anchor = await ledger.LatestAnchorAsync(cancellationToken);
        var from = Math.Max((last ?? 0) + 1, (anchor?.Sequence ?? 0) + 1);
        var verification = await ledger.VerifyAsync(from, null, cancellationToken);
        if (!verification.Intact)
        {
            LogRefused(logger, verification.FirstBadSequence ?? 0, verification.Problem ?? "unknown");
            return new CheckpointResult(null, false, verification);
        }

        if (verification.HeadSequence == 0)
        {
            return new CheckpointResult(null, false, null);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, LockKey, cancellationToken);
        var existing = await db.AuditCheckpoints.AsNoTracking().FirstOrDefaultAsync(c => c.Sequence == verification.HeadSequence, cancellationToken);
        if (existing is not null)
        {
            return new CheckpointResult(AuditLedger.ToModel(existing), false, null);
        }

        var checkpoint = AuditCheckpoint.Sign(options.Value.NodeId, verification.HeadSequence, verification.HeadHash, Now(), keyId, key.ECDsa, kind);
        db.AuditCheckpoints.Add(AuditLedger.ToEntity(checkpoint));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogSigned(logger, kind, checkpoint.Sequence);
        return new CheckpointResult(checkpoint, true, null);
    }

    /// <summary>Now, to the millisecond: what PostgreSQL (microseconds) and SQLite (ticks) both store exactly, so the signature still holds when read back.</summary>
    internal DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Signed a {Kind} audit checkpoint at event {Sequence}")]
    private static partial void LogSigned(ILogger logger, string kind, long sequence);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Critical, Message = "Refused to sign an audit checkpoint: the chain is broken at event {Sequence} ({Problem})")]
    private static partial void LogRefused(ILogger logger, long sequence, string problem);
}
