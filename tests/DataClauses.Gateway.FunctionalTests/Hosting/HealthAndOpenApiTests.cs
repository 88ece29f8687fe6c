using System.Net;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace DataClauses.Gateway.FunctionalTests.Hosting;

/// <summary>/healthz, /readyz, the OpenAPI document and the browsable API page.</summary>
public abstract class HealthAndOpenApiTests(GatewayFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Healthz_answers_200_without_authentication()
    {
        using var response = await Host.Http.GetAsync("healthz");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GatewayHost.JsonOf(response)).GetProperty("status").GetString().ShouldBe("Healthy");
    }

    [Fact]
    public async Task Readyz_answers_200_when_the_database_answers_and_every_migration_is_applied()
    {
        using var response = await Host.Http.GetAsync("readyz");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var database = (await GatewayHost.JsonOf(response)).GetProperty("checks").GetProperty("database");
        database.GetProperty("status").GetString().ShouldBe("Healthy");
    }

    [Fact]
    public async Task OpenApi_document_lists_the_token_endpoint_and_every_admin_endpoint()
    {
        using var response = await Host.Http.GetAsync("openapi/v1.json");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var paths = (await GatewayHost.JsonOf(response)).GetProperty("paths");
        paths.GetProperty("/connect/token").TryGetProperty("post", out _).ShouldBeTrue();
        paths.GetProperty("/api/v1/admin/clients").TryGetProperty("get", out _).ShouldBeTrue();
        paths.GetProperty("/api/v1/admin/clients").TryGetProperty("post", out _).ShouldBeTrue();
        paths.GetProperty("/api/v1/admin/clients/{clientId}/disable").TryGetProperty("post", out _).ShouldBeTrue();
        paths.GetProperty("/api/v1/admin/clients/{clientId}/enable").TryGetProperty("post", out _).ShouldBeTrue();
        paths.GetProperty("/api/v1/admin/clients/{clientId}/secret").TryGetProperty("post", out _).ShouldBeTrue();

        // The JWKS and discovery are served by OpenIddict's middleware, not by endpoints: RFC 8414 documents them.
        paths.TryGetProperty("/.well-known/jwks.json", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task OpenApi_document_lists_every_API_endpoint_the_host_maps()
    {
        using var response = await Host.Http.GetAsync("openapi/v1.json");
        var paths = (await GatewayHost.JsonOf(response)).GetProperty("paths");

        var mapped = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(e => e.Path.StartsWith("/api/", StringComparison.Ordinal) || e.Path.StartsWith("/connect/", StringComparison.Ordinal) || e.Path.StartsWith("/.well-known/", StringComparison.Ordinal))
            .SelectMany(e => e.Methods.Select(m => (e.Path, Method: m.ToLowerInvariant())))
            .ToList();
        var missing = mapped
            .Where(e => !paths.TryGetProperty(Normalise(e.Path), out var item) || !item.TryGetProperty(e.Method, out _))
            .Select(e => $"{e.Method} {e.Path}")
            .ToList();

        mapped.ShouldContain(("/connect/token", "post"));
        mapped.ShouldContain(("/api/v1/admin/clients/{clientId}/secret", "post"));
        missing.ShouldBeEmpty();
    }

    [Fact]
    public async Task Api_docs_serves_the_browsable_API_page()
    {
        using var response = await Host.Http.GetAsync("api-docs/index.html");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("swagger-ui", Case.Insensitive);
        html.ShouldContain("DataClauses API");

        using var redirected = await Host.Http.GetAsync("api-docs");
        redirected.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var config = await Host.Http.GetAsync("api-docs/index.js");
        (await config.Content.ReadAsStringAsync()).ShouldContain("/openapi/v1.json");
    }

    /// <summary>Route parameters keep their name but lose constraints ({id:int} → {id}), as OpenAPI writes them.</summary>
    private static string Normalise(string path) =>
        System.Text.RegularExpressions.Regex.Replace(path, @"\{(?<name>[^}:?=]+)[^}]*\}", "{${name}}", System.Text.RegularExpressions.RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1));
}

public sealed class HealthAndOpenApiTests_on_Sqlite(SqliteGateway fixture) : HealthAndOpenApiTests(fixture), IClassFixture<SqliteGateway>;

public sealed class HealthAndOpenApiTests_on_PostgreSql(PostgreSqlGateway fixture) : HealthAndOpenApiTests(fixture), IClassFixture<PostgreSqlGateway>;

/// <summary>/readyz when the database is not ready, on hosts of their own.</summary>
public abstract class ReadinessTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Readyz_answers_503_when_a_migration_is_not_applied_while_healthz_stays_200()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        (await host.Database.ExecuteAsync("DELETE FROM \"__EFMigrationsHistory\"")).ShouldBe(Migrations.Count);

        using var ready = await host.Http.GetAsync("readyz");
        using var live = await host.Http.GetAsync("healthz");

        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await GatewayHost.JsonOf(ready)).GetProperty("checks").GetProperty("database").GetProperty("description").GetString()!.ShouldContain("pending");
        live.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class ReadinessTests_on_Sqlite : ReadinessTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ReadinessTests_on_PostgreSql : ReadinessTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
