using DataClauses.Audit;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Appends sealed events to the audit table inside the caller's transaction, so that an event is stored if and
/// only if the change it records is. Writers are serialised (advisory lock on PostgreSQL, the single SQLite writer)
/// so that the chain stays linear under concurrent requests and replicas.
/// </summary>
internal static class AuditWriter
{
    public static async Task<SealedAuditEvent> AppendAsync(GatewayDbContext db, AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Audit events are appended inside the transaction of the change they record.");
        }

        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.AuditChain, cancellationToken);
        var head = await db.AuditEvents.AsNoTracking()
            .OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash })
            .FirstOrDefaultAsync(cancellationToken);
        var sealedEvent = AuditChain.Seal((head?.Sequence ?? 0) + 1, head?.Hash ?? AuditChain.GenesisHash, auditEvent);
        db.AuditEvents.Add(ToEntity(sealedEvent));
        await db.SaveChangesAsync(cancellationToken);
        return sealedEvent;
    }

    /// <summary>Appends several events, in order, inside the caller's transaction (one lock, one head read, one save).</summary>
    public static async Task<IReadOnlyList<SealedAuditEvent>> AppendManyAsync(GatewayDbContext db, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Audit events are appended inside a transaction.");
        }

        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.AuditChain, cancellationToken);
        var head = await db.AuditEvents.AsNoTracking()
            .OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash })
            .FirstOrDefaultAsync(cancellationToken);
        var sequence = head?.Sequence ?? 0;
        var previous = head?.Hash ?? AuditChain.GenesisHash;
        var sealedEvents = new List<SealedAuditEvent>(auditEvents.Count);
        foreach (var auditEvent in auditEvents)
        {
            var sealedEvent = AuditChain.Seal(++sequence, previous, auditEvent);
            db.AuditEvents.Add(ToEntity(sealedEvent));
            sealedEvents.Add(sealedEvent);
            previous = sealedEvent.Hash;
        }

        await db.SaveChangesAsync(cancellationToken);
        return sealedEvents;
    }

    public static AuditEventEntity ToEntity(SealedAuditEvent sealedEvent)
    {
        var e = sealedEvent.Event;
        return new AuditEventEntity
        {
            Sequence = sealedEvent.Sequence,
            Timestamp = e.Timestamp,
            Action = e.Action,
            Outcome = e.Outcome,
            ActorSubject = e.Actor.Subject,
            ActorOrganisation = e.Actor.Organisation,
            DataOwner = e.DataOwner,
            Dataset = e.Dataset,
            Purpose = e.Purpose,
            Effect = e.Effect,
            CorrelationId = e.CorrelationId,
            NodeId = e.NodeId,
            Canonical = sealedEvent.Canonical,
            PreviousHash = sealedEvent.PreviousHash,
            Hash = sealedEvent.Hash,
        };
    }
}
