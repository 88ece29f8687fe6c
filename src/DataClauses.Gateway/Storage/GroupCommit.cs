using System.Threading.Channels;

namespace DataClauses.Gateway.Storage;

/// <summary>
/// Group commit: concurrent callers hand their work over and wait; one writer takes whatever has queued up (at most
/// the batch size) and commits it in one transaction. Used where every caller would otherwise queue for the same lock
/// one by one (the audit chain's head): they share one lock, one head read and one durable commit instead.
/// </summary>
/// <typeparam name="TItem">What a caller hands over.</typeparam>
/// <typeparam name="TResult">What the caller gets back once its item is committed.</typeparam>
internal abstract class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly int _maxBatch;
    private readonly string _closedMessage;
    private readonly Task _writer;

    /// <param name="maxBatch">The most items one transaction takes.</param>
    /// <param name="closedMessage">The error of a hand-over after disposal (the gateway is stopping).</param>
    protected GroupCommit(int maxBatch, string closedMessage)
    {
        _maxBatch = maxBatch;
        _closedMessage = closedMessage;

        // The loop touches the subclass only for queued items, which exist only once construction has finished.
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Stops taking items and waits for the queued ones to be committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        GC.SuppressFinalize(this);
    }

    /// <summary>Hands <paramref name="item"/> over; completes once it is durably committed (or failed).</summary>
    protected async Task<TResult> SubmitAsync(TItem item, CancellationToken cancellationToken)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException(_closedMessage);
        }

        // Cancelling the caller does not cancel the commit: what was handed over is either stored or not, and known.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Commits a batch in one transaction; one result per item, in order.</summary>
    protected abstract Task<IReadOnlyList<TResult>> CommitBatchAsync(IReadOnlyList<TItem> batch);

    /// <summary>
    /// Completes the callers of a batch whose commit threw (nothing of it was committed). By default every caller fails
    /// with the exception.
    /// </summary>
    protected virtual Task RecoverAsync(IReadOnlyList<TItem> batch, Exception exception, IReadOnlyList<TaskCompletionSource<TResult>> callers)
    {
        ArgumentNullException.ThrowIfNull(callers);
        foreach (var caller in callers)
        {
            caller.TrySetException(exception);
        }

        return Task.CompletedTask;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            var items = batch.ConvertAll(p => p.Item);
            try
            {
                var results = await CommitBatchAsync(items);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                }
            }
#pragma warning disable CA1031 // Whatever failed, the batch's callers learn it and the loop goes on for the next ones.
            catch (Exception ex)
            {
                try
                {
                    await RecoverAsync(items, ex, batch.ConvertAll(p => p.Completion));
                }
                catch (Exception recovery)
                {
                    batch.ForEach(p => p.Completion.TrySetException(recovery));
                }
            }
#pragma warning restore CA1031
        }
    }

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Completion);
}
