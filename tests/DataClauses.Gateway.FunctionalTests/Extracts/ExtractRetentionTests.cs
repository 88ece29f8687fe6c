using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Extracts;

/// <summary>
/// Retention, with a clock the tests move (nothing sleeps) and the jobs run one pass at a time: expiry and purge at
/// the deadline, 410 afterwards, attestation and the DPOs' list of unattested extracts, the contract's end as the last
/// deadline, early purge when an amendment revokes the purpose, and a purge that crashes half-way and is finished by
/// the replicas that follow, exactly once.
/// </summary>
public abstract class ExtractRetentionTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Extract_expires_at_its_deadline_is_purged_once_then_gone_and_its_deletion_attested_for_the_dpos()
    {
        // Six weeks before the contract ends (2030-12-31).
        var clock = new TestClock(new DateTimeOffset(2030, 11, 15, 9, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(Provider, clock: clock);
        var jobs = host.Jobs();
        string id, cappedId;
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            var month = await RequestOkAsync(analyst, Body([FtTable()], retention: "P1M"));
            var capped = await RequestOkAsync(analyst, Body([FtTable(["commune"])], retention: "P6M"));
            month.GetProperty("retentionDeadline").GetString().ShouldBe("2030-12-15T09:00:00.000Z");
            capped.GetProperty("retentionDeadline").GetString().ShouldBe("2031-01-01T00:00:00.000Z", "never past the contract's end");
            (await jobs.RunOnceAsync()).Produced.ShouldBe(2);
            (id, cappedId) = (IdOf(month), IdOf(capped));
        }

        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            (await DownloadOkAsync(analyst, id, "csv")).Length.ShouldBeGreaterThan(3);
            using var tooEarly = await analyst.PostAsync($"{ExtractsPath}/{id}/attest-deletion", null);
            await tooEarly.ShouldBeProblemAsync(HttpStatusCode.Conflict, "extract-not-expired");
        }

        clock.MoveTo(new DateTimeOffset(2030, 12, 15, 8, 59, 59, TimeSpan.Zero));
        (await jobs.RunOnceAsync()).ShouldBe(new Gateway.Extracts.ExtractPass(0, 0, 0, 0, false));

        // At the deadline a download is refused even before the pass runs.
        clock.MoveTo(new DateTimeOffset(2030, 12, 15, 9, 0, 0, TimeSpan.Zero));
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        using (var expired = await DownloadAsync(analyst, id, "csv"))
        {
            await expired.ShouldBeProblemAsync(HttpStatusCode.Gone, "extract-expired");
        }

        (await FileRowsAsync(host.Database, id)).ShouldBe(2);
        var pass = await jobs.RunOnceAsync();

        pass.ShouldBe(new Gateway.Extracts.ExtractPass(0, 1, 0, 1, false));
        (await FileRowsAsync(host.Database, id)).ShouldBe(0, "the files are gone");
        var auditBefore = (await host.ReadAuditAsync()).Count;
        (await jobs.RunOnceAsync()).ShouldBe(new Gateway.Extracts.ExtractPass(0, 0, 0, 0, false), "a second pass does nothing more");
        (await host.ReadAuditAsync()).Count.ShouldBe(auditBefore);
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            var purged = await GetOkAsync(analyst, id);
            StatusOf(purged).ShouldBe("purged");
            purged.GetProperty("purgeReason").GetString().ShouldBe("expired");
            purged.GetProperty("earlyPurge").GetBoolean().ShouldBeFalse();
            purged.GetProperty("purgedAt").GetString().ShouldBe("2030-12-15T09:00:00.000Z");
            purged.GetProperty("files").GetArrayLength().ShouldBe(0);
            using var gone = await DownloadAsync(analyst, id, "json");
            (await gone.ShouldBeProblemAsync(HttpStatusCode.Gone, "extract-purged")).GetProperty("purgeReason").GetString().ShouldBe("expired");
            StatusOf(await GetOkAsync(analyst, cappedId)).ShouldBe("ready");
        }

        var events = await AuditOfAsync(host, id);
        events.Select(e => e.Action).ShouldBe(["extract.requested", "extract.produced", "extract.downloaded", "extract.expired", "extract.purged"]);
        events[^1].Details["filesDeleted"].ShouldBe("2");
        events[^1].Details["filesRemaining"].ShouldBe("0");
        events[^1].Details["reason"].ShouldBe("expired");

        // The requester's copy: the DPOs of the provider and of the requester's organisation see it until attested.
        using (var epciDpo = await host.ClientForAsync("epci-demo", "dpo"))
        using (var ftDpo = await host.ClientForAsync("ft-pdl", "dpo"))
        using (var cafDpo = await host.ClientForAsync("caf-44", "dpo"))
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            (await UnattestedAsync(epciDpo)).ShouldBe([id]);
            (await UnattestedAsync(ftDpo)).ShouldBe([id]);
            (await UnattestedAsync(cafDpo)).ShouldBeEmpty();
            using (var notDpo = await analyst.GetAsync($"{ExtractsPath}/unattested"))
            {
                notDpo.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            }

            using (var byDpo = await epciDpo.PostAsync($"{ExtractsPath}/{id}/attest-deletion", null))
            {
                await byDpo.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
            }

            using (var attest = await analyst.PostAsync($"{ExtractsPath}/{id}/attest-deletion", null))
            {
                attest.StatusCode.ShouldBe(HttpStatusCode.OK, await attest.Content.ReadAsStringAsync());
                var attested = await GatewayHost.JsonOf(attest);
                attested.GetProperty("attestedBy").GetString().ShouldBe("epci-demo-analyst");
                attested.GetProperty("attestedAt").GetString().ShouldBe("2030-12-15T09:00:00.000Z");
            }

            using (var again = await analyst.PostAsync($"{ExtractsPath}/{id}/attest-deletion", null))
            {
                again.StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            (await UnattestedAsync(epciDpo)).ShouldBeEmpty();
            (await ActionsOfAsync(host, id)).Count(a => a == "extract.deletion-attested").ShouldBe(1);
        }

        // The contract's end is the last deadline of every extract.
        clock.MoveTo(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero));
        (await jobs.RunOnceAsync()).ShouldBe(new Gateway.Extracts.ExtractPass(0, 1, 0, 1, false));
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            var last = await GetOkAsync(analyst, cappedId);
            StatusOf(last).ShouldBe("purged");
            last.GetProperty("purgeReason").GetString().ShouldBe("expired");
        }

        (await host.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Amendment_revoking_the_purpose_purges_extracts_granted_for_it_early_and_keeps_the_others()
    {
        // The day before amendment 1 takes 'diagnostic' away from the CAF clause (2025-07-01).
        var clock = new TestClock(new DateTimeOffset(2025, 6, 30, 10, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(Provider, clock: clock);
        var jobs = host.Jobs();
        string diagnostic, observation, pending;
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        using (var steward = await host.ClientForAsync("caf-44", "steward"))
        {
            diagnostic = IdOf(await RequestOkAsync(analyst, Body([CafTable()], purpose: "diagnostic", retention: "P1Y")));
            observation = IdOf(await RequestOkAsync(analyst, Body([CafTable()], purpose: "observation", retention: "P1Y")));
            pending = IdOf(await RequestOkAsync(analyst, Body([CafTable(["commune"])], purpose: "diagnostic", retention: "P1Y")));
            (await VoteOkAsync(steward, diagnostic, "approve")).GetProperty("retentionDeadline").GetString().ShouldBe("2026-06-30T10:00:00.000Z");
            await VoteOkAsync(steward, observation, "approve");
            (await jobs.RunOnceAsync()).ShouldBe(new Gateway.Extracts.ExtractPass(2, 0, 0, 0, false));
            (await DownloadOkAsync(analyst, diagnostic, "csv")).Length.ShouldBeGreaterThan(3);
        }

        clock.MoveTo(new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero));
        var pass = await jobs.RunOnceAsync();

        pass.ShouldBe(new Gateway.Extracts.ExtractPass(0, 0, 2, 2, false));
        using var analystAfter = await host.ClientForAsync("epci-demo", "analyst");
        var revoked = await GetOkAsync(analystAfter, diagnostic);
        StatusOf(revoked).ShouldBe("purged");
        revoked.GetProperty("earlyPurge").GetBoolean().ShouldBeTrue();
        revoked.GetProperty("purgeReason").GetString().ShouldBe("clause-revoked: purpose-not-permitted (caf-foyers-qpv)");
        revoked.GetProperty("retentionDeadline").GetString().ShouldBe("2026-06-30T10:00:00.000Z");
        (await FileRowsAsync(host.Database, diagnostic)).ShouldBe(0);
        using (var gone = await DownloadAsync(analystAfter, diagnostic, "csv"))
        {
            await gone.ShouldBeProblemAsync(HttpStatusCode.Gone, "extract-purged");
        }

        // The request still waiting for approval is revoked too; the observation extract lives on.
        var pendingAfter = await GetOkAsync(analystAfter, pending);
        StatusOf(pendingAfter).ShouldBe("purged");
        pendingAfter.GetProperty("earlyPurge").GetBoolean().ShouldBeTrue();
        StatusOf(await GetOkAsync(analystAfter, observation)).ShouldBe("ready");
        (await DownloadOkAsync(analystAfter, observation, "csv")).Length.ShouldBeGreaterThan(3);

        var events = await AuditOfAsync(host, diagnostic);
        var marked = events.Single(e => e.Action == "extract.marked-for-early-purge");
        marked.Effect.ShouldBe("deny");
        marked.Reasons.ShouldContain(r => r.Rule == "purpose-not-permitted" && r.Clause == "caf-foyers-qpv" && r.Subject == "diagnostic");
        marked.Details["reason"].ShouldStartWith("clause-revoked: ");
        events.Single(e => e.Action == "extract.purged").Details["earlyPurge"].ShouldBe("true");

        // And no new extract is granted for it.
        using var denied = await RequestAsync(analystAfter, Body([CafTable()], purpose: "diagnostic"));
        await denied.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Purge_killed_mid_run_is_finished_by_the_next_replicas_exactly_once_and_production_resumes_after_its_claim_lapses()
    {
        var clock = TestClock.StartingNow();
        await using var database = await TestDatabase.CreateAsync(Provider);
        var ids = new List<string>();
        await using (var first = await StartAsync(Provider, database: database, clock: clock))
        {
            var jobs = first.Jobs();
            using (var analyst = await first.ClientForAsync("epci-demo", "analyst"))
            {
                for (var i = 0; i < 4; i++)
                {
                    ids.Add(IdOf(await RequestOkAsync(analyst, Body([FtTable()], retention: "P1M"))));
                }
            }

            // A producer that dies after slicing its table leaves the extract claimed; nobody takes it over before the claim lapses.
            jobs.Checkpoint = (point, id) => point == "produce:table" && id == ids[3] ? throw new InvalidOperationException("killed while producing") : Task.CompletedTask;
            await Should.ThrowAsync<InvalidOperationException>(() => jobs.RunOnceAsync());
            jobs.Checkpoint = null;
            await jobs.RunOnceAsync();
            (await StatusesAsync(database, ids)).ShouldBe(["ready", "ready", "ready", "producing"]);
            using (var analyst = await first.ClientForAsync("epci-demo", "analyst"))
            {
                var stuck = await GetOkAsync(analyst, ids[3]);
                stuck.GetProperty("progress").GetInt32().ShouldBe(90);
            }

            (await jobs.RunOnceAsync()).Produced.ShouldBe(0);
            clock.Advance(TimeSpan.FromMinutes(11));
            (await jobs.RunOnceAsync()).Produced.ShouldBe(1);
            (await ActionsOfAsync(first, ids[3])).Count(a => a == "extract.produced").ShouldBe(1);

            // Past the deadline, the purge dies once after committing a purge, once inside one (before its commit).
            clock.Advance(TimeSpan.FromDays(32));
            var purges = 0;
            jobs.Checkpoint = (point, id) => point switch
            {
                "purge:committed" when ++purges == 1 => throw new InvalidOperationException("killed after a purge"),
                "purge:files-deleted" when purges == 1 => throw new InvalidOperationException("killed inside a purge"),
                _ => Task.CompletedTask,
            };
            await Should.ThrowAsync<InvalidOperationException>(() => jobs.RunOnceAsync());
            await Should.ThrowAsync<InvalidOperationException>(() => jobs.RunOnceAsync());
        }

        var statuses = await StatusesAsync(database, ids);
        statuses.Count(s => s == "purged").ShouldBe(1);
        statuses.Count(s => s == "expired").ShouldBe(3);
        foreach (var id in ids.Where((_, i) => statuses[i] == "expired"))
        {
            (await FileRowsAsync(database, id)).ShouldBe(2, "a purge that did not commit deleted nothing");
        }

        // Two replicas start on the same database and run their pass at the same time.
        await using var second = await StartAsync(Provider, database: database, clock: clock);
        await using var third = await StartAsync(Provider, database: database, clock: clock);
        var passes = await Task.WhenAll(second.Jobs().RunOnceAsync(), third.Jobs().RunOnceAsync());

        passes.Sum(p => p.Purged).ShouldBe(3);
        (await StatusesAsync(database, ids)).ShouldAllBe(s => s == "purged");
        foreach (var id in ids)
        {
            (await FileRowsAsync(database, id)).ShouldBe(0);
            (await ActionsOfAsync(second, id)).Count(a => a == "extract.purged").ShouldBe(1, id);
        }

        (await second.Jobs().RunOnceAsync()).ShouldBe(new Gateway.Extracts.ExtractPass(0, 0, 0, 0, false));
        using var analystAfter = await second.ClientForAsync("epci-demo", "analyst");
        using var gone = await DownloadAsync(analystAfter, ids[0], "csv");
        await gone.ShouldBeProblemAsync(HttpStatusCode.Gone, "extract-purged");
        (await second.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    private static async Task<List<string>> UnattestedAsync(HttpClient dpo) =>
        [.. (await dpo.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/unattested")).GetProperty("extracts").EnumerateArray().Select(IdOf)];

    private static async Task<List<string>> StatusesAsync(TestDatabase database, IEnumerable<string> ids)
    {
        var statuses = new List<string>();
        foreach (var id in ids)
        {
            statuses.Add((string)(await database.ScalarAsync($"SELECT status FROM extracts WHERE id = '{id}'"))!);
        }

        return statuses;
    }
}

public sealed class ExtractRetentionTests_on_Sqlite : ExtractRetentionTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ExtractRetentionTests_on_PostgreSql : ExtractRetentionTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
