using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>What a retention purge did.</summary>
/// <param name="Anchor">The anchor signed at the last removed event (null when nothing was due or the chain is broken).</param>
/// <param name="Removed">Events removed.</param>
/// <param name="Refused">The failed verification of the segment due, when the purge was refused.</param>
internal sealed record PurgeResult(AuditCheckpoint? Anchor, long Removed, AuditVerification? Refused);

/// <summary>
/// The only way audit events ever leave the table: events older than <c>DataClauses:Audit:Retention</c> (default five
/// years) are removed below a signed anchor checkpoint at the last removed event, in one transaction that also
/// records an <c>audit.purged</c> event. What remains verifies from the anchor (its hash is the previous hash of the
/// first remaining event). The segment is verified before it goes, so a purge never launders an edited chain; the
/// head event always stays, so the chain goes on from it.
/// </summary>
internal sealed partial class AuditRetention(
    IServiceScopeFactory scopes,
    SigningKeys signingKeys,
    AuditCheckpoints checkpoints,
    DistributedLock locks,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<AuditRetention> logger)
{
    /// <summary>Only one replica purges at a time.</summary>
    public static readonly long LockKey = DistributedLock.KeyOf("audit", "retention");

    /// <summary>The action recorded by a purge.</summary>
    public const string PurgedAction = "audit.purged";

    /// <summary>The subject a purge acts as.</summary>
    public const string Subject = "system:audit-retention";

    /// <summary>Before this instant, events are due for removal.</summary>
    public DateTimeOffset Cutoff()
    {
        // The options validator refused anything else at start.
        return IsoDuration.TryParse(options.Value.Audit.Retention, out var retention)
            ? Subtract(clock.GetUtcNow(), retention)
            : throw new InvalidOperationException($"DataClauses:Audit:Retention '{options.Value.Audit.Retention}' is not an ISO 8601 duration.");
    }

    /// <summary>Removes the events older than the retention period (nothing when none is due).</summary>
    public async Task<PurgeResult> PurgeAsync(CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.AuditPurge);
        var cutoff = Cutoff();
        var (key, keyId) = await signingKeys.GetSigningKeyAsync(cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        await using var held = await locks.TryAcquireAsync(db, LockKey, cancellationToken);
        if (held is null)
        {
            return new PurgeResult(null, 0, null); // Another replica is purging.
        }

        var ledger = new AuditLedger(db);
        var anchor = await ledger.LatestAnchorAsync(cancellationToken);
        var start = (anchor?.Sequence ?? 0) + 1;
        var head = await ledger.HeadAsync(cancellationToken);
        if (head is null)
        {
            return new PurgeResult(null, 0, null);
        }

        var headSequence = head.Value.Sequence;
        var due = await db.AuditEvents.AsNoTracking()
            .Where(e => e.Timestamp < cutoff && e.Sequence < headSequence)
            .MaxAsync(e => (long?)e.Sequence, cancellationToken);
        if (due is null || due < start)
        {
            return new PurgeResult(null, 0, null);
        }

        // The anchor goes at the last due event that carries no checkpoint yet (one checkpoint per position).
        var taken = (await db.AuditCheckpoints.AsNoTracking()
            .Where(c => c.Sequence >= start && c.Sequence <= due)
            .Select(c => c.Sequence)
            .ToListAsync(cancellationToken)).ToHashSet();
        var position = due.Value;
        while (position >= start && taken.Contains(position))
        {
            position--;
        }

        if (position < start)
        {
            return new PurgeResult(null, 0, null);
        }

        var verification = await ledger.VerifyAsync(null, position, cancellationToken);
        if (!verification.Intact || verification.HeadSequence != position)
        {
            LogRefused(logger, verification.FirstBadSequence ?? position, verification.Problem ?? "incomplete");
            return new PurgeResult(null, 0, verification);
        }

        var signed = AuditCheckpoint.Sign(options.Value.NodeId, position, verification.HeadHash, checkpoints.Now(), keyId, key.ECDsa, AuditCheckpoint.Anchor);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, AuditCheckpoints.LockKey, cancellationToken);
        db.AuditCheckpoints.Add(AuditLedger.ToEntity(signed));
        await db.SaveChangesAsync(cancellationToken);
        long removed;
        if (db.IsPostgreSql)
        {
            // The runtime role holds no DELETE on audit_events: the owner's function deletes below the stored anchor
            // only, under the setting the trigger checks (M0004, M0005).
            removed = await db.Database
                .SqlQuery<long>($"SELECT audit_purge_below_anchor({position}) AS \"Value\"")
                .SingleAsync(cancellationToken);
        }
        else
        {
            // SQLite has no session settings: the delete trigger is dropped and recreated inside this transaction.
            await db.Database.ExecuteSqlRawAsync("DROP TRIGGER audit_events_no_delete", cancellationToken);
            removed = await db.Database.ExecuteSqlAsync($"DELETE FROM audit_events WHERE sequence <= {position}", cancellationToken);
            await db.Database.ExecuteSqlRawAsync("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;", cancellationToken);
        }

        var nodeId = options.Value.NodeId;
        await AuditWriter.AppendAsync(db, new AuditEvent
        {
            Action = PurgedAction,
            Outcome = "success",
            Timestamp = clock.GetUtcNow(),
            Actor = new AuditActor(Subject, null, []),
            CorrelationId = Guid.NewGuid().ToString("N"),
            NodeId = nodeId,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["anchor"] = position.ToString(CultureInfo.InvariantCulture),
                ["anchorHash"] = signed.Hash,
                ["removed"] = removed.ToString(CultureInfo.InvariantCulture),
                ["firstRemoved"] = start.ToString(CultureInfo.InvariantCulture),
                ["cutoff"] = AuditCanonicalForm.FormatInstant(cutoff),
                ["retention"] = options.Value.Audit.Retention,
            },
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogPurged(logger, removed, position);
        return new PurgeResult(signed, removed, null);
    }

    /// <summary>An instant minus an ISO duration, calendar units first (the mirror of <see cref="IsoDuration.AddTo(DateTimeOffset)"/>).</summary>
    internal static DateTimeOffset Subtract(DateTimeOffset instant, IsoDuration duration)
    {
        try
        {
            return instant.AddYears(-duration.Years).AddMonths(-duration.Months).AddDays(-((duration.Weeks * 7L) + duration.Days))
                .AddHours(-duration.Hours).AddMinutes(-duration.Minutes).AddSeconds(-duration.Seconds);
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MinValue;
        }
    }

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Audit retention purge removed {Removed} events up to the signed anchor at event {Anchor}")]
    private static partial void LogPurged(ILogger logger, long removed, long anchor);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Critical, Message = "Refused to purge the audit log: the chain is broken at event {Sequence} ({Problem})")]
    private static partial void LogRefused(ILogger logger, long sequence, string problem);
}
