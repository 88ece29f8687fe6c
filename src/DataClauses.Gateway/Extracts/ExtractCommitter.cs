using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Extracts;

/// <summary>
/// Group commit for the extracts' busiest changes (a new request, a production's result): each change and its audit
/// events are handed over as a unit of work, and one writer commits whatever has queued up in one transaction — one
/// audit-chain lock, one head read, one commit for the batch instead of one per change. A unit runs its statements in
/// the batch's context and returns its events, or null when its precondition no longer holds (it then changes
/// nothing). The caller's call returns once the unit is durably committed (or known not to apply); a failing batch is
/// retried unit by unit, so that one failing unit fails only its own caller (fail closed).
/// </summary>
internal sealed partial class ExtractCommitter(IServiceScopeFactory scopes, ILogger<ExtractCommitter> logger)
    : GroupCommit<ExtractCommitter.Unit, bool>(MaxBatch, "The gateway is shutting down.")
{
    private const int MaxBatch = 200;

    /// <summary>A change and its events, run inside the batch's transaction; null when it does not apply any more.</summary>
    public delegate Task<IReadOnlyList<AuditEvent>?> Unit(GatewayDbContext db, CancellationToken cancellationToken);

    /// <summary>Commits a unit with others; true when it applied, false when its precondition failed.</summary>
    public Task<bool> CommitAsync(Unit unit, CancellationToken cancellationToken) => SubmitAsync(unit, cancellationToken);

    /// <inheritdoc />
    protected override async Task<IReadOnlyList<bool>> CommitBatchAsync(IReadOnlyList<Unit> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var applied = new bool[batch.Count];
        var events = new List<AuditEvent>();
        for (var i = 0; i < batch.Count; i++)
        {
            var unitEvents = await batch[i](db, CancellationToken.None);
            applied[i] = unitEvents is not null;
            events.AddRange(unitEvents ?? []);
        }

        // The units' rows first, then the events (AppendManyAsync may write them without the change tracker).
        await db.SaveChangesAsync(CancellationToken.None);
        if (events.Count > 0)
        {
            await AuditWriter.AppendManyAsync(db, events, CancellationToken.None);
        }

        await transaction.CommitAsync(CancellationToken.None);
        return applied;
    }

    /// <summary>A failed batch is retried unit by unit, so that one failing unit fails only its own caller.</summary>
    protected override async Task RecoverAsync(IReadOnlyList<Unit> batch, Exception exception, IReadOnlyList<TaskCompletionSource<bool>> callers)
    {
        if (batch.Count == 1)
        {
            await base.RecoverAsync(batch, exception, callers);
            return;
        }

        LogBatchRetried(logger, exception, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                callers[i].TrySetResult((await CommitBatchAsync([batch[i]]))[0]);
            }
#pragma warning disable CA1031 // This unit's failure is its caller's answer.
            catch (Exception single)
#pragma warning restore CA1031
            {
                callers[i].TrySetException(single);
            }
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "A batch of {Count} extract changes failed; each is retried alone")]
    private static partial void LogBatchRetried(ILogger logger, Exception exception, int count);
}
