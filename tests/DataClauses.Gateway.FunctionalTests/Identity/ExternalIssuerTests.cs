using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>
/// Tokens of a configured external issuer (here another gateway, trusted through its JWKS URL) are accepted with
/// their organisation and roles; its tokens for another audience are not.
/// </summary>
public abstract class ExternalIssuerTests
{
    private const string ExternalIssuer = "https://keycloak.test/realms/partners";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Token_of_a_trusted_external_issuer_is_accepted_with_its_organisation_and_roles()
    {
        await using var external = await StartExternalAsync(audience: "dataclauses-partners");
        await using var host = await StartTrustingAsync(external);
        using var client = host.WithToken(await external.GetDemoTokenAsync("caf-44", "admin"));

        var clients = await client.GetFromJsonAsync<JsonElement>("api/v1/admin/clients");

        clients.EnumerateArray().Select(c => c.GetProperty("organisation").GetString()).Distinct().ShouldBe(["caf-44"]);
    }

    [Fact]
    public async Task Token_of_a_trusted_external_issuer_keeps_its_roles()
    {
        await using var external = await StartExternalAsync(audience: "dataclauses-partners");
        await using var host = await StartTrustingAsync(external);
        using var client = host.WithToken(await external.GetDemoTokenAsync("caf-44", "publisher"));

        using var response = await client.GetAsync("api/v1/admin/clients");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Token_of_a_trusted_external_issuer_for_another_audience_is_refused()
    {
        await using var external = await StartExternalAsync(audience: "some-other-api");
        await using var host = await StartTrustingAsync(external);
        using var client = host.WithToken(await external.GetDemoTokenAsync("caf-44", "admin"));

        using var response = await client.GetAsync("api/v1/admin/clients");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    private Task<GatewayHost> StartExternalAsync(string audience) =>
        GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:Issuer"] = ExternalIssuer,
            ["DataClauses:Identity:Audience"] = audience,
        });

    private Task<GatewayHost> StartTrustingAsync(GatewayHost external) =>
        GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:ExternalIssuers:0:Name"] = "partners",
            ["DataClauses:Identity:ExternalIssuers:0:Issuer"] = ExternalIssuer,
            ["DataClauses:Identity:ExternalIssuers:0:JwksUrl"] = new Uri(external.BaseAddress, ".well-known/jwks.json").ToString(),
            ["DataClauses:Identity:ExternalIssuers:0:Audience"] = "dataclauses-partners",
            ["DataClauses:Identity:ExternalIssuers:0:RequireHttpsMetadata"] = "false",
            ["DataClauses:Identity:ExternalIssuers:0:Organisations:0"] = "caf-44",
        });
}

public sealed class ExternalIssuerTests_on_Sqlite : ExternalIssuerTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ExternalIssuerTests_on_PostgreSql : ExternalIssuerTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
