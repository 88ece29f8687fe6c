using System.Threading.Channels;
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
internal sealed partial class ExtractCommitter : IAsyncDisposable
{
    private const int MaxBatch = 200;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<ExtractCommitter> _logger;
    private readonly Task _writer;

    public ExtractCommitter(IServiceScopeFactory scopes, ILogger<ExtractCommitter> logger)
    {
        _scopes = scopes;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>A change and its events, run inside the batch's transaction; null when it does not apply any more.</summary>
    public delegate Task<IReadOnlyList<AuditEvent>?> Unit(GatewayDbContext db, CancellationToken cancellationToken);

    /// <summary>Commits a unit with others; true when it applied, false when its precondition failed.</summary>
    public async Task<bool> CommitAsync(Unit unit, CancellationToken cancellationToken)
    {
        var pending = new Pending(unit, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The gateway is shutting down.");
        }

        // Cancelling the caller does not cancel the commit: a change that was handed over is either stored or not, and known.
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
                var applied = await RunAsync(batch);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(applied[i]);
                }
            }
#pragma warning disable CA1031 // The batch failed: each unit is retried alone so that only the failing one fails its caller.
            catch (Exception ex) when (batch.Count > 1)
            {
                LogBatchRetried(_logger, ex, batch.Count);
                foreach (var pending in batch)
                {
                    try
                    {
                        pending.Completion.TrySetResult((await RunAsync([pending]))[0]);
                    }
                    catch (Exception single)
                    {
                        pending.Completion.TrySetException(single);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Completion.TrySetException(ex);
            }
#pragma warning restore CA1031
        }
    }

    private async Task<bool[]> RunAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var applied = new bool[batch.Count];
        var events = new List<AuditEvent>();
        for (var i = 0; i < batch.Count; i++)
        {
            var unitEvents = await batch[i].Unit(db, CancellationToken.None);
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

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "A batch of {Count} extract changes failed; each is retried alone")]
    private static partial void LogBatchRetried(ILogger logger, Exception exception, int count);

    private sealed record Pending(Unit Unit, TaskCompletionSource<bool> Completion);
}
