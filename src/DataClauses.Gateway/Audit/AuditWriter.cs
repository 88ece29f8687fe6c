using DataClauses.Audit;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

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

        var (sequence, previous) = await LockAndReadHeadAsync(db, cancellationToken);
        var sealedEvent = AuditChain.Seal(sequence + 1, previous, auditEvent);
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

        var (sequence, previous) = await LockAndReadHeadAsync(db, cancellationToken);
        var sealedEvents = new List<SealedAuditEvent>(auditEvents.Count);
        foreach (var auditEvent in auditEvents)
        {
            var sealedEvent = AuditChain.Seal(++sequence, previous, auditEvent);
            sealedEvents.Add(sealedEvent);
            previous = sealedEvent.Hash;
        }

        if (db.IsPostgreSql)
        {
            // One binary COPY per batch instead of one INSERT per event: the chain's lock is held for less time, so
            // the group commit keeps up with many concurrent writers (docs/BENCHMARKS.md, "Audit").
            await CopyAsync(db, sealedEvents, cancellationToken);
            return sealedEvents;
        }

        foreach (var sealedEvent in sealedEvents)
        {
            db.AuditEvents.Add(ToEntity(sealedEvent));
        }

        await db.SaveChangesAsync(cancellationToken);
        return sealedEvents;
    }

    /// <summary>
    /// Takes the chain's lock and reads its head (0 and the genesis hash when empty). On PostgreSQL both go in one round
    /// trip, which is part of every group commit's time under the lock; SQLite's write transaction is the lock.
    /// </summary>
    private static async Task<(long Sequence, string Hash)> LockAndReadHeadAsync(GatewayDbContext db, CancellationToken cancellationToken)
    {
        if (!db.IsPostgreSql)
        {
            var head = await db.AuditEvents.AsNoTracking()
                .OrderByDescending(e => e.Sequence)
                .Select(e => new { e.Sequence, e.Hash })
                .FirstOrDefaultAsync(cancellationToken);
            return head is null ? (0, AuditChain.GenesisHash) : (head.Sequence, head.Hash);
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var batch = new NpgsqlBatch(connection)
        {
            Transaction = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(),
        };
        var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = DistributedLock.AuditChain });
        batch.BatchCommands.Add(lockCommand);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1"));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1)) : (0, AuditChain.GenesisHash);
    }

    private static async Task CopyAsync(GatewayDbContext db, List<SealedAuditEvent> sealedEvents, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY audit_events (sequence, event_time, action, outcome, actor_subject, actor_organisation, data_owner, dataset, purpose, effect, correlation_id, node_id, canonical, previous_hash, hash) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        foreach (var sealedEvent in sealedEvents)
        {
            var e = sealedEvent.Event;
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(sealedEvent.Sequence, NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(e.Action, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(e.Outcome, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(e.Actor.Subject, NpgsqlDbType.Varchar, cancellationToken);
            await WriteNullableAsync(importer, e.Actor.Organisation, cancellationToken);
            await WriteNullableAsync(importer, e.DataOwner, cancellationToken);
            await WriteNullableAsync(importer, e.Dataset, cancellationToken);
            await WriteNullableAsync(importer, e.Purpose, cancellationToken);
            await WriteNullableAsync(importer, e.Effect, cancellationToken);
            await importer.WriteAsync(e.CorrelationId, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(e.NodeId, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(sealedEvent.Canonical, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(sealedEvent.PreviousHash, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(sealedEvent.Hash, NpgsqlDbType.Varchar, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Varchar, cancellationToken);

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
