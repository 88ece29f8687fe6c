using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway;

/// <summary>The one-shot commands of the gateway binary: <c>--migrate</c> and <c>--healthcheck</c>.</summary>
public static partial class GatewayApp
{
    /// <summary>The switch that runs the migrations and exits.</summary>
    public const string MigrateSwitch = "--migrate";

    /// <summary>The switch that probes a running gateway's <c>/healthz</c> and exits (the container's health check).</summary>
    public const string HealthCheckSwitch = "--healthcheck";

    /// <summary>
    /// Runs the gateway binary: a one-shot command when its switch is given, else the server. Returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains(HealthCheckSwitch, StringComparer.Ordinal))
        {
            return await HealthProbe.RunAsync(args.SkipWhile(a => a != HealthCheckSwitch).Skip(1).FirstOrDefault(), CancellationToken.None);
        }

        var migrate = args.Contains(MigrateSwitch, StringComparer.Ordinal);
        var app = Build([.. args.Where(a => a != MigrateSwitch)]);
        if (migrate)
        {
            return await MigrateAsync(app);
        }

        await InitialiseAsync(app);
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// <c>--migrate</c>: validates the options, applies pending migrations, grants the runtime role
    /// (<c>DataClauses:Storage:RuntimeRole</c>) its rights on PostgreSQL, and returns 0; 1 on failure. Run it as the
    /// migration owner; nothing is seeded and nothing listens.
    /// </summary>
    public static async Task<int> MigrateAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DataClauses.Gateway.Migrate");
        try
        {
            var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync()).Count();
            await DatabaseInitializer.MigrateAsync(db, CancellationToken.None);
            if (db.IsPostgreSql && options.Storage.RuntimeRole is { } role)
            {
                await RuntimeRoleGrants.ApplyAsync(db, role, CancellationToken.None);
            }

            LogMigrated(logger, pending, options.Storage.Provider, options.Storage.RuntimeRole ?? "(none)");
            return 0;
        }
        catch (Exception ex) when (ex is OptionsValidationException or System.Data.Common.DbException or InvalidOperationException)
        {
            LogMigrationFailed(logger, ex.Message);
            await Console.Error.WriteLineAsync($"dataclauses-gateway --migrate failed: {ex.Message}");
            return 1;
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Applied {Count} migration(s) on {Provider}; runtime role granted: {Role}")]
    private static partial void LogMigrated(ILogger logger, int count, string provider, string role);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Migration failed: {Reason}")]
    private static partial void LogMigrationFailed(ILogger logger, string reason);
}
