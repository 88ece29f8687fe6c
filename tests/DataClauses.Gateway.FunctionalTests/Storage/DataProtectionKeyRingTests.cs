using System.Xml.Linq;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.FunctionalTests.Storage;

/// <summary>
/// The Data Protection key ring lives in the database (Microsoft.AspNetCore.DataProtection.EntityFrameworkCore): what
/// one replica protects another unprotects, and what was protected before the move to that table still unprotects after
/// the upgrade migration.
/// </summary>
public abstract class DataProtectionKeyRingTests
{
    private const string Upgrade = "20261206210000_DataProtectionKeys";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Data_protected_by_one_host_is_unprotected_by_another_on_the_same_database()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var first = await GatewayHost.StartAsync(Provider, database: database);
        await using var second = await GatewayHost.StartAsync(Provider, database: database);
        var secret = "secret " + Guid.NewGuid();

        var protectedBytes = Protector(first.Services).Protect(secret);

        Protector(second.Services).Unprotect(protectedBytes).ShouldBe(secret);
        (await database.ScalarAsync($"SELECT COUNT(*) FROM {DataClauses.Gateway.Storage.Migrations.DataProtectionKeysSchema.Table}")).ShouldBe(1L);
    }

    [Fact]
    public async Task Data_protected_before_the_upgrade_still_unprotects_after_it()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);

        // The database as the previous release left it: every migration before the upgrade.
        await using (var before = GatewayHost.Build(database, TestClock.StartingNow(), null))
        {
            using var scope = before.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var previous = db.Database.GetMigrations().TakeWhile(m => !string.Equals(m, Upgrade, StringComparison.Ordinal)).Last();
            await db.GetService<IMigrator>().MigrateAsync(previous);
        }

        // A key ring written as the former repository wrote it (one row per key element, XML without formatting),
        // protecting a secret under the gateway's application name.
        var keys = new MemoryXmlRepository();
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName("DataClauses");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = keys);
        await using var former = services.BuildServiceProvider();
        var secret = "secret " + Guid.NewGuid();
        var protectedBytes = Protector(former).Protect(secret);
        keys.Elements.Count.ShouldBe(1);
        foreach (var (element, name) in keys.Elements)
        {
            var xml = element.ToString(SaveOptions.DisableFormatting).Replace("'", "''", StringComparison.Ordinal);
            await database.ExecuteAsync($"INSERT INTO data_protection_keys (friendly_name, xml) VALUES ('{name}', '{xml}')");
        }

        // The upgraded gateway (it applies the remaining migrations at start) reads the same key.
        await using var host = await GatewayHost.StartAsync(Provider, database: database);

        Protector(host.Services).Unprotect(protectedBytes).ShouldBe(secret);
        (await database.ScalarAsync($"SELECT COUNT(*) FROM {DataClauses.Gateway.Storage.Migrations.DataProtectionKeysSchema.Table}")).ShouldBe(1L);
    }

    private static IDataProtector Protector(IServiceProvider services) =>
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("DataClauses.Tests.KeyRing");

    private sealed class MemoryXmlRepository : IXmlRepository
    {
        public List<(XElement Element, string Name)> Elements { get; } = [];

        public IReadOnlyCollection<XElement> GetAllElements() => [.. Elements.Select(e => e.Element)];

        public void StoreElement(XElement element, string friendlyName) => Elements.Add((element, friendlyName));
    }
}

public sealed class DataProtectionKeyRingTests_on_Sqlite : DataProtectionKeyRingTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class DataProtectionKeyRingTests_on_PostgreSql : DataProtectionKeyRingTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
