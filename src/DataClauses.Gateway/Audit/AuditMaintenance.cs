using DataClauses.Audit;
using DataClauses.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Every <c>DataClauses:Audit:CheckpointInterval</c> (default hourly, on the injected clock's timer): signs the chain
/// head when it moved, then purges the events past retention below a signed anchor. Tests run a pass directly with
/// <see cref="RunOnceAsync"/>.
/// </summary>
internal sealed partial class AuditMaintenance(
    AuditCheckpoints checkpoints,
    AuditRetention retention,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<AuditMaintenance> logger) : BackgroundService
{
    /// <summary>One pass: a periodic checkpoint (when the head moved), then the retention purge.</summary>
    public async Task<(CheckpointResult Checkpoint, PurgeResult Purge)> RunOnceAsync(CancellationToken cancellationToken)
    {
        var checkpoint = await checkpoints.SignHeadAsync(AuditCheckpoint.Periodic, cancellationToken);
        var purge = await retention.PurgeAsync(cancellationToken);
        return (checkpoint, purge);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Audit.CheckpointInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
#pragma warning disable CA1031 // A failed pass is logged; the next one tries again.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogPassFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 4121, Level = LogLevel.Error, Message = "The audit maintenance pass (checkpoint, retention) failed; it runs again at the next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
