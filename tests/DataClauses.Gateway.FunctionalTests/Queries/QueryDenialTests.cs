using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// Each reason the policy engine denies a query for: a 403 problem carrying the reasons (rule, clause, subject,
/// messages), a <c>query.denied</c> audit event, and no data touched (no cube built).
/// </summary>
public abstract class QueryDenialTests(SeededQueryFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Purpose_the_clause_does_not_grant_is_denied()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        await ShouldBeDeniedAsync(analyst, Query(Caf, "pilotage", ["qpv"]), "purpose-not-permitted", "caf-foyers-qpv", "pilotage");
    }

    [Fact]
    public async Task Analyst_of_an_organisation_the_clause_does_not_name_is_denied()
    {
        // The provider itself is not a recipient of its own clause: an analyst of caf-44, created by its admin.
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var clientId = $"caf-44-analyst-{Guid.NewGuid():N}"[..30];
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { "analyst" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        using var analyst = Host.WithToken(await Host.GetTokenAsync(clientId, (await GatewayHost.JsonOf(created)).GetProperty("clientSecret").GetString()!));

        await ShouldBeDeniedAsync(analyst, Query(Caf, "observation", ["qpv"]), "recipient-not-permitted", "caf-foyers-qpv", "caf-44");
    }

    [Fact]
    public async Task Client_of_a_recipient_without_the_role_the_clause_requires_is_denied()
    {
        using var dpo = await Host.ClientForAsync("epci-demo", "dpo");

        await ShouldBeDeniedAsync(dpo, Query(Caf, "observation", ["qpv"]), "role-not-permitted", "caf-foyers-qpv", "analyst");
    }

    [Fact]
    public async Task Dimension_the_clause_does_not_allow_is_denied()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        // Grouping by the unit identifier would publish one cell per household.
        await ShouldBeDeniedAsync(analyst, Query(Caf, "observation", ["qpv", "id_foyer"]), "dimension-not-allowed", "caf-foyers-qpv", "id_foyer");
    }

    [Fact]
    public async Task Geography_finer_than_the_clause_is_denied()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        var problem = await ShouldBeDeniedAsync(analyst, Query(FranceTravail, "observation", ["iris", "categorie"], "demandeurs"), "geography-too-fine", "ft-demandeurs-qpv", "iris");

        // The open clause of the same dataset stops at the commune: it refuses IRIS too.
        problem.GetProperty("reasons").EnumerateArray().ShouldContain(r => r.GetProperty("clause").GetString() == "ft-demandeurs-commune-open" && r.GetProperty("rule").GetString() == "geography-too-fine");
    }

    [Fact]
    public async Task Prohibited_purpose_is_denied_whatever_the_clauses_say()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        // Asked as CSV: a refusal is a problem+json all the same, with its correlation id.
        var problem = await ShouldBeDeniedAsync(Host, analyst, Query(Caf, "profiling", ["qpv"]), "prohibited-purpose", null, "profiling", accept: "text/csv");

        problem.GetProperty("reasons").GetArrayLength().ShouldBe(1);
        problem.GetProperty("reasons")[0].GetProperty("contract").GetString().ShouldBe("cdv-demo-2024-2030");
    }

    [Fact]
    public async Task Filter_value_outside_the_territory_is_denied()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var body = new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" }, filters = new { qpv = new[] { "QN07501M" } } };

        await ShouldBeDeniedAsync(analyst, body, "filter-outside-territory", "caf-foyers-qpv", "QN07501M");
    }

    internal static object Query(string dataset, string purpose, string[] dimensions, string measure = "foyers") =>
        new { dataset, purpose, dimensions, measures = new[] { measure } };

    /// <summary>Asserts a 403 with the given reason, its audit event, and that no cube was built; returns the problem.</summary>
    internal static async Task<JsonElement> ShouldBeDeniedAsync(GatewayHost host, HttpClient client, object body, string rule, string? clause, string subject, string? accept = null)
    {
        using var response = await PostAsync(client, QueriesPath, body, accept);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        problem.GetProperty("decision").GetProperty("effect").GetString().ShouldBe("deny");
        var reasons = problem.GetProperty("reasons").EnumerateArray().ToList();
        var reason = reasons.FirstOrDefault(r => r.GetProperty("rule").GetString() == rule && r.GetProperty("clause").GetString() == clause);
        reason.ValueKind.ShouldBe(JsonValueKind.Object, $"no {rule} reason from clause {clause} in {problem}");
        reason.GetProperty("subject").GetString().ShouldBe(subject);
        reason.GetProperty("message").GetProperty("fr").GetString().ShouldNotBeNullOrWhiteSpace();
        reason.GetProperty("message").GetProperty("en").GetString().ShouldNotBeNullOrWhiteSpace();

        var audited = await AuditOfAsync(host, response, "query.denied");
        audited.Outcome.ShouldBe("denied");
        audited.Effect.ShouldBe("deny");
        audited.Reasons.ShouldContain(r => r.Rule == rule && r.Clause == clause && r.Subject == subject);
        audited.Reasons.Count.ShouldBe(reasons.Count);
        audited.Dataset.ShouldBe(JsonSerializer.SerializeToElement(body).GetProperty("dataset").GetString());
        audited.DataOwner.ShouldNotBeNull();
        audited.Purpose.ShouldBe(JsonSerializer.SerializeToElement(body).GetProperty("purpose").GetString());
        audited.CellsSuppressed.ShouldBeNull();

        // Decided before touching data: nothing was aggregated for a denied request.
        (await CubeRowsAsync(host.Database)).ShouldBe(0);
        return problem;
    }

    private Task<JsonElement> ShouldBeDeniedAsync(HttpClient client, object body, string rule, string? clause, string subject) =>
        ShouldBeDeniedAsync(Host, client, body, rule, clause, subject);
}

public sealed class QueryDenialTests_on_Sqlite(SeededSqliteQueries fixture) : QueryDenialTests(fixture), IClassFixture<SeededSqliteQueries>;

public sealed class QueryDenialTests_on_PostgreSql(SeededPostgreSqlQueries fixture) : QueryDenialTests(fixture), IClassFixture<SeededPostgreSqlQueries>;

/// <summary>A query outside the contract's period is denied (the clock moved past its end).</summary>
public abstract class QueryValidityTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Query_after_the_contract_ended_is_denied()
    {
        await using var host = await StartAsync(Provider);
        host.Clock.MoveTo(new DateTimeOffset(2031, 1, 15, 9, 0, 0, TimeSpan.Zero));
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");

        await QueryDenialTests.ShouldBeDeniedAsync(host, analyst, QueryDenialTests.Query(Caf, "observation", ["qpv"]), "contract-not-in-force", null, "2031-01-15");
    }
}

public sealed class QueryValidityTests_on_Sqlite : QueryValidityTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class QueryValidityTests_on_PostgreSql : QueryValidityTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
