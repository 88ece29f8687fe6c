namespace DataClauses.Gateway.Hosting;

/// <summary>The loop of a background service that runs one pass per tick of the injected clock's timer.</summary>
internal static class PeriodicPass
{
    /// <summary>
    /// Runs <paramref name="pass"/> at every tick until the host stops. A failed pass is reported through
    /// <paramref name="failed"/> and the next tick tries again: one bad pass never stops the service.
    /// </summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, Func<CancellationToken, Task> pass, Action<Exception> failed, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(failed);
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await pass(stoppingToken);
                }
#pragma warning disable CA1031 // A failed pass is reported; the next one tries again.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    failed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
