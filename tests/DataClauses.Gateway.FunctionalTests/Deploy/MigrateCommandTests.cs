using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Deploy;

/// <summary><c>dataclauses-gateway --migrate</c> through the binary's entry point (<see cref="GatewayApp.RunAsync"/>).</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_applies_every_migration_seeds_nothing_and_exits_0_and_a_bad_option_exits_1()
    {
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Sqlite);
        string[] Args(string provider) =>
        [
            GatewayApp.MigrateSwitch,
            $"--DataClauses:Storage:Provider={provider}",
            $"--DataClauses:Storage:ConnectionString={database.ConnectionString}",
            $"--DataClauses:Storage:DataDirectory={database.Directory}",
            $"--DataClauses:PoliciesPath={GatewayHost.PoliciesPath}",
            "--Logging:LogLevel:Default=Warning",
        ];

        (await GatewayApp.RunAsync(Args("Oracle"))).ShouldBe(1);
        (await GatewayApp.RunAsync(Args("Sqlite"))).ShouldBe(0);

        (await database.ScalarAsync("SELECT COUNT(*) FROM \"__EFMigrationsHistory\"")).ShouldBe((long)Migrations.Count);
        (await database.ScalarAsync("SELECT COUNT(*) FROM clients")).ShouldBe(0L, "--migrate seeds nothing");
        (await GatewayApp.RunAsync(Args("Sqlite"))).ShouldBe(0, "a second run finds nothing to do");
    }
}
