using DataClauses.Gateway.Hosting;
using OpenIddict.Abstractions;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Hourly (on the injected clock's timer): deletes OpenIddict's token and authorization entries created more than a
/// day ago that are no longer valid (revoked, redeemed, or expired: OpenIddict's store reads the wall clock for that).
/// Every client credentials token leaves a row (for revocation and introspection); without this the table would grow
/// with every token issued. Tests run a pass with <see cref="RunOnceAsync"/>.
/// </summary>
internal sealed partial class TokenPruning(IServiceScopeFactory scopes, TimeProvider clock, ILogger<TokenPruning> logger) : BackgroundService
{
    /// <summary>Entries past this age are pruned once no longer valid (kept a day for investigations).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>One pass; returns how many token entries were deleted.</summary>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var threshold = clock.GetUtcNow() - Retention;
        var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, cancellationToken);
        await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, cancellationToken);
        return tokens;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicPass.RunAsync(TimeSpan.FromHours(1), clock, RunOnceAsync, ex => LogPassFailed(logger, ex), stoppingToken);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Pruning expired OpenIddict tokens failed; it runs again in an hour")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
