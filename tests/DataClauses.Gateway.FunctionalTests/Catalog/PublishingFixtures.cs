using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// A gateway host shared by the tests of one publishing test class: started with the class's settings, with the
/// schemas of <see cref="DeclaredDatasets"/> declared by their providers before the first test.
/// </summary>
public abstract class PublishingFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public abstract StorageProvider Provider { get; }

    /// <summary>The shared host.</summary>
    public GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway host has not started.");

    /// <summary>Configuration overriding the test defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Datasets whose test schema is declared at start.</summary>
    protected virtual IReadOnlyList<string> DeclaredDatasets { get; } = [];

    public async Task InitializeAsync()
    {
        _host = await GatewayHost.StartAsync(Provider, Settings);
        foreach (var dataset in DeclaredDatasets)
        {
            await Publishing.DeclareAsync(_host, dataset);
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>A host whose demo datasets are seeded at start (the synthetic data, as on a fresh demo node).</summary>
public abstract class SeededGatewayFixture : PublishingFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?>(StringComparer.Ordinal) { ["DataClauses:SeedDemoDatasets"] = "true" };
}

public sealed class SeededSqliteGateway : SeededGatewayFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class SeededPostgreSqlGateway : SeededGatewayFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>A host with the demo datasets' test schemas declared and no version published.</summary>
public abstract class DeclaredGatewayFixture : PublishingFixture
{
    protected override IReadOnlyList<string> DeclaredDatasets { get; } = [Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur];
}

public sealed class DeclaredSqliteGateway : DeclaredGatewayFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class DeclaredPostgreSqlGateway : DeclaredGatewayFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}
