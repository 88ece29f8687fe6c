using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Tests.Storage;

/// <summary>
/// The group commit shared by the audit log and the extracts: callers' items are committed together, each caller gets
/// its own result, a failed batch reaches every caller (or, when recovered item by item, only the failing one), and
/// the writer goes on after a failure. The "commit" here is an in-memory list: what is tested is the hand-over.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Concurrent_callers_share_batches_and_each_gets_its_own_result()
    {
        await using var commit = new Recorder(failOn: null, retryEachAlone: false);
        var blocker = await commit.HoldAsync();

        var callers = Enumerable.Range(1, 500).Select(i => Task.Run(() => commit.SubmitAsync(i))).ToList();
        while (commit.HandedOver < 501)
        {
            await Task.Delay(5);
        }

        commit.Release();
        var results = await Task.WhenAll(callers);

        (await blocker).ShouldBe(0);
        results.ShouldBe(Enumerable.Range(1, 500).Select(i => i * 10).ToArray());
        commit.Committed.Order().ShouldBe(Enumerable.Range(0, 501));
        commit.Batches.ShouldBe(1 + (500 + 63) / 64, "what queued up while the writer was busy is committed in full batches of 64");
    }

    [Fact]
    public async Task A_failed_batch_fails_every_caller_and_the_next_items_are_committed()
    {
        await using var commit = new Recorder(failOn: 13, retryEachAlone: false);
        var blocker = await commit.HoldAsync();
        var batch = Enumerable.Range(10, 5).Select(i => commit.SubmitAsync(i)).ToList();
        commit.Release();
        (await blocker).ShouldBe(0);

        foreach (var caller in batch)
        {
            (await Should.ThrowAsync<InvalidOperationException>(caller)).Message.ShouldBe("item 13 cannot be stored");
        }

        (await commit.SubmitAsync(20)).ShouldBe(200);
        commit.Committed.ShouldBe([0, 20]);
    }

    [Fact]
    public async Task A_failed_batch_retried_item_by_item_fails_only_the_failing_caller()
    {
        await using var commit = new Recorder(failOn: 13, retryEachAlone: true);
        var blocker = await commit.HoldAsync();
        var batch = Enumerable.Range(10, 5).Select(i => commit.SubmitAsync(i)).ToList();
        commit.Release();
        (await blocker).ShouldBe(0);

        for (var i = 0; i < batch.Count; i++)
        {
            if (i == 3)
            {
                await Should.ThrowAsync<InvalidOperationException>(batch[i]);
            }
            else
            {
                (await batch[i]).ShouldBe((10 + i) * 10);
            }
        }

        commit.Committed.Order().ShouldBe([0, 10, 11, 12, 14]);
    }

    [Fact]
    public async Task Handing_over_after_disposal_is_refused_with_the_given_message()
    {
        var commit = new Recorder(failOn: null, retryEachAlone: false);
        (await commit.SubmitAsync(1)).ShouldBe(10);
        await commit.DisposeAsync();

        (await Should.ThrowAsync<InvalidOperationException>(() => commit.SubmitAsync(2))).Message.ShouldBe("closed");
    }

    /// <summary>Commits integers into a list (all or nothing per batch); the result is ten times the item.</summary>
    private sealed class Recorder(int? failOn, bool retryEachAlone) : GroupCommit<int, int>(maxBatch: 64, closedMessage: "closed")
    {
        private readonly List<int> _committed = [];
        private TaskCompletionSource _gate = CompletedGate();
        private TaskCompletionSource? _entered;
        private int _batches;
        private int _handedOver;

        public IReadOnlyList<int> Committed
        {
            get
            {
                lock (_committed)
                {
                    return [.. _committed];
                }
            }
        }

        public int Batches => Volatile.Read(ref _batches);

        /// <summary>Items handed over so far (the hand-over is done when SubmitAsync returns its task).</summary>
        public int HandedOver => Volatile.Read(ref _handedOver);

        public Task<int> SubmitAsync(int item)
        {
            var result = SubmitAsync(item, CancellationToken.None);
            Interlocked.Increment(ref _handedOver);
            return result;
        }

        /// <summary>
        /// Keeps the writer busy committing item 0 until <see cref="Release"/>, so that the items handed over meanwhile
        /// queue up into the next batch together.
        /// </summary>
        public async Task<Task<int>> HoldAsync()
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var blocker = SubmitAsync(0);
            await _entered.Task;
            return blocker;
        }

        public void Release() => _gate.TrySetResult();

        protected override async Task<IReadOnlyList<int>> CommitBatchAsync(IReadOnlyList<int> batch)
        {
            _entered?.TrySetResult();
            await _gate.Task;
            Interlocked.Increment(ref _batches);
            if (failOn is { } bad && batch.Contains(bad))
            {
                throw new InvalidOperationException($"item {bad} cannot be stored");
            }

            lock (_committed)
            {
                _committed.AddRange(batch);
            }

            return [.. batch.Select(i => i * 10)];
        }

        protected override async Task RecoverAsync(IReadOnlyList<int> batch, Exception exception, IReadOnlyList<TaskCompletionSource<int>> callers)
        {
            if (!retryEachAlone)
            {
                await base.RecoverAsync(batch, exception, callers);
                return;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    callers[i].TrySetResult((await CommitBatchAsync([batch[i]]))[0]);
                }
                catch (InvalidOperationException single)
                {
                    callers[i].TrySetException(single);
                }
            }
        }

        private static TaskCompletionSource CompletedGate()
        {
            var gate = new TaskCompletionSource();
            gate.SetResult();
            return gate;
        }
    }
}
