using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Storage;

/// <summary>Creates, migrates and (in the embedded default) seeds the store before the gateway serves.</summary>
internal sealed partial class DatabaseInitializer(
    IServiceScopeFactory scopes,
    StorageLocation location,
    SigningKeys keys,
    IDataProtectionProvider dataProtection,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<DatabaseInitializer> logger)
{
    // The demo passwords are public (README): their PBKDF2 hashes are computed once per process rather than once per
    // fresh database, about two seconds of CPU each time (the tests create hundreds of databases).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> DemoPasswordHashes = new(StringComparer.Ordinal);

    public async Task InitialiseAsync(CancellationToken cancellationToken)
    {
        if (location.SqliteFile is { } file && Path.GetDirectoryName(Path.GetFullPath(file)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        // Uploads spooled by a process that died mid-upload (their versions were never committed).
        var abandoned = SqliteDatasetImporter.DeleteAbandonedUploads(location);
        if (abandoned > 0)
        {
            LogAbandonedUploads(logger, abandoned, SqliteDatasetImporter.UploadsDirectory(location));
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            await EnsureSchemaAsync(db, options.Value.Storage.MigrateOnStart, cancellationToken);

            if (db is SqliteGatewayDbContext)
            {
                // WAL lets readers proceed while one writer writes.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
        }

        await BootstrapDataProtectionAsync(cancellationToken);
        await keys.EnsureKeysAsync(cancellationToken);

        if (options.Value.SeedDemo)
        {
            await SeedAccountsAsync(cancellationToken);
            await PeopleAuthorization.SeedDemoClientAsync(scopes, cancellationToken);
            if (options.Value.SeedDemoDatasets)
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<DemoDataSeeder>().SeedAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// Data Protection creates its first key on first use and activates it at once. Two replicas starting together on
    /// an empty PostgreSQL database would each create one, and neither could unprotect what the other protected (the
    /// signing keys): the first use happens under a lock, so the second replica finds the first one's key and uses it.
    /// Later keys are created days before they activate, so every replica knows them in time.
    /// </summary>
    private async Task BootstrapDataProtectionAsync(CancellationToken cancellationToken)
    {
        var protector = dataProtection.CreateProtector("DataClauses.Startup");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        if (!db.IsPostgreSql)
        {
            // One process per SQLite file; and a write transaction here would block the key ring's own insert.
            _ = protector.Protect("ready");
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.DataProtection, cancellationToken);
        _ = protector.Protect("ready");
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// A current schema needs no DDL right (a least-privilege runtime role starts on it); a schema behind the code is
    /// migrated when <paramref name="migrate"/> is on, and otherwise stops the start with what to run.
    /// </summary>
    private static async Task EnsureSchemaAsync(GatewayDbContext db, bool migrate, CancellationToken cancellationToken)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            return;
        }

        if (!migrate)
        {
            throw new InvalidOperationException(
                $"The database schema is behind the gateway: {pending.Count} migration(s) pending ({string.Join(", ", pending)}). "
                + "Run 'dotnet DataClauses.Gateway.dll --migrate' as the migration owner, or set DataClauses:Storage:MigrateOnStart=true.");
        }

        await MigrateAsync(db, cancellationToken);
    }

    /// <summary>Applies pending migrations (on PostgreSQL under an advisory lock, so that one replica migrates).</summary>
    public static async Task MigrateAsync(GatewayDbContext db, CancellationToken cancellationToken)
    {
        if (db.IsPostgreSql)
        {
            // Two replicas starting together: one migrates, the other waits for it.
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync(cancellationToken);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT pg_advisory_lock(4474477)";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            try
            {
                await db.Database.MigrateAsync(cancellationToken);
            }
            finally
            {
                await using var unlock = connection.CreateCommand();
                unlock.CommandText = "SELECT pg_advisory_unlock(4474477)";
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }

            return;
        }

        await db.Database.MigrateAsync(cancellationToken);
    }

    private async Task SeedAccountsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        if (await db.Clients.AnyAsync(cancellationToken))
        {
            return;
        }

        // Password hashing (PBKDF2) is the slow part of a first start: done in parallel, and before the write
        // transaction so that the seed lock (and, on SQLite, the write lock) is held only for the inserts.
        var now = clock.GetUtcNow();
        var passwords = new PasswordHasher<UserEntity>();
        var users = await Task.WhenAll(DemoAccounts.All.Select(account => Task.Run(
            () =>
            {
                var (organisation, role) = account;
                var user = new UserEntity
                {
                    UserName = DemoAccounts.UserName(organisation, role),
                    OrganisationId = organisation,
                    Roles = DemoAccounts.RoleOf(role),
                    DisplayName = $"{char.ToUpperInvariant(role[0])}{role[1..]} ({organisation})",
                    PasswordHash = string.Empty,
                    CreatedAt = now,
                };
                var password = DemoAccounts.Password(organisation, role);
                if (PasswordRules.Check(password, user.UserName) is [var problem, ..])
                {
                    throw new InvalidOperationException($"The demo password of {user.UserName} breaks the password rules: {problem}");
                }

                user.PasswordHash = DemoPasswordHashes.GetOrAdd(user.UserName + "\n" + password, _ => new Lazy<string>(() => passwords.HashPassword(user, password))).Value;
                return user;
            },
            cancellationToken)));

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.Seed, cancellationToken);
        if (await db.Clients.AnyAsync(cancellationToken))
        {
            return; // Another replica seeded meanwhile.
        }

        db.Users.AddRange(users);
        var applications = scope.ServiceProvider.GetRequiredService<ClientApplications>();
        foreach (var (organisation, role) in DemoAccounts.All)
        {
            var client = new ClientEntity
            {
                ClientId = DemoAccounts.ClientId(organisation, role),
                OrganisationId = organisation,
                Roles = DemoAccounts.RoleOf(role),
                Description = $"Demo {DemoAccounts.RoleOf(role)} client of {organisation}",
                CreatedAt = now,
                SecretRotatedAt = now,
                Person = DemoAccounts.UserName(organisation, role),
            };
            db.Clients.Add(client);

            // Saves the client (and, the first time, the users) with its application.
            await applications.CreateAsync(client, DemoAccounts.Secret(organisation, role), keys: null, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogSeeded(logger, DemoAccounts.All.Count);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Seeded {Count} demo clients and users")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Deleted {Count} upload spool file(s) left in {Directory} by an interrupted process")]
    private static partial void LogAbandonedUploads(ILogger logger, int count, string directory);
}
