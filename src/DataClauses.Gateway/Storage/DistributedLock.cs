using System.Buffers.Binary;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace DataClauses.Gateway.Storage;

/// <summary>
/// Serialises work across replicas: a PostgreSQL transaction-scoped advisory lock, or, on SQLite (one process,
/// one writer), an in-process semaphore per key.
/// </summary>
internal sealed class DistributedLock
{
    /// <summary>Lock key for appending to the audit chain.</summary>
    public const long AuditChain = 0x44_43_41_55_44_49_54; // "DCAUDIT"

    /// <summary>Lock key for creating signing keys.</summary>
    public const long SigningKeys = 0x44_43_4B_45_59_53; // "DCKEYS"

    /// <summary>Lock key for creating the first Data Protection key.</summary>
    public const long DataProtection = 0x44_43_44_50_4B_45_59; // "DCDPKEY"

    /// <summary>Lock key for seeding the demo data.</summary>
    public const long Seed = 0x44_43_53_45_45_44; // "DCSEED"

    private readonly Dictionary<long, SemaphoreSlim> _local = [];

    /// <summary>
    /// A lock key computed from a name (e.g. one protected cube's key): the first 8 bytes of its SHA-256, so that
    /// every replica derives the same key, and distinct names (or a name and the fixed keys above) practically never
    /// share one. A shared key would only make two unrelated jobs wait for each other, never run one twice.
    /// </summary>
    public static long KeyOf(string scope, string name)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(name);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(scope + "\n" + name));
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }

    /// <summary>
    /// Takes the lock for the rest of the current transaction on PostgreSQL (released at commit or rollback).
    /// On SQLite the write transaction itself already serialises writers; nothing more is needed.
    /// </summary>
    public static async Task AcquireForTransactionAsync(GatewayDbContext db, long key, CancellationToken cancellationToken)
    {
        if (!db.IsPostgreSql)
        {
            return;
        }

        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("An advisory transaction lock needs an open transaction.");
        command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "key";
        parameter.Value = key;
        command.Parameters.Add(parameter);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Tries to take a session lock for a background job (PostgreSQL: <c>pg_try_advisory_lock</c> on a dedicated
    /// connection; SQLite: an in-process semaphore). Returns null when another replica holds it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(GatewayDbContext db, long key, CancellationToken cancellationToken)
    {
        if (!db.IsPostgreSql)
        {
            SemaphoreSlim semaphore;
            lock (_local)
            {
                if (!_local.TryGetValue(key, out semaphore!))
                {
                    _local[key] = semaphore = new SemaphoreSlim(1, 1);
                }
            }

            return await semaphore.WaitAsync(0, cancellationToken) ? new Release(() =>
            {
                semaphore.Release();
                return ValueTask.CompletedTask;
            }) : null;
        }

        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await connection.OpenAsync(cancellationToken);
        }

        if (!await ExecuteBoolAsync(connection, "SELECT pg_try_advisory_lock(@key)", key, cancellationToken))
        {
            return null;
        }

        return new Release(async () => await ExecuteBoolAsync(connection, "SELECT pg_advisory_unlock(@key)", key, CancellationToken.None));
    }

    private static async Task<bool> ExecuteBoolAsync(DbConnection connection, string sql, long key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "key";
        parameter.Value = key;
        command.Parameters.Add(parameter);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed class Release(Func<ValueTask> release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => release();
    }
}
