using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary>The audit chain stays linear and intact under concurrent writers, and the database refuses to rewrite it.</summary>
public abstract class AuditChainTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Fifty_parallel_token_requests_with_admin_changes_leave_one_intact_chain_without_gaps()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        using var admin = await host.ClientForAsync("caf-44", "admin");
        var before = (await host.ReadAuditAsync()).Count;

        var tokenRequests = Enumerable.Range(0, 50).Select(async i =>
        {
            var (organisation, role) = DemoAccounts.All[i % DemoAccounts.All.Count];
            var secret = i % 5 == 0 ? "wrong" : DemoAccounts.Secret(organisation, role);
            using var response = await host.RequestTokenAsync(DemoAccounts.ClientId(organisation, role), secret, post: i % 2 == 0);
            return response.StatusCode;
        });
        var adminChanges = Enumerable.Range(0, 5).Select(async i =>
        {
            var clientId = $"caf-44-chain-{i}-{Guid.NewGuid():N}"[..30];
            using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { "publisher" } });
            using var rotated = await admin.PostAsync($"api/v1/admin/clients/{clientId}/secret", null);
            using var disabled = await admin.PostAsync($"api/v1/admin/clients/{clientId}/disable", null);
            return new[] { created.StatusCode, rotated.StatusCode, disabled.StatusCode };
        });
        var tokenTask = Task.WhenAll(tokenRequests);
        var adminTask = Task.WhenAll(adminChanges);
        var tokens = await tokenTask;
        var changes = (await adminTask).SelectMany(s => s).ToList();

        tokens.Count(s => s == HttpStatusCode.OK).ShouldBe(40);
        tokens.Count(s => s == HttpStatusCode.Unauthorized).ShouldBe(10);
        changes.ShouldAllBe(s => s == HttpStatusCode.OK || s == HttpStatusCode.Created);
        var rows = await host.ReadAuditAsync();
        rows.Count.ShouldBe(before + 50 + 15);
        rows.Select(r => r.Row.Sequence).ShouldBe(Enumerable.Range(1, rows.Count).Select(i => (long)i));
        rows.Count(r => r.Event.Action == "token.issued").ShouldBe(41);
        rows.Count(r => r.Event.Action == "token.rejected").ShouldBe(10);
        var verification = AuditVerifier.Verify(rows.Select(r => r.Row));
        verification.Intact.ShouldBeTrue(verification.Detail);
        verification.EventsChecked.ShouldBe(rows.Count);
    }

    [Fact]
    public async Task Two_gateways_on_one_database_issuing_tokens_concurrently_write_a_single_linear_chain()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        var hosts = await Task.WhenAll(GatewayHost.StartAsync(Provider, database: database), GatewayHost.StartAsync(Provider, database: database));
        await using var first = hosts[0];
        await using var second = hosts[1];

        using var dpoOnFirst = await first.ClientForAsync("caf-44", "dpo");
        using var dpoOnSecond = await second.ClientForAsync("epci-demo", "dpo");

        // Both replicas append (tokens, audit reads) and sign checkpoints of the shared head at the same time.
        var requests = Enumerable.Range(0, 40).Select(async i =>
        {
            var host = i % 2 == 0 ? first : second;
            var (organisation, role) = DemoAccounts.All[i % DemoAccounts.All.Count];
            using var response = await host.RequestTokenAsync(DemoAccounts.ClientId(organisation, role), DemoAccounts.Secret(organisation, role));
            return response.StatusCode;
        });
        var reads = Enumerable.Range(0, 10).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? dpoOnFirst : dpoOnSecond).GetAsync("api/v1/audit/events?limit=5");
            return response.StatusCode;
        });
        var checkpoints = Enumerable.Range(0, 6).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? dpoOnFirst : dpoOnSecond).PostAsync("api/v1/audit/checkpoints", null);
            return response.StatusCode;
        });
        var statuses = await Task.WhenAll(requests.Concat(reads));
        var signed = await Task.WhenAll(checkpoints);

        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);
        signed.ShouldAllBe(s => s == HttpStatusCode.Created || s == HttpStatusCode.OK);
        var rows = await database.ReadAuditAsync();
        rows.Count(r => r.Event.Action == "token.issued").ShouldBe(42);
        rows.Count(r => r.Event.Action == "audit.read").ShouldBe(10);
        rows.Count(r => r.Event.Action == "audit.checkpoint-signed").ShouldBe(6);
        rows.Select(r => r.Row.Sequence).ShouldBe(Enumerable.Range(1, rows.Count).Select(i => (long)i));
        var verification = AuditVerifier.Verify(rows.Select(r => r.Row));
        verification.Intact.ShouldBeTrue(verification.Detail);
        verification.EventsChecked.ShouldBe(rows.Count);

        // Each replica verifies the shared chain against every checkpoint either of them signed.
        var stored = (long)(await database.ScalarAsync("SELECT COUNT(*) FROM audit_checkpoints"))!;
        stored.ShouldBeGreaterThanOrEqualTo(1);
        foreach (var dpo in new[] { dpoOnFirst, dpoOnSecond })
        {
            var online = await AuditApi.VerifyAsync(dpo);
            online.GetProperty("intact").GetBoolean().ShouldBeTrue(online.ToString());
            online.GetProperty("checkpointsChecked").GetInt32().ShouldBe((int)stored);
        }
    }

    [Fact]
    public async Task Two_gateway_processes_appending_concurrently_on_one_database_keep_one_chain_that_verifies()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        var processes = await Task.WhenAll(GatewayProcess.StartAsync(database), GatewayProcess.StartAsync(database));
        await using var first = processes[0];
        await using var second = processes[1];
        using var analystOnFirst = await first.ClientForAsync("epci-demo", "analyst");
        using var analystOnSecond = await second.ClientForAsync("epci-demo", "analyst");
        using var dpoOnFirst = await first.ClientForAsync("caf-44", "dpo");
        using var dpoOnSecond = await second.ClientForAsync("caf-44", "dpo");
        var before = (await database.ReadAuditAsync()).Count;

        // Dry runs, catalogue reads and audit reads (group commits) and checkpoints, on both processes at once.
        var requests = Enumerable.Range(0, 120).Select(async i =>
        {
            var analyst = i % 2 == 0 ? analystOnFirst : analystOnSecond;
            var dpo = i % 2 == 0 ? dpoOnSecond : dpoOnFirst;
            using var response = (i % 3) switch
            {
                0 => await analyst.PostAsJsonAsync("api/v1/policy/decisions", new { dataset = "caf-foyers-allocataires", purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } }),
                1 => await analyst.GetAsync("api/v1/catalog"),
                _ => await dpo.GetAsync("api/v1/audit/events?limit=1"),
            };
            return response.StatusCode;
        });
        var checkpoints = Enumerable.Range(0, 4).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? dpoOnFirst : dpoOnSecond).PostAsync("api/v1/audit/checkpoints", null);
            return response.StatusCode;
        });
        var statuses = await Task.WhenAll(requests);
        var signed = await Task.WhenAll(checkpoints);

        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);
        signed.ShouldAllBe(s => s == HttpStatusCode.Created || s == HttpStatusCode.OK);
        var rows = await database.ReadAuditAsync();
        rows.Count.ShouldBe(before + 120 + 4);
        rows.Select(r => r.Row.Sequence).ShouldBe(Enumerable.Range(1, rows.Count).Select(i => (long)i));
        AuditVerifier.Verify(rows.Select(r => r.Row)).Intact.ShouldBeTrue();
        var stored = Convert.ToInt32(await database.ScalarAsync("SELECT COUNT(*) FROM audit_checkpoints"), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var dpo in new[] { dpoOnFirst, dpoOnSecond })
        {
            var online = await AuditApi.VerifyAsync(dpo);
            online.GetProperty("intact").GetBoolean().ShouldBeTrue(online.ToString());
            online.GetProperty("checkpointsChecked").GetInt32().ShouldBe(stored);
        }
    }

    [Fact]
    public async Task Database_refuses_to_update_or_delete_an_audit_event()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await host.GetDemoTokenAsync("caf-44", "publisher");
        var rows = await host.ReadAuditAsync();
        rows.ShouldNotBeEmpty();

        await Should.ThrowAsync<DbException>(() => host.Database.ExecuteAsync("UPDATE audit_events SET outcome = 'forged' WHERE sequence = 1"));
        await Should.ThrowAsync<DbException>(() => host.Database.ExecuteAsync("DELETE FROM audit_events WHERE sequence = 1"));
        if (Provider == StorageProvider.PostgreSql)
        {
            await Should.ThrowAsync<DbException>(() => host.Database.ExecuteAsync("TRUNCATE audit_events"));
        }

        var after = await host.ReadAuditAsync();
        after.Select(r => r.Row).ShouldBe(rows.Select(r => r.Row));
        AuditVerifier.Verify(after.Select(r => r.Row)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Verifier_reading_the_stored_rows_detects_an_event_changed_behind_the_triggers_back()
    {
        // The check above would pass on a verifier that ignores the rows: this one shows that it reads them.
        await using var host = await GatewayHost.StartAsync(Provider);
        await host.GetDemoTokenAsync("caf-44", "publisher");
        await host.GetDemoTokenAsync("ft-pdl", "publisher");
        var trigger = Provider == StorageProvider.PostgreSql
            ? "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete"
            : "DROP TRIGGER audit_events_no_update";
        await host.Database.ExecuteAsync(trigger);
        await host.Database.ExecuteAsync("UPDATE audit_events SET canonical = replace(canonical, 'ft-pdl-publisher', 'ft-pdl-steward') WHERE sequence = (SELECT MAX(sequence) FROM audit_events)");

        var verification = await host.VerifyAuditChainAsync();

        verification.Intact.ShouldBeFalse();
        verification.Problem.ShouldBe(AuditVerifier.HashMismatch);
    }
}

public sealed class AuditChainTests_on_Sqlite : AuditChainTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AuditChainTests_on_PostgreSql : AuditChainTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
