using System.Net;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// POST /api/v1/policy/decisions: whether a request would be permitted and why, as the caller, without touching data.
/// No test of this class queries, so the host must end with no protected cube at all.
/// </summary>
public abstract class PolicyDryRunTests(SeededQueryFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Dry_run_of_a_permitted_query_gives_the_clause_and_obligations_without_building_a_cube()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, DecisionsPath, new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv", "type_menage" }, measures = new[] { "foyers" } });

        var decision = await OkAsync(response);
        decision.GetProperty("effect").GetString().ShouldBe("permit");
        decision.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        decision.GetProperty("contract").GetString().ShouldBe("cdv-demo-2024-2030");
        decision.GetProperty("obligations").GetProperty("minCount").GetInt32().ShouldBe(11);
        decision.GetProperty("reasons")[0].GetProperty("rule").GetString().ShouldBe("clause-permits");
        var audited = await AuditOfAsync(Host, response, "policy.dry-run");
        audited.Effect.ShouldBe("permit");
        audited.Dataset.ShouldBe(Caf);
        audited.Purpose.ShouldBe("observation");
        audited.Details["clause"].ShouldBe("caf-foyers-qpv");
        await ShouldHaveTouchedNoDataAsync();
    }

    [Fact]
    public async Task Dry_run_of_a_denied_query_gives_the_reasons_with_status_200()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, DecisionsPath, new { dataset = Caf, purpose = "profiling", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } });

        var decision = await OkAsync(response);
        decision.GetProperty("effect").GetString().ShouldBe("deny");
        decision.GetProperty("obligations").ValueKind.ShouldBe(JsonValueKind.Null);
        decision.GetProperty("reasons")[0].GetProperty("rule").GetString().ShouldBe("prohibited-purpose");
        decision.GetProperty("reasons")[0].GetProperty("message").GetProperty("fr").GetString()!.ShouldContain("profiling");
        (await AuditOfAsync(Host, response, "policy.dry-run")).Effect.ShouldBe("deny");
        await ShouldHaveTouchedNoDataAsync();
    }

    [Fact]
    public async Task Dry_run_of_an_extract_tells_the_approval_and_the_retention_granted()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, DecisionsPath, new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" }, action = "extract", retention = "P2Y" });

        var decision = await OkAsync(response);
        decision.GetProperty("effect").GetString().ShouldBe("approval-required");
        decision.GetProperty("obligations").GetProperty("approvalsRequired").GetInt32().ShouldBe(1);
        var deadline = DateTimeOffset.Parse(decision.GetProperty("obligations").GetProperty("retentionDeadline").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        deadline.ShouldBeLessThan(Host.Clock.GetUtcNow().AddYears(1));
        (await AuditOfAsync(Host, response, "policy.dry-run")).Details["action"].ShouldBe("extract");
        await ShouldHaveTouchedNoDataAsync();
    }

    [Fact]
    public async Task Dry_run_of_a_dataset_no_contract_governs_denies_with_no_clause()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, DecisionsPath, new { dataset = "cpam-inconnu", purpose = "observation", dimensions = Array.Empty<string>(), measures = new[] { "assures" } });

        var decision = await OkAsync(response);
        decision.GetProperty("effect").GetString().ShouldBe("deny");
        decision.GetProperty("reasons")[0].GetProperty("rule").GetString().ShouldBe("no-clause");
    }

    [Fact]
    public async Task Invalid_dry_run_gets_field_errors()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, DecisionsPath, new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" }, action = "publish", retention = "one year" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(["action", "retention"], ignoreOrder: true);
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task ShouldHaveTouchedNoDataAsync()
    {
        (await CubeRowsAsync(Host.Database)).ShouldBe(0);
        (await CubeBuiltEventsAsync(Host)).ShouldBe(0);
        (await Host.ReadAuditAsync()).ShouldNotContain(r => r.Event.Action.StartsWith("query.", StringComparison.Ordinal));
    }
}

public sealed class PolicyDryRunTests_on_Sqlite(SeededSqliteQueries fixture) : PolicyDryRunTests(fixture), IClassFixture<SeededSqliteQueries>;

public sealed class PolicyDryRunTests_on_PostgreSql(SeededPostgreSqlQueries fixture) : PolicyDryRunTests(fixture), IClassFixture<SeededPostgreSqlQueries>;
