using System.Diagnostics;
using System.Net;
using System.Text;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// A CSV body that sends its first rows, then stalls without ending until the request is cancelled: an upload cut
/// off half-way. Its declared Content-Length is far larger than what it ever sends.
/// </summary>
internal sealed class StalledCsvContent : HttpContent
{
    private readonly byte[] _sent;

    public StalledCsvContent(string datasetId, int rows)
    {
        _sent = Encoding.UTF8.GetBytes(Publishing.ValidCsv(datasetId, rows));
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
    }

    /// <summary>Completes once the first rows are written to the connection.</summary>
    public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The bytes sent before stalling.</summary>
    public int SentBytes => _sent.Length;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < _sent.Length; offset += 64 * 1024)
        {
            await stream.WriteAsync(_sent.AsMemory(offset, Math.Min(64 * 1024, _sent.Length - offset)), cancellationToken);
        }

        await stream.FlushAsync(cancellationToken);
        Stalled.TrySetResult();

        // The rest never comes: only the cancellation of the request (or the death of the server) ends this.
        await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _sent.Length * 10L;
        return true;
    }
}

/// <summary>
/// Waits for what another process or thread does in its own time — a process starting or dying, a server noticing
/// that a client went away — by checking again until a deadline. Never used for time-based behaviour.
/// </summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new TimeoutException($"Gave up after {seconds} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Whether the gateway is in the middle of importing an upload into this database: on PostgreSQL a COPY into a
    /// dv_ table is running; on SQLite the body is being spooled under the data directory.
    /// </summary>
    /// <param name="database">The test database.</param>
    /// <param name="since">On PostgreSQL, only a COPY started at or after this instant counts: a previous test's import,
    /// still aborting, must not end the wait before this upload's body is read.</param>
    public static async Task<bool> ImportInProgressAsync(TestDatabase database, DateTimeOffset? since = null) => database.Provider == StorageProvider.PostgreSql
        ? Convert.ToInt64(await database.ScalarAsync($"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{database.Name}' AND state = 'active' AND query LIKE 'COPY \"dv\\_%'"
            + (since is { } t ? $" AND query_start >= to_timestamp({t.ToUnixTimeMilliseconds() / 1000.0:0.000})" : string.Empty)), System.Globalization.CultureInfo.InvariantCulture) > 0
        : Publishing.SpooledUploads(database).Any(f => new FileInfo(f).Length > 0);

    /// <summary>Whether no other session is connected to this PostgreSQL database (a dead gateway's are all gone); always true on SQLite.</summary>
    public static async Task<bool> NoOtherSessionAsync(TestDatabase database) =>
        database.Provider != StorageProvider.PostgreSql
        || Convert.ToInt64(await database.ScalarAsync($"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{database.Name}' AND pid <> pg_backend_pid()"), System.Globalization.CultureInfo.InvariantCulture) == 0;
}
