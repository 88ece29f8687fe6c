using DataClauses.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Every <c>DataClauses:Audit:CheckpointInterval</c> (default hourly, on the injected clock's timer): signs the chain
/// head when it moved and purges the events past retention below a signed anchor, after raising the alerts of the
/// publication commitments that became late (<see cref="Commitments"/>), so that they are raised even when nobody looks. Tests run a pass directly with
/// <see cref="RunOnceAsync"/>.
/// </summary>
internal sealed partial class AuditMaintenance(
    AuditCheckpoints checkpoints,
    AuditRetention retention,
    Commitments commitments,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<AuditMaintenance> logger) : BackgroundService
{
    /// <summary>One pass: the commitments' alerts, a periodic checkpoint (when the head moved), then the retention purge.</summary>
    public async Task<(CheckpointResult Checkpoint, PurgeResult Purge)> RunOnceAsync(CancellationToken cancellationToken)
    {
        // The alerts first, so that the checkpoint seals them with the rest.
        await commitments.CheckAllAsync(cancellationToken);
        var checkpoint = await checkpoints.SignHeadAsync(AuditCheckpoint.Periodic, cancellationToken);
        var purge = await retention.PurgeAsync(cancellationToken);
        return (checkpoint, purge);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicPass.RunAsync(options.Value.Audit.CheckpointInterval, clock, RunOnceAsync, ex => LogPassFailed(logger, ex), stoppingToken);

    [LoggerMessage(EventId = 4121, Level = LogLevel.Error, Message = "The audit maintenance pass (checkpoint, retention) failed; it runs again at the next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
