using System.Globalization;
using DataClauses.Audit;
using DataClauses.Cli;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary>
/// Periodic checkpoints (only when the head moved) and the retention purge: past DataClauses:Audit:Retention the old
/// events go below a signed anchor, what remains verifies from it (online and exported), and nothing else may delete.
/// </summary>
public abstract class AuditRetentionTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Periodic_pass_signs_the_head_only_when_it_moved()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await AuditApi.ProduceEventsAsync(host, tokens: 2);
        var maintenance = host.Services.GetRequiredService<AuditMaintenance>();

        var first = await maintenance.RunOnceAsync(CancellationToken.None);
        var again = await maintenance.RunOnceAsync(CancellationToken.None);
        await host.GetDemoTokenAsync("ft-pdl", "dpo");
        var moved = await maintenance.RunOnceAsync(CancellationToken.None);

        var head = (await host.ReadAuditAsync())[^1].Row;
        first.Checkpoint.Created.ShouldBeTrue();
        first.Checkpoint.Checkpoint!.Kind.ShouldBe(AuditCheckpoint.Periodic);
        again.Checkpoint.Created.ShouldBeFalse();
        again.Checkpoint.Checkpoint!.Sequence.ShouldBe(first.Checkpoint.Checkpoint.Sequence);
        moved.Checkpoint.Created.ShouldBeTrue();
        moved.Checkpoint.Checkpoint!.Sequence.ShouldBe(head.Sequence);
        moved.Checkpoint.Checkpoint.Hash.ShouldBe(head.Hash);
        first.Purge.Removed.ShouldBe(0);
        (await host.Database.ScalarAsync("SELECT COUNT(*) FROM audit_checkpoints")).ShouldBe(2L);
    }

    [Fact]
    public async Task Events_past_five_years_are_purged_below_a_signed_anchor_and_the_rest_still_verifies()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await AuditApi.ProduceEventsAsync(host, tokens: 4);
        var lastOld = (await host.ReadAuditAsync())[^1].Row.Sequence;

        host.Clock.Advance(TimeSpan.FromDays((5 * 365) + 2));
        await AuditApi.ProduceEventsAsync(host, tokens: 2);
        using var dpo = await host.ClientForAsync("caf-44", "dpo");
        var (checkpoint, purge) = await host.Services.GetRequiredService<AuditMaintenance>().RunOnceAsync(CancellationToken.None);

        checkpoint.Created.ShouldBeTrue();
        purge.Anchor.ShouldNotBeNull();
        purge.Anchor.Sequence.ShouldBe(lastOld);
        purge.Anchor.Kind.ShouldBe(AuditCheckpoint.Anchor);
        purge.Removed.ShouldBe(lastOld);
        var rows = await host.ReadAuditAsync();
        rows[0].Row.Sequence.ShouldBe(lastOld + 1);
        rows[0].Row.PreviousHash.ShouldBe(purge.Anchor.Hash);
        var purged = rows[^1];
        purged.Event.Action.ShouldBe("audit.purged");
        purged.Event.Details["anchor"].ShouldBe(lastOld.ToString(CultureInfo.InvariantCulture));
        purged.Event.Details["removed"].ShouldBe(lastOld.ToString(CultureInfo.InvariantCulture));

        var verification = await AuditApi.VerifyAsync(dpo);
        verification.GetProperty("intact").GetBoolean().ShouldBeTrue(verification.ToString());
        verification.GetProperty("eventsChecked").GetInt64().ShouldBe(rows.Count);
        verification.GetProperty("checkpointsChecked").GetInt32().ShouldBe(2);

        // The export starts after the anchor and verifies offline with it.
        var folder = Directory.CreateTempSubdirectory("dataclauses-audit-purge-").FullName;
        try
        {
            var file = Path.Combine(folder, "audit.jsonl");
            await File.WriteAllTextAsync(file, await dpo.GetStringAsync("api/v1/audit/export"));
            var (exit, output, error) = AuditApi.RunCli("audit", "verify", "--export", file);
            exit.ShouldBe(CliApp.Success, error);
            output.ShouldStartWith($"intact: {rows.Count + 2} events, 2 checkpoints");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        // Nothing else may delete or rewrite: not below the anchor's range, not above it, not with the purge setting alone.
        var database = host.Database;
        (await AuditApi.IsRefusedAsync(() => database.ExecuteAsync($"DELETE FROM audit_events WHERE sequence = {lastOld + 1}"))).ShouldBeTrue();
        (await AuditApi.IsRefusedAsync(() => database.ExecuteAsync($"UPDATE audit_events SET outcome = 'forged' WHERE sequence = {lastOld + 1}"))).ShouldBeTrue();
        (await AuditApi.IsRefusedAsync(() => database.ExecuteAsync($"DELETE FROM audit_checkpoints WHERE sequence = {lastOld}"))).ShouldBeTrue();
        if (Provider == StorageProvider.PostgreSql)
        {
            var head = rows[^1].Row.Sequence;
            (await AuditApi.IsRefusedAsync(() => database.ExecuteAsync(
                $"BEGIN; SET LOCAL dataclauses.audit_purge_below = '{head + 1}'; DELETE FROM audit_events WHERE sequence = {head}; COMMIT;"))).ShouldBeTrue();
            (await AuditApi.IsRefusedAsync(() => database.ExecuteAsync(
                $"BEGIN; SET LOCAL dataclauses.audit_purge_below = '{lastOld + 1}'; DELETE FROM audit_events WHERE sequence = {lastOld + 1}; COMMIT;"))).ShouldBeTrue();
            (await AuditApi.IsRefusedAsync(() => database.ExecuteAsync("TRUNCATE audit_events"))).ShouldBeTrue();
        }

        (await host.ReadAuditAsync()).Count.ShouldBeGreaterThanOrEqualTo(rows.Count);
        (await AuditApi.VerifyAsync(dpo)).GetProperty("intact").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Purge_refuses_to_remove_a_segment_that_was_edited_and_keeps_the_evidence()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await AuditApi.ProduceEventsAsync(host, tokens: 4);
        var lastOld = (await host.ReadAuditAsync())[^1].Row.Sequence;
        host.Clock.Advance(TimeSpan.FromDays((5 * 365) + 2));
        await host.GetDemoTokenAsync("caf-44", "dpo");
        await AuditApi.DisableAppendOnlyAsync(host.Database);
        await AuditApi.ExecuteAsync(host.Database, "UPDATE audit_events SET canonical = replace(canonical, correlation_id, 'forged') WHERE sequence = 3");

        var purge = await host.Services.GetRequiredService<AuditRetention>().PurgeAsync(CancellationToken.None);

        purge.Anchor.ShouldBeNull();
        purge.Refused!.FirstBadSequence.ShouldBe(3);
        (await host.ReadAuditAsync()).Count.ShouldBeGreaterThan((int)lastOld);
    }
}

public sealed class AuditRetentionTests_on_Sqlite : AuditRetentionTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AuditRetentionTests_on_PostgreSql : AuditRetentionTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
