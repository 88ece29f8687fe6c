using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>The OpenIddict server's endpoints besides client secrets: introspection, revocation, private_key_jwt, discovery.</summary>
public abstract class AuthorizationServerTests(GatewayFixture fixture)
{
    private const string Organisation = "caf-44";

    private GatewayHost Host => fixture.Host;

    private static string ClientId => DemoAccounts.ClientId(Organisation, "publisher");

    private static string Secret => DemoAccounts.Secret(Organisation, "publisher");

    [Fact]
    public async Task Introspection_says_an_issued_token_is_active_with_its_subject_and_after_revocation_that_it_is_not()
    {
        var token = await Host.GetTokenAsync(ClientId, Secret);

        var before = await Host.IntrospectAsync(token, ClientId, Secret);
        before.GetProperty("active").GetBoolean().ShouldBeTrue(before.ToString());
        before.GetProperty("sub").GetString().ShouldBe(ClientId);
        before.GetProperty("client_id").GetString().ShouldBe(ClientId);

        using var revoked = await Host.RevokeAsync(token, ClientId, Secret);
        revoked.StatusCode.ShouldBe(HttpStatusCode.OK, await revoked.Content.ReadAsStringAsync());

        var after = await Host.IntrospectAsync(token, ClientId, Secret);
        after.GetProperty("active").GetBoolean().ShouldBeFalse(after.ToString());
    }

    [Fact]
    public async Task Introspection_with_a_wrong_secret_is_refused_as_invalid_client()
    {
        var token = await Host.GetTokenAsync(ClientId, Secret);
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = GatewayHost.BasicCredentials(ClientId, "not-the-secret");

        using var response = await Host.Http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, body);
        JsonDocument.Parse(body).RootElement.GetProperty("error").GetString().ShouldBe("invalid_client");
        body.ShouldNotContain("\"active\"");
    }

    [Fact]
    public async Task Partner_registered_with_its_public_key_obtains_a_token_with_a_private_key_jwt_assertion()
    {
        using var partnerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientId = await CreateKeyClientAsync(partnerKey);

        using var response = await RequestWithAssertionAsync(Assertion(clientId, partnerKey));

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        var token = JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(token);
        jwt.Subject.ShouldBe(clientId);
        jwt.GetClaim("org").Value.ShouldBe(Organisation);
        using var client = Host.WithToken(token);
        (await client.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var audit = (await Host.ReadAuditAsync()).Where(r => r.Event.Action == "token.issued" && r.Event.Actor.Subject == clientId).ToList();
        audit.Count.ShouldBe(1);
        audit[0].Event.Details["authMethod"].ShouldBe("private_key_jwt");
    }

    [Fact]
    public async Task Assertion_signed_with_another_key_than_the_registered_one_is_refused_as_invalid_client_and_audited()
    {
        using var partnerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientId = await CreateKeyClientAsync(partnerKey);

        using var response = await RequestWithAssertionAsync(Assertion(clientId, otherKey));

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        var audit = (await Host.ReadAuditAsync()).Where(r => r.Event.Action == "token.rejected" && r.Event.Actor.Subject == clientId).ToList();
        audit.Count.ShouldBe(1);
        audit[0].Event.Details["reason"].ShouldBe("invalid client assertion");
    }

    [Fact]
    public async Task Client_registered_with_a_private_key_in_its_jwks_is_refused_with_a_validation_problem()
    {
        using var admin = await Host.ClientForAsync(Organisation, "admin");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(key));

        using var response = await admin.PostAsJsonAsync("api/v1/admin/clients", new
        {
            clientId = "caf-44-leaky-" + Guid.NewGuid().ToString("N")[..8],
            roles = new[] { "publisher" },
            jwks = JsonDocument.Parse($$"""{"keys":[{{JsonExtensions.SerializeToJson(jwk)}}]}""").RootElement,
        });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Discovery_lists_only_the_endpoints_served_and_the_client_authentication_methods()
    {
        using var response = await Host.Http.GetAsync(".well-known/openid-configuration");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = await GatewayHost.JsonOf(response);
        var endpoints = json.EnumerateObject().Where(p => p.Name.EndsWith("_endpoint", StringComparison.Ordinal)).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        endpoints.ShouldBe(["authorization_endpoint", "introspection_endpoint", "revocation_endpoint", "token_endpoint"]);
        json.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal)
            .ShouldBe(["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]);
        foreach (var endpoint in endpoints)
        {
            // Each advertised endpoint answers (a request without a token is refused by the endpoint, not a 404).
            using var probe = await Host.Http.PostAsync(new Uri(json.GetProperty(endpoint).GetString()!).PathAndQuery.TrimStart('/'), new FormUrlEncodedContent([]));
            probe.StatusCode.ShouldNotBe(HttpStatusCode.NotFound, endpoint);
        }
    }

    private async Task<string> CreateKeyClientAsync(ECDsa partnerKey)
    {
        using var admin = await Host.ClientForAsync(Organisation, "admin");
        using var publicOnly = ECDsa.Create(partnerKey.ExportParameters(includePrivateParameters: false));
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(publicOnly));
        var clientId = "caf-44-keys-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new
        {
            clientId,
            roles = new[] { "publisher" },
            jwks = JsonDocument.Parse($$"""{"keys":[{{JsonExtensions.SerializeToJson(jwk)}}]}""").RootElement,
        });
        var body = await created.Content.ReadAsStringAsync();
        created.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        JsonDocument.Parse(body).RootElement.GetProperty("clientSecret").ValueKind.ShouldBe(JsonValueKind.Null);
        return clientId;
    }

    private string Assertion(string clientId, ECDsa key)
    {
        var now = Host.Clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            // The explicit type of client assertions (draft-ietf-oauth-rfc7523bis), which OpenIddict checks.
            TokenType = "client-authentication+jwt",
            Issuer = clientId,
            Audience = GatewayHost.Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(2),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal) { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256),
        });
    }

    private async Task<HttpResponseMessage> RequestWithAssertionAsync(string assertion) =>
        await Host.Http.PostAsync("connect/token", new FormUrlEncodedContent(
        [
            new("grant_type", "client_credentials"),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", assertion),
        ]));

    private static class JsonExtensions
    {
        public static string SerializeToJson(JsonWebKey key) => JsonSerializer.Serialize(new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["kty"] = key.Kty,
            ["crv"] = key.Crv,
            ["x"] = key.X,
            ["y"] = key.Y,
            ["d"] = key.D,
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }
}

public sealed class AuthorizationServerTests_on_Sqlite(SqliteGateway fixture) : AuthorizationServerTests(fixture), IClassFixture<SqliteGateway>;

public sealed class AuthorizationServerTests_on_PostgreSql(PostgreSqlGateway fixture) : AuthorizationServerTests(fixture), IClassFixture<PostgreSqlGateway>;

/// <summary>Token entries of OpenIddict's store are pruned once expired for a day; valid ones stay.</summary>
public abstract class TokenPruningTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Revoked_token_entries_are_pruned_after_a_day_and_entries_of_valid_tokens_stay()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        var pruning = host.Services.GetRequiredService<DataClauses.Gateway.Identity.TokenPruning>();
        var clientId = DemoAccounts.ClientId("caf-44", "publisher");
        var secret = DemoAccounts.Secret("caf-44", "publisher");
        var revoked = await host.GetTokenAsync(clientId, secret);
        await host.GetTokenAsync(clientId, secret);
        (await host.RevokeAsync(revoked, clientId, secret)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var before = Convert.ToInt64(await host.Database.ScalarAsync("SELECT COUNT(*) FROM \"OpenIddictTokens\""), System.Globalization.CultureInfo.InvariantCulture);

        (await pruning.RunOnceAsync(CancellationToken.None)).ShouldBe(0);
        host.Clock.Advance(DataClauses.Gateway.Identity.TokenPruning.Retention + TimeSpan.FromHours(1));

        // The store compares expiry with the wall clock, which the test clock does not move: only the revoked entry goes.
        (await pruning.RunOnceAsync(CancellationToken.None)).ShouldBe(1);
        (await host.Database.ScalarAsync("SELECT COUNT(*) FROM \"OpenIddictTokens\"")).ShouldBe(before - 1);
        (await host.IntrospectAsync(revoked, clientId, secret)).GetProperty("active").GetBoolean().ShouldBeFalse();
    }
}

public sealed class TokenPruningTests_on_Sqlite : TokenPruningTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class TokenPruningTests_on_PostgreSql : TokenPruningTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>A node with no configured issuer issues as the origin it is served on (here a random loopback port).</summary>
public abstract class ServingOriginIssuerTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Without_a_configured_issuer_discovery_and_tokens_name_the_origin_actually_served_and_the_token_is_accepted()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?> { ["DataClauses:Identity:Issuer"] = "" });

        var discovery = await GatewayHost.JsonOf(await host.Http.GetAsync(".well-known/openid-configuration"));
        var token = await host.GetDemoTokenAsync("caf-44", "admin");

        discovery.GetProperty("issuer").GetString().ShouldBe(host.BaseAddress.ToString());
        discovery.GetProperty("token_endpoint").GetString().ShouldBe(new Uri(host.BaseAddress, "connect/token").ToString());
        new JsonWebTokenHandler().ReadJsonWebToken(token).Issuer.ShouldBe(host.BaseAddress.ToString());
        using var client = host.WithToken(token);
        (await client.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class ServingOriginIssuerTests_on_Sqlite : ServingOriginIssuerTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ServingOriginIssuerTests_on_PostgreSql : ServingOriginIssuerTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
