using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Storage;

/// <summary>Two gateway processes (replicas) on one database: one set of keys, clients and audit chain.</summary>
public abstract class TwoGatewaysTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Two_gateways_started_together_on_an_empty_database_migrate_and_seed_it_once()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);

        var hosts = await Task.WhenAll(GatewayHost.StartAsync(Provider, database: database), GatewayHost.StartAsync(Provider, database: database));
        await using var first = hosts[0];
        await using var second = hosts[1];

        (await database.ScalarAsync("SELECT COUNT(*) FROM clients")).ShouldBe((long)Demo.DemoAccounts.All.Count);
        (await database.ScalarAsync("SELECT COUNT(*) FROM signing_keys")).ShouldBe(1L);
        (await database.ScalarAsync("SELECT COUNT(*) FROM \"__EFMigrationsHistory\"")).ShouldBe((long)Migrations.Count);
        using var ready = await second.Http.GetAsync("readyz");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);

        // Each signs with the one key, protected with a Data Protection key both can read.
        using var onSecond = second.WithToken(await first.GetDemoTokenAsync("caf-44", "admin"));
        using var onFirst = first.WithToken(await second.GetDemoTokenAsync("caf-44", "admin"));
        (await onSecond.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onFirst.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await database.ScalarAsync("SELECT COUNT(*) FROM data_protection_key_ring")).ShouldBe(1L);
    }

    [Fact]
    public async Task Token_issued_by_one_gateway_is_accepted_by_the_other()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var first = await GatewayHost.StartAsync(Provider, database: database);
        await using var second = await GatewayHost.StartAsync(Provider, database: database);

        var token = await first.GetDemoTokenAsync("caf-44", "admin");
        using var client = second.WithToken(token);
        using var response = await client.GetAsync("api/v1/admin/clients");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Token_issued_and_revoked_on_one_gateway_is_introspected_as_revoked_by_the_other()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var first = await GatewayHost.StartAsync(Provider, database: database);
        await using var second = await GatewayHost.StartAsync(Provider, database: database);
        var clientId = Demo.DemoAccounts.ClientId("caf-44", "publisher");
        var secret = Demo.DemoAccounts.Secret("caf-44", "publisher");
        var token = await first.GetTokenAsync(clientId, secret);

        (await second.IntrospectAsync(token, clientId, secret)).GetProperty("active").GetBoolean().ShouldBeTrue();
        using var revoked = await first.RevokeAsync(token, clientId, secret);
        revoked.StatusCode.ShouldBe(HttpStatusCode.OK);

        (await second.IntrospectAsync(token, clientId, secret)).GetProperty("active").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Client_created_on_one_gateway_gets_tokens_from_the_other_and_disabled_there_is_refused_by_both()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var first = await GatewayHost.StartAsync(Provider, database: database);
        await using var second = await GatewayHost.StartAsync(Provider, database: database);
        using var adminOnFirst = await first.ClientForAsync("caf-44", "admin");
        var clientId = "caf-44-replica-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await adminOnFirst.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { "publisher" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var secret = (await GatewayHost.JsonOf(created)).GetProperty("clientSecret").GetString()!;

        (await second.GetTokenAsync(clientId, secret)).ShouldNotBeNullOrEmpty();
        using var adminOnSecond = second.CreateClient();
        adminOnSecond.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await first.GetDemoTokenAsync("caf-44", "admin"));
        using var disabled = await adminOnSecond.PostAsync($"api/v1/admin/clients/{clientId}/disable", null);
        disabled.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var onFirst = await first.RequestTokenAsync(clientId, secret);
        using var onSecond = await second.RequestTokenAsync(clientId, secret);
        onFirst.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        onSecond.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await first.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Successor_key_created_by_one_gateway_validates_on_the_other()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        var clock = TestClock.StartingNow();
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal) { ["DataClauses:Identity:SigningKeyLifetime"] = "04:00:00" };
        await using var first = await GatewayHost.StartAsync(Provider, settings, database, clock);
        await using var second = await GatewayHost.StartAsync(Provider, settings, database, clock);
        var (_, firstKeyId) = await second.GetSigningKeyAsync();

        // The first gateway creates the successor and signs with it; the second has never loaded that key.
        clock.Advance(new TimeSpan(3, 55, 0));
        var token = await first.GetDemoTokenAsync("caf-44", "admin");
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ReadJsonWebToken(token).Kid.ShouldNotBe(firstKeyId);

        using var client = second.WithToken(token);
        using var response = await client.GetAsync("api/v1/admin/clients");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class TwoGatewaysTests_on_Sqlite : TwoGatewaysTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class TwoGatewaysTests_on_PostgreSql : TwoGatewaysTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
