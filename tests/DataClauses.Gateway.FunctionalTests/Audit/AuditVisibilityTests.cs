using System.Net;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary>
/// Role × organisation: a DPO sees the events about their organisation's datasets and by their organisation's users
/// and clients, nothing else (enforced in SQL); other roles are refused the audit endpoints, and each refusal is audited.
/// </summary>
public abstract class AuditVisibilityTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Dpo_of_caf_44_sees_epci_analysts_events_about_caf_datasets_and_never_ft_pdl_datasets_or_users()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await ScenarioAsync(host);
        using var cafDpo = await host.ClientForAsync("caf-44", "dpo");

        var expected = (await host.ReadAuditAsync())
            .Where(r => r.Event.DataOwner == "caf-44" || r.Event.Actor.Organisation == "caf-44")
            .Select(r => r.Row.Sequence)
            .OrderDescending()
            .ToList();

        // Newest first; the audit.read events the pages add come after the first page, so no page shows them.
        var seen = await AllPagesAsync(cafDpo, "limit=3");

        seen.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBe(expected);
        seen.ShouldAllBe(e => e.GetProperty("dataOwner").GetString() == "caf-44" || e.GetProperty("actor").GetProperty("organisation").GetString() == "caf-44");
        seen.ShouldNotContain(e => e.GetProperty("dataOwner").GetString() == "ft-pdl");
        seen.ShouldNotContain(e => e.GetProperty("actor").GetProperty("organisation").GetString() == "ft-pdl");
        seen.ShouldNotContain(e => e.GetProperty("dataset").GetString() == FranceTravail);
        var byAnalyst = seen.Where(e => e.GetProperty("actor").GetProperty("subject").GetString() == "epci-demo-analyst").ToList();
        byAnalyst.Select(e => e.GetProperty("action").GetString()).Order(StringComparer.Ordinal).ShouldBe(["policy.dry-run", "query.denied"]);
        var denied = byAnalyst.Single(e => e.GetProperty("action").GetString() == "query.denied");
        denied.GetProperty("effect").GetString().ShouldBe("deny");
        denied.GetProperty("purpose").GetString().ShouldBe("pilotage");
        denied.GetProperty("reasons")[0].GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        denied.GetProperty("actor").GetProperty("ip").GetString().ShouldBe("127.0.0.1");
        denied.GetProperty("actor").GetProperty("roles")[0].GetString().ShouldBe("analyst");
        denied.GetProperty("hash").GetString()!.Length.ShouldBe(64);
    }

    [Fact]
    public async Task Dpo_of_ft_pdl_sees_its_own_datasets_and_users_and_none_of_caf_44()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await ScenarioAsync(host);
        using var ftDpo = await host.ClientForAsync("ft-pdl", "dpo");

        var seen = await AllPagesAsync(ftDpo, "limit=500");

        seen.ShouldContain(e => e.GetProperty("dataset").GetString() == FranceTravail && e.GetProperty("action").GetString() == "policy.dry-run");
        seen.ShouldContain(e => e.GetProperty("actor").GetProperty("subject").GetString() == "ft-pdl-publisher");
        seen.ShouldNotContain(e => e.GetProperty("dataOwner").GetString() == "caf-44");
        seen.ShouldNotContain(e => e.GetProperty("actor").GetProperty("organisation").GetString() == "caf-44");
    }

    [Fact]
    public async Task Filters_narrow_the_dpo_view_and_another_organisation_is_refused()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        await ScenarioAsync(host);
        using var cafDpo = await host.ClientForAsync("caf-44", "dpo");

        var dryRuns = await AllPagesAsync(cafDpo, $"dataset={Caf}&action=policy.*");
        var denials = await AllPagesAsync(cafDpo, "effect=deny&purpose=pilotage");
        var byActor = await AllPagesAsync(cafDpo, "actor=epci-demo-analyst&organisation=caf-44");
        var none = await AllPagesAsync(cafDpo, $"to={Uri.EscapeDataString(host.Clock.GetUtcNow().AddDays(-1).ToString("O"))}");
        using var other = await cafDpo.GetAsync("api/v1/audit/events?organisation=ft-pdl");
        using var badCursor = await cafDpo.GetAsync("api/v1/audit/events?cursor=not-a-cursor");
        using var badLimit = await cafDpo.GetAsync("api/v1/audit/events?limit=501");

        dryRuns.ShouldHaveSingleItem().GetProperty("purpose").GetString().ShouldBe("observation");
        denials.ShouldHaveSingleItem().GetProperty("action").GetString().ShouldBe("query.denied");
        byActor.Count.ShouldBe(2);
        none.ShouldBeEmpty();
        await other.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await badCursor.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        await badLimit.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Analysts_publishers_stewards_get_403_on_every_audit_endpoint_and_admins_verify_but_read_no_events()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        string[] everything = ["api/v1/audit/events", "api/v1/audit/report", "api/v1/audit/verify", "api/v1/audit/checkpoints", "api/v1/audit/export"];

        foreach (var (organisation, role) in new[] { ("epci-demo", "analyst"), ("caf-44", "publisher"), ("caf-44", "steward") })
        {
            using var client = await host.ClientForAsync(organisation, role);
            foreach (var path in everything)
            {
                using var response = await client.GetAsync(path);
                await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
            }

            using var sign = await client.PostAsync("api/v1/audit/checkpoints", null);
            await sign.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        }

        using var admin = await host.ClientForAsync("caf-44", "admin");
        await (await admin.GetAsync("api/v1/audit/events")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await admin.GetAsync("api/v1/audit/report")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (await AuditApi.VerifyAsync(admin)).GetProperty("intact").GetBoolean().ShouldBeTrue();
        (await admin.PostAsync("api/v1/audit/checkpoints", null)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var refusals = (await host.ReadAuditAsync()).Where(r => r.Event.Action == "access.denied").Select(r => r.Event).ToList();
        refusals.Count.ShouldBe((3 * 6) + 2);
        refusals.ShouldAllBe(e => e.Outcome == "denied" && e.Effect == "deny" && e.Actor.Ip != null);
        var steward = refusals.First(e => e.Actor.Subject == "caf-44-steward" && e.Details["path"] == "/api/v1/audit/verify");
        steward.Actor.Organisation.ShouldBe("caf-44");
        steward.Details["method"].ShouldBe("GET");
        steward.Reasons.ShouldHaveSingleItem().Rule.ShouldBe("role-required");
        steward.Reasons[0].Subject.ShouldBe("dpo,admin");
    }

    /// <summary>
    /// epci-demo's analyst dry-runs a caf-44 query and an ft-pdl one and is denied a caf-44 query; ft-pdl's publisher and
    /// caf-44's publisher take tokens; ft-pdl's DPO reads its events.
    /// </summary>
    internal static async Task ScenarioAsync(GatewayHost host)
    {
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        (await PostAsync(analyst, DecisionsPath, new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await PostAsync(analyst, DecisionsPath, new { dataset = FranceTravail, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "demandeurs" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await PostAsync(analyst, QueriesPath, new { dataset = Caf, purpose = "pilotage", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await host.GetDemoTokenAsync("ft-pdl", "publisher");
        await host.GetDemoTokenAsync("caf-44", "publisher");
        using var ftDpo = await host.ClientForAsync("ft-pdl", "dpo");
        (await ftDpo.GetAsync("api/v1/audit/events")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Every page of GET /api/v1/audit/events, following the cursor.</summary>
    internal static async Task<List<JsonElement>> AllPagesAsync(HttpClient client, string query)
    {
        var events = new List<JsonElement>();
        string? cursor = null;
        do
        {
            using var response = await client.GetAsync($"api/v1/audit/events?{query}" + (cursor is null ? string.Empty : $"&cursor={cursor}"));
            var body = await GatewayHost.JsonOf(response);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
            events.AddRange(body.GetProperty("events").EnumerateArray());
            cursor = body.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        // Reading is audited too: the pages above added audit.read events after the last one returned.
        return events;
    }
}

public sealed class AuditVisibilityTests_on_Sqlite : AuditVisibilityTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AuditVisibilityTests_on_PostgreSql : AuditVisibilityTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
