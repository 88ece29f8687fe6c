using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// The back half of an import, off the request's thread, in two stages: hashing the unit identifiers (one HMAC per
/// row, the costliest step; several threads when there are more than two cores) and writing the rows to the sink —
/// while the request's thread reads and validates the next rows. Batches circulate through bounded channels: memory
/// stays bounded, rows keep their file order, and a slow database slows the upload down instead of piling rows up.
/// </summary>
internal sealed class ImportPipeline : IAsyncDisposable
{
    private readonly Channel<RowBatch> _toHash;
    private readonly Channel<RowBatch> _toWrite;
    private readonly Channel<RowBatch> _free = Channel.CreateUnbounded<RowBatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly IRowSink _sink;
    private readonly UnitIdHasher[] _hashers;
    private readonly Task _hashing;
    private readonly Task _writing;
    private volatile bool _aborted;
    private Exception? _failure;
    private bool _disposed;

    /// <summary>Starts the stages; up to <paramref name="depth"/> batches wait before each.</summary>
    public ImportPipeline(IRowSink sink, byte[] unitIdKey, IReadOnlyList<ColumnKind> kinds, int batchSize = 4096, int depth = 2)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        // One core is left to the request's thread (and the database, often on the same machine): on two cores a
        // second hasher only competes with them.
        _hashers = [.. Enumerable.Range(0, Math.Clamp(Environment.ProcessorCount - 1, 1, 4)).Select(_ => new UnitIdHasher(unitIdKey))];
        var options = new BoundedChannelOptions(depth) { SingleReader = true, SingleWriter = true };
        _toHash = Channel.CreateBounded<RowBatch>(options);
        _toWrite = Channel.CreateBounded<RowBatch>(options);
        for (var i = 0; i < (2 * depth) + 3; i++)
        {
            _free.Writer.TryWrite(new RowBatch(kinds, batchSize));
        }

        _free.Reader.TryRead(out var first);
        Current = first!;
        _hashing = Task.Run(HashAsync);
        _writing = Task.Run(WriteAsync);
    }

    /// <summary>The batch the producer fills.</summary>
    public RowBatch Current { get; private set; }

    /// <summary>Hands the current batch on and takes an empty one (waiting while every batch is in use).</summary>
    public async ValueTask FlushAsync()
    {
        if (Current.Count == 0)
        {
            return;
        }

        try
        {
            await _toHash.Writer.WriteAsync(Current);
            Current = await _free.Reader.ReadAsync();
        }
        catch (ChannelClosedException) when (_failure is not null)
        {
            // A stage failed: surface its own exception.
            ExceptionDispatchInfo.Throw(_failure);
        }
    }

    /// <summary>Writes the remaining rows, waits for the stages and completes the sink.</summary>
    public async Task CompleteAsync()
    {
        await FlushAsync();
        _toHash.Writer.TryComplete();
        await _hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_failure is not null)
        {
            ExceptionDispatchInfo.Throw(_failure);
        }

        await _sink.CompleteAsync();
    }

    /// <summary>Stops the stages (dropping batches not yet written) and disposes the sink: an uncompleted import is abandoned.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _aborted = true;
        _toHash.Writer.TryComplete();

        // A stage's failure was already reported to the producer; the sink must not be disposed while in use.
        await _hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _sink.DisposeAsync();
        foreach (var hasher in _hashers)
        {
            hasher.Dispose();
        }
    }

    private async Task HashAsync()
    {
        try
        {
            await foreach (var batch in _toHash.Reader.ReadAllAsync())
            {
                if (_aborted)
                {
                    break;
                }

                Hash(batch);
                await _toWrite.Writer.WriteAsync(batch);
            }

            _toWrite.Writer.TryComplete();
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await foreach (var batch in _toWrite.Reader.ReadAllAsync())
            {
                if (_aborted)
                {
                    break;
                }

                _sink.Write(batch);
                batch.Count = 0;
                _free.Writer.TryWrite(batch);
            }
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>Hashes a batch, its rows split evenly over the hashers (each has its own HMAC state).</summary>
    private void Hash(RowBatch batch)
    {
        var workers = batch.Count < 256 ? 1 : _hashers.Length;
        if (workers == 1)
        {
            _hashers[0].Hash(batch, 0, batch.Count);
            return;
        }

        var share = (batch.Count + workers - 1) / workers;
        Parallel.For(0, workers, w => _hashers[w].Hash(batch, w * share, Math.Min(batch.Count, (w + 1) * share)));
    }

    /// <summary>Unblocks the producer and the other stage, whichever channel they wait on.</summary>
    private void Fail(Exception e)
    {
        Interlocked.CompareExchange(ref _failure, e, null);
        _toHash.Writer.TryComplete(e);
        _toWrite.Writer.TryComplete(e);
        _free.Writer.TryComplete(e);
    }
}
