namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// One gateway host shared by the tests of a class (tests that do not interfere: they create their own clients and
/// never move the clock). Each test class runs twice, through a <c>_on_Sqlite</c> and a <c>_on_PostgreSql</c> subclass.
/// </summary>
public abstract class GatewayFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public abstract StorageProvider Provider { get; }

    /// <summary>The shared host (started before the first test of the class).</summary>
    public GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway host has not started.");

    public async Task InitializeAsync() => _host = await GatewayHost.StartAsync(Provider);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>A shared gateway host on SQLite.</summary>
public sealed class SqliteGateway : GatewayFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

/// <summary>A shared gateway host on PostgreSQL (fails every test of the class with instructions when it is unreachable).</summary>
public sealed class PostgreSqlGateway : GatewayFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}
