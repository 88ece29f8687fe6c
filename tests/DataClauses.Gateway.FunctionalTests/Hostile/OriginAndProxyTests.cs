using System.Net;
using System.Text.Json;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Hostile;

/// <summary>
/// Absolute URLs come from the configured public origin or the listening address, never from the Host header; forwarded
/// headers are believed only from configured proxies; the token endpoint's limit is per source and client, so that
/// guesses from one address cannot lock a client out of another.
/// </summary>
public abstract class OriginAndProxyTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Without_a_public_origin_discovery_and_DCAT_name_the_listening_address_whatever_the_Host_header()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?> { ["DataClauses:Identity:Issuer"] = null });
        var origin = host.BaseAddress.GetLeftPart(UriPartial.Authority);
        var (discovery, dcat) = await ReadWithHostAsync(host, "evil.example");

        discovery.GetProperty("issuer").GetString().ShouldBe(origin + "/"); // OpenIddict writes an issuer as a URI: with its slash
        discovery.GetProperty("token_endpoint").GetString().ShouldBe(origin + "/connect/token");
        discovery.GetProperty("jwks_uri").GetString().ShouldBe(origin + "/.well-known/jwks.json");
        dcat.ShouldNotContain("evil.example");
        dcat.ShouldContain(origin);

        // Tokens carry that issuer and validate.
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        (await analyst.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_configured_public_origin_is_used_for_every_absolute_url_and_is_the_issuer()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>
        {
            ["DataClauses:Identity:Issuer"] = null,
            ["DataClauses:PublicOrigin"] = "https://data.metropole-demo.example",
        });
        var (discovery, dcat) = await ReadWithHostAsync(host, "evil.example");

        discovery.GetProperty("issuer").GetString().ShouldBe("https://data.metropole-demo.example/");
        discovery.GetProperty("jwks_uri").GetString().ShouldBe("https://data.metropole-demo.example/.well-known/jwks.json");
        dcat.ShouldNotContain("evil.example");
        dcat.ShouldNotContain(host.BaseAddress.Authority);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        (await analyst.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("DataClauses:PublicOrigin", "data.example.org", "DataClauses:PublicOrigin")]
    [InlineData("DataClauses:PublicOrigin", "https://data.example.org/gateway?x=1", "DataClauses:PublicOrigin")]
    [InlineData("DataClauses:KnownProxies:0", "10.0.0.0/99", "DataClauses:KnownProxies:0")]
    public async Task A_malformed_public_origin_or_proxy_stops_the_start_naming_the_key(string key, string value, string named)
    {
        var failure = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?> { [key] = value });
        });
        failure.Message.ShouldContain(named);
    }

    [Fact]
    public async Task Forwarded_for_is_believed_from_a_known_proxy_only_and_the_audit_records_the_clients_address()
    {
        await using var proxied = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?> { ["DataClauses:KnownProxies:0"] = "127.0.0.0/8" });
        (await RejectedTokenAddressAsync(proxied, "203.0.113.9")).ShouldBe("203.0.113.9");

        await using var direct = await GatewayHost.StartAsync(Provider);
        (await RejectedTokenAddressAsync(direct, "203.0.113.9")).ShouldBe("127.0.0.1");
    }

    [Fact]
    public async Task Wrong_secrets_from_one_address_do_not_lock_the_client_out_of_another_but_one_address_is_limited_across_clients()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>
        {
            ["DataClauses:KnownProxies:0"] = "127.0.0.1",
            ["DataClauses:Limits:TokenRequestsPerMinute"] = "3",
            ["DataClauses:Limits:TokenRequestsPerMinutePerAddress"] = "8",
        });
        var (clientId, secret) = (DemoAccounts.ClientId("caf-44", "publisher"), DemoAccounts.Secret("caf-44", "publisher"));
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await TokenFromAsync(host, "203.0.113.66", clientId, "guess-" + i);
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var attacker = await TokenFromAsync(host, "203.0.113.66", clientId, secret))
        {
            await attacker.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "too-many-requests");
        }

        using (var legitimate = await TokenFromAsync(host, "198.51.100.7", clientId, secret))
        {
            legitimate.StatusCode.ShouldBe(HttpStatusCode.OK, await legitimate.Content.ReadAsStringAsync());
        }

        // The attacker's address moves on to other client ids: the per-address limit stops it (8 a minute, 4 used).
        var statuses = new List<HttpStatusCode>();
        foreach (var (organisation, role) in DemoAccounts.All.Take(6))
        {
            using var guess = await TokenFromAsync(host, "203.0.113.66", DemoAccounts.ClientId(organisation, role), "guess");
            statuses.Add(guess.StatusCode);
        }

        statuses[0].ShouldBe(HttpStatusCode.Unauthorized, string.Join(',', statuses));
        statuses.Count(s => s == HttpStatusCode.Unauthorized).ShouldBeLessThanOrEqualTo(4, string.Join(',', statuses));
        statuses[^1].ShouldBe(HttpStatusCode.TooManyRequests, string.Join(',', statuses));
    }

    private static async Task<(JsonElement Discovery, string Dcat)> ReadWithHostAsync(GatewayHost host, string hostHeader)
    {
        using var discoveryRequest = new HttpRequestMessage(HttpMethod.Get, ".well-known/openid-configuration");
        discoveryRequest.Headers.Host = hostHeader;
        using var discovery = await host.Http.SendAsync(discoveryRequest);
        using var dcatRequest = new HttpRequestMessage(HttpMethod.Get, "api/v1/catalog.jsonld");
        dcatRequest.Headers.Host = hostHeader;
        using var dcat = await host.Http.SendAsync(dcatRequest);
        dcat.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await GatewayHost.JsonOf(discovery), await dcat.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> TokenFromAsync(GatewayHost host, string forwardedFor, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(clientId, secret);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await host.Http.SendAsync(request);
    }

    private static async Task<string?> RejectedTokenAddressAsync(GatewayHost host, string forwardedFor)
    {
        using var response = await TokenFromAsync(host, forwardedFor, "caf-44-publisher", "wrong");
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var correlationId = response.Headers.GetValues("X-Correlation-Id").Single();
        return (await host.ReadAuditAsync()).Single(r => r.Event.CorrelationId == correlationId).Event.Actor.Ip;
    }
}

public sealed class OriginAndProxyTests_on_Sqlite : OriginAndProxyTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class OriginAndProxyTests_on_PostgreSql : OriginAndProxyTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
