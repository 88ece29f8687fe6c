using System.Threading.Channels;
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
internal sealed partial class AuditAppender : IAsyncDisposable
{
    private const int MaxBatch = 1000;

    /// <summary>Events per group commit (how much concurrent requests share one durable commit).</summary>
    private static readonly System.Diagnostics.Metrics.Histogram<int> BatchSize =
        Hosting.Telemetry.Meter.CreateHistogram<int>("dataclauses.audit.batch_size", unit: "{event}", description: "Audit events stored per group commit.");

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<AuditAppender> _logger;
    private readonly Task _writer;

    public AuditAppender(IServiceScopeFactory scopes, ILogger<AuditAppender> logger)
    {
        _scopes = scopes;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Appends an event in a transaction shared with concurrent callers; completes once it is committed.</summary>
    public async Task<SealedAuditEvent> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var pending = new Pending(auditEvent, new TaskCompletionSource<SealedAuditEvent>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The audit log is shutting down.");
        }

        // Cancelling the request does not cancel the append: an access that happened is recorded.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                var sealedEvents = await CommitAsync(batch);
                BatchSize.Record(batch.Count);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(sealedEvents[i]);
                }
            }
#pragma warning disable CA1031 // Any failure fails the batch's callers; the loop must go on for the next ones.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogBatchFailed(_logger, ex, batch.Count);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(new AuditUnavailableException("The audit event could not be stored.", ex));
                }
            }
        }
    }

    private async Task<IReadOnlyList<SealedAuditEvent>> CommitAsync(List<Pending> batch)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync();
        var sealedEvents = await AuditWriter.AppendManyAsync(db, batch.Select(p => p.Event).ToList(), CancellationToken.None);
        await transaction.CommitAsync();
        return sealedEvents;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Could not store a batch of {Count} audit events; their requests fail")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    private sealed record Pending(AuditEvent Event, TaskCompletionSource<SealedAuditEvent> Completion);
}

/// <summary>The audit log could not record an event: the action it records must not be reported as done.</summary>
internal sealed class AuditUnavailableException(string message, Exception inner) : Exception(message, inner);
