using System.Net;
using System.Text.Json;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>Checks of the RFC 9457 problem shape every gateway error has.</summary>
public static class ProblemAssertions
{
    public const string TypeBase = "https://dataclauses.example/problems/";

    /// <summary>Asserts the status and the problem shape (stable type, title, status, correlation id); returns the body.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string? type = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        problem.GetProperty("type").GetString().ShouldStartWith(TypeBase, Case.Sensitive, body);
        if (type is not null)
        {
            problem.GetProperty("type").GetString().ShouldBe(TypeBase + type, body);
        }

        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(body);
        problem.GetProperty("status").GetInt32().ShouldBe((int)status, body);
        var correlationId = problem.GetProperty("correlationId").GetString();
        correlationId.ShouldNotBeNullOrWhiteSpace(body);
        response.Headers.GetValues("X-Correlation-Id").ShouldContain(correlationId);
        return problem;
    }

    /// <summary>Asserts an OAuth error of the token endpoint (RFC 6749 §5.2), which is also a problem-shaped JSON body.</summary>
    public static async Task<JsonElement> ShouldBeOAuthErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json", body);
        var json = JsonDocument.Parse(body).RootElement.Clone();
        json.GetProperty("error").GetString().ShouldBe(error, body);
        json.GetProperty("type").GetString().ShouldBe(TypeBase + "oauth/" + error, body);
        json.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(body);
        json.GetProperty("status").GetInt32().ShouldBe((int)status, body);
        json.GetProperty("correlationId").GetString().ShouldNotBeNullOrWhiteSpace(body);
        response.Headers.CacheControl?.NoStore.ShouldBeTrue();
        return json;
    }
}
