using DataClauses.Gateway.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Storage;

/// <summary>Registers the metadata store on the configured provider.</summary>
internal static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services)
    {
        // The options are built once (singleton), not for every request scope: building them showed in query profiles.
        services.AddSingleton<StorageLocation>();
        services.AddDbContext<SqliteGatewayDbContext>((sp, o) =>
        {
            o.UseSqlite(sp.GetRequiredService<StorageLocation>().SqliteConnectionString);
            Common(o);
        }, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        services.AddDbContext<PostgresGatewayDbContext>((sp, o) =>
        {
            o.UseNpgsql(sp.GetRequiredService<StorageLocation>().PostgresConnectionString);
            Common(o);
        }, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        services.AddScoped<ScopedDbContext>();
        services.AddScoped<GatewayDbContext>(sp =>
        {
            GatewayDbContext context = sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Storage.Provider == StorageProviders.PostgreSql
                ? sp.GetRequiredService<PostgresGatewayDbContext>()
                : sp.GetRequiredService<SqliteGatewayDbContext>();
            sp.GetRequiredService<ScopedDbContext>().Context = context;
            return context;
        });
        services.AddSingleton<DistributedLock>();
        return services;

        static void Common(DbContextOptionsBuilder o)
        {
            // Migrations are hand-written (no design-time package here), so there is no model snapshot to compare with.
            o.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        }
    }
}

/// <summary>Resolves where the data lives: the SQLite file under the content root's data folder, or PostgreSQL.</summary>
/// <summary>
/// The scope's <see cref="GatewayDbContext"/> once something in the scope asked for it, null before: lets a service
/// that only needs to know whether the request has a transaction open (the audit service) ask without creating a
/// context for every request.
/// </summary>
internal sealed class ScopedDbContext
{
    /// <summary>The scope's context, when it was created.</summary>
    public GatewayDbContext? Context { get; set; }
}

internal sealed class StorageLocation
{
    public StorageLocation(IOptions<GatewayOptions> options, IHostEnvironment environment)
    {
        var storage = options.Value.Storage;
        DataDirectory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, storage.DataDirectory));
        if (storage.Provider == StorageProviders.PostgreSql)
        {
            PostgresConnectionString = storage.ConnectionString ?? string.Empty;
            SqliteConnectionString = string.Empty;
            return;
        }

        PostgresConnectionString = string.Empty;
        var builder = new SqliteConnectionStringBuilder(storage.ConnectionString ?? $"Data Source={Path.Combine(DataDirectory, "dataclauses.db")}")
        {
            // Writers wait for each other instead of failing at once (SQLite has one writer at a time).
            DefaultTimeout = 60,
            Pooling = true,
        };
        SqliteConnectionString = builder.ToString();
        SqliteFile = builder.DataSource;
    }

    public string DataDirectory { get; }

    public string SqliteConnectionString { get; }

    public string? SqliteFile { get; }

    public string PostgresConnectionString { get; }
}
