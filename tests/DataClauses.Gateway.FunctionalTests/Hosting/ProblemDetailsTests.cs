using System.Net;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Hosting;

/// <summary>Every error is an RFC 9457 problem with a stable type, a title, the status and a correlation id.</summary>
public abstract class ProblemDetailsTests(GatewayFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Theory]
    [InlineData("GET", "api/v1/admin/clients", null, HttpStatusCode.Unauthorized, "unauthorized")]
    [InlineData("GET", "api/v1/admin/clients", "caf-44/dpo", HttpStatusCode.Forbidden, "forbidden")]
    [InlineData("POST", "api/v1/admin/clients/nobody/disable", "caf-44/admin", HttpStatusCode.NotFound, "not-found")]
    [InlineData("GET", "api/v1/no-such-thing", "caf-44/admin", HttpStatusCode.NotFound, "not-found")]
    [InlineData("GET", "api/v1/admin/clients/nobody/secret", "caf-44/admin", HttpStatusCode.MethodNotAllowed, "method-not-allowed")]
    [InlineData("DELETE", "api/v1/admin/clients", "caf-44/admin", HttpStatusCode.MethodNotAllowed, "method-not-allowed")]
    public async Task Error_is_a_problem_with_a_stable_type_title_status_and_correlation_id(string method, string path, string? caller, HttpStatusCode status, string type)
    {
        using var client = caller is null ? Host.CreateClient() : await Host.ClientForAsync(caller.Split('/')[0], caller.Split('/')[1]);

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await response.ShouldBeProblemAsync(status, type);
    }

    // GET /connect/token was a 405 of the endpoint routing; OpenIddict answers it itself, as an OAuth error that is a problem too.
    [Fact]
    public async Task Get_on_the_token_endpoint_is_an_oauth_invalid_request_problem()
    {
        using var response = await Host.Http.GetAsync("connect/token");

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Caller_provided_correlation_id_is_echoed_in_the_header_the_problem_and_the_audit()
    {
        var correlationId = "dpo-case-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", "nobody"), new("client_secret", "x")]),
        };
        request.Headers.Add("X-Correlation-Id", correlationId);

        using var response = await Host.Http.SendAsync(request);

        var echoed = response.Headers.TryGetValues("X-Correlation-Id", out var values) ? values.Single() : null;
        echoed.ShouldBe(correlationId, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        (await GatewayHost.JsonOf(response)).GetProperty("correlationId").GetString().ShouldBe(correlationId);
        (await Host.ReadAuditAsync()).ShouldContain(r => r.Event.CorrelationId == correlationId && r.Event.Action == "token.rejected");
    }

    [Fact]
    public async Task Caller_provided_correlation_id_is_echoed_on_a_protected_endpoint_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/admin/clients");
        request.Headers.Add("X-Correlation-Id", "case-42");

        using var response = await Host.Http.SendAsync(request);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        problem.GetProperty("correlationId").GetString().ShouldBe("case-42");
    }

    [Fact]
    public async Task Malformed_correlation_id_is_replaced_by_one_of_the_gateway()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/admin/clients");
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", "<script>" + new string('x', 80));

        using var response = await Host.Http.SendAsync(request);

        var echoed = response.Headers.GetValues("X-Correlation-Id").Single();
        echoed.ShouldNotContain("<");
        echoed.Length.ShouldBeInRange(1, 64);
    }

    [Fact]
    public async Task Response_without_error_carries_a_correlation_id_too()
    {
        using var response = await Host.Http.GetAsync("healthz");

        response.Headers.GetValues("X-Correlation-Id").Single().ShouldNotBeNullOrWhiteSpace();
    }
}

public sealed class ProblemDetailsTests_on_Sqlite(SqliteGateway fixture) : ProblemDetailsTests(fixture), IClassFixture<SqliteGateway>;

public sealed class ProblemDetailsTests_on_PostgreSql(PostgreSqlGateway fixture) : ProblemDetailsTests(fixture), IClassFixture<PostgreSqlGateway>;
