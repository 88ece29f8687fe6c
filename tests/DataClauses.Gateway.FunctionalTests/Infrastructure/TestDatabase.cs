using System.Data.Common;
using System.Security.Cryptography;
using DataClauses.Audit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A fresh, empty database for one test host (or for several hosts sharing it): a SQLite file in a temporary folder,
/// or a <c>dc_test_*</c> database on the test PostgreSQL server, dropped at dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _adminConnectionString;
    private bool _view;

    private TestDatabase(StorageProvider provider, string directory, string connectionString, string? adminConnectionString, string? name)
    {
        Provider = provider;
        Directory = directory;
        ConnectionString = connectionString;
        _adminConnectionString = adminConnectionString;
        Name = name;
    }

    public StorageProvider Provider { get; }

    /// <summary>A temporary folder of this database (the SQLite file, and the gateway's data directory).</summary>
    public string Directory { get; }

    /// <summary>The connection string the gateway is configured with.</summary>
    public string ConnectionString { get; }

    /// <summary>The PostgreSQL database name.</summary>
    public string? Name { get; }

    public static async Task<TestDatabase> CreateAsync(StorageProvider provider)
    {
        var directory = Path.Combine(Path.GetTempPath(), "dataclauses-tests", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        System.IO.Directory.CreateDirectory(directory);
        if (provider == StorageProvider.Sqlite)
        {
            return new TestDatabase(provider, directory, $"Data Source={Path.Combine(directory, "dataclauses.db")}", null, null);
        }

        string admin;
        try
        {
            admin = await TestPostgres.GetConnectionStringAsync();
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }

        var name = "dc_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(provider, directory, builder.ConnectionString, admin, name);
    }

    /// <summary>
    /// The same PostgreSQL database reached as another login role (the deployment's owner and runtime roles); disposing
    /// the view drops nothing.
    /// </summary>
    public TestDatabase As(string userName)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Username = userName };
        return new TestDatabase(Provider, Directory, builder.ConnectionString, null, Name) { _view = true };
    }

    /// <summary>Opens a connection of its own (not the gateway's pool) to read or change the database directly.</summary>
    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Provider == StorageProvider.Sqlite
            ? new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false, DefaultTimeout = 60 }.ConnectionString)
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<int> ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Every audit row in stored order, read with plain SQL (not through the gateway).</summary>
    public async Task<IReadOnlyList<AuditRecord>> ReadAuditAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence, previous_hash, hash, canonical FROM audit_events ORDER BY sequence";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<AuditRecord>();
        while (await reader.ReadAsync())
        {
            var row = new StoredAuditRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
            rows.Add(new AuditRecord(row, AuditCanonicalForm.Read(row.Canonical).Event));
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (_view)
        {
            NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString));
            return;
        }

        if (_adminConnectionString is not null && Name is not null)
        {
            NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString));
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a pool being torn down: the temporary folder is cleaned by the system.
        }
    }
}

/// <summary>A stored audit row and the event its canonical form holds.</summary>
public sealed record AuditRecord(StoredAuditRow Row, AuditEvent Event);
