using DataClauses.Audit;
using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Group commit for events that record no other change (token requests, reads, queries): callers hand their event
/// over and wait until it is durably committed; one writer seals whatever has queued up into the chain and commits
/// it in one transaction. The caller's response never leaves before its event is stored, and a failed commit fails
/// every caller of that batch (fail closed), yet concurrent requests share one commit instead of queueing for the
/// chain's lock one by one.
/// </summary>
internal sealed partial class AuditAppender(IServiceScopeFactory scopes, ILogger<AuditAppender> logger)
    : GroupCommit<AuditEvent, SealedAuditEvent>(MaxBatch, "The audit log is shutting down.")
{
    private const int MaxBatch = 1000;

    /// <summary>Events per group commit (how much concurrent requests share one durable commit).</summary>
    private static readonly System.Diagnostics.Metrics.Histogram<int> BatchSize =
        Hosting.Telemetry.Meter.CreateHistogram<int>("dataclauses.audit.batch_size", unit: "{event}", description: "Audit events stored per group commit.");

    /// <summary>Appends an event in a transaction shared with concurrent callers; completes once it is committed.</summary>
    /// <remarks>Cancelling the request does not cancel the append: an access that happened is recorded.</remarks>
    public Task<SealedAuditEvent> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken) => SubmitAsync(auditEvent, cancellationToken);

    /// <inheritdoc />
    protected override async Task<IReadOnlyList<SealedAuditEvent>> CommitBatchAsync(IReadOnlyList<AuditEvent> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync();
        var sealedEvents = await AuditWriter.AppendManyAsync(db, batch, CancellationToken.None);
        await transaction.CommitAsync();
        BatchSize.Record(batch.Count);
        return sealedEvents;
    }

    /// <summary>Any failure fails every caller of the batch (fail closed).</summary>
    protected override Task RecoverAsync(IReadOnlyList<AuditEvent> batch, Exception exception, IReadOnlyList<TaskCompletionSource<SealedAuditEvent>> callers)
    {
        LogBatchFailed(logger, exception, batch.Count);
        return base.RecoverAsync(batch, new AuditUnavailableException("The audit event could not be stored.", exception), callers);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Could not store a batch of {Count} audit events; their requests fail")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}

/// <summary>The audit log could not record an event: the action it records must not be reported as done.</summary>
internal sealed class AuditUnavailableException(string message, Exception inner) : Exception(message, inner);
