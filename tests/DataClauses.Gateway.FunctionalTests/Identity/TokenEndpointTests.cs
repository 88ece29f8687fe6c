using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>POST /connect/token: the client credentials grant and every way a token request is refused.</summary>
public abstract class TokenEndpointTests(GatewayFixture fixture)
{
    private const string Organisation = "caf-44";
    private const string Role = "publisher";

    private GatewayHost Host => fixture.Host;

    private static string ClientId => DemoAccounts.ClientId(Organisation, Role);

    private static string Secret => DemoAccounts.Secret(Organisation, Role);

    [Fact]
    public async Task Token_request_with_client_secret_basic_returns_a_bearer_access_token()
    {
        using var response = await Host.RequestTokenAsync(ClientId, Secret);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var json = await GatewayHost.JsonOf(response);
        json.GetProperty("token_type").GetString().ShouldBe("Bearer");
        json.GetProperty("expires_in").GetInt32().ShouldBe(600);
        json.GetProperty("access_token").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Token_request_with_client_secret_post_returns_a_bearer_access_token()
    {
        using var response = await Host.RequestTokenAsync(ClientId, Secret, post: true);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var token = (await GatewayHost.JsonOf(response)).GetProperty("access_token").GetString()!;
        new JsonWebTokenHandler().ReadJsonWebToken(token).Subject.ShouldBe(ClientId);
    }

    [Fact]
    public async Task Token_request_with_a_wrong_secret_is_refused_as_invalid_client_and_audited_as_token_rejected()
    {
        var correlationId = "wrong-secret-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(ClientId, "not-the-secret");
        request.Headers.Add("X-Correlation-Id", correlationId);

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Basic");
        var audit = (await Host.ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId).ToList();
        audit.Count.ShouldBe(1);
        audit[0].Event.Action.ShouldBe("token.rejected");
        audit[0].Event.Outcome.ShouldBe("failure");
        audit[0].Event.Actor.Subject.ShouldBe(ClientId);
        audit[0].Event.Details["reason"].ShouldBe("wrong secret");
        audit[0].Row.Canonical.ShouldNotContain("not-the-secret");
    }

    [Fact]
    public async Task Token_request_for_an_unknown_client_is_refused_as_invalid_client()
    {
        using var response = await Host.RequestTokenAsync("no-such-client", "whatever", post: true);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    // OpenIddict answers a request that names no client as malformed (invalid_request, 400), where the hand-written
    // endpoint answered invalid_client (401): both are RFC 6749 §5.2 errors; no token is issued either way.
    [Fact]
    public async Task Token_request_without_any_client_credentials_is_refused_as_invalid_request()
    {
        using var response = await Host.Http.PostAsync("connect/token", new FormUrlEncodedContent([new("grant_type", "client_credentials")]));

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_request_for_a_disabled_client_is_refused_as_invalid_client()
    {
        using var admin = await Host.ClientForAsync(Organisation, "admin");
        var clientId = "caf-44-disabled-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { "publisher" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var secret = (await GatewayHost.JsonOf(created)).GetProperty("clientSecret").GetString()!;
        using (var before = await Host.RequestTokenAsync(clientId, secret))
        {
            before.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var disabled = await admin.PostAsync($"api/v1/admin/clients/{clientId}/disable", null);
        disabled.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await Host.RequestTokenAsync(clientId, secret);
        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task Token_request_with_an_unsupported_grant_type_is_refused_with_unsupported_grant_type()
    {
        using var response = await Host.RequestTokenAsync(ClientId, Secret, grantType: "password");

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task Token_request_without_grant_type_is_refused_as_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token") { Content = new FormUrlEncodedContent([new("scope", "api")]) };
        request.Headers.Authorization = GatewayHost.BasicCredentials(ClientId, Secret);

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_request_using_basic_and_post_authentication_at_once_is_refused_as_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", ClientId), new("client_secret", Secret)]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(ClientId, Secret);

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_request_with_a_repeated_parameter_is_refused_as_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(ClientId, Secret);

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_request_with_a_json_body_is_refused_as_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = JsonContent.Create(new { grant_type = "client_credentials", client_id = ClientId, client_secret = Secret }),
        };

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_request_with_an_unknown_scope_is_refused_as_invalid_scope()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", "admin")]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(ClientId, Secret);

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_scope");
    }

    // As above: OpenIddict treats an undecodable Basic header as a malformed request (invalid_request, 400).
    [Fact]
    public async Task Token_request_with_a_malformed_basic_header_is_refused_as_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "%%%not-base64");

        using var response = await Host.Http.SendAsync(request);

        await response.ShouldBeOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Access_token_is_an_ES256_at_jwt_with_the_client_claims_and_a_ten_minute_lifetime()
    {
        var token = await Host.GetTokenAsync(ClientId, Secret);
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(token);

        jwt.Typ.ShouldBe("at+jwt");
        jwt.Alg.ShouldBe("ES256");
        jwt.Kid.ShouldNotBeNullOrEmpty();
        jwt.Issuer.ShouldBe(GatewayHost.Issuer);
        jwt.Audiences.ShouldBe([GatewayHost.Audience]);
        jwt.Subject.ShouldBe(ClientId);
        jwt.GetClaim("client_id").Value.ShouldBe(ClientId);
        jwt.GetClaim("org").Value.ShouldBe(Organisation);
        jwt.GetPayloadValue<string[]>("roles").ShouldBe(["publisher"]);
        jwt.Id.ShouldNotBeNullOrEmpty();
        var now = Host.Clock.GetUtcNow().UtcDateTime;
        jwt.IssuedAt.ShouldBe(now, TimeSpan.FromSeconds(1));

        // OpenIddict writes no nbf (optional in RFC 9068); iat and exp bound the token.
        (jwt.ValidTo - jwt.IssuedAt).ShouldBe(TimeSpan.FromMinutes(10));

        using var jwks = await Host.Http.GetAsync(".well-known/jwks.json");
        var keys = (await GatewayHost.JsonOf(jwks)).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        keys.ShouldContain(jwt.Kid);
    }

    [Fact]
    public async Task Two_access_tokens_of_one_client_have_different_ids()
    {
        var first = new JsonWebTokenHandler().ReadJsonWebToken(await Host.GetTokenAsync(ClientId, Secret));
        var second = new JsonWebTokenHandler().ReadJsonWebToken(await Host.GetTokenAsync(ClientId, Secret));

        first.Id.ShouldNotBe(second.Id);
    }

    [Fact]
    public async Task Discovery_document_names_the_token_endpoint_and_the_jwks()
    {
        using var response = await Host.Http.GetAsync(".well-known/openid-configuration");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = await GatewayHost.JsonOf(response);
        json.GetProperty("issuer").GetString().ShouldBe(GatewayHost.Issuer);
        json.GetProperty("token_endpoint").GetString().ShouldBe(new Uri(Host.BaseAddress, "connect/token").ToString());
        json.GetProperty("jwks_uri").GetString().ShouldBe(new Uri(Host.BaseAddress, ".well-known/jwks.json").ToString());
        json.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal).ShouldBe(["authorization_code", "client_credentials", "refresh_token"]);
    }
}

public sealed class TokenEndpointTests_on_Sqlite(SqliteGateway fixture) : TokenEndpointTests(fixture), IClassFixture<SqliteGateway>;

public sealed class TokenEndpointTests_on_PostgreSql(PostgreSqlGateway fixture) : TokenEndpointTests(fixture), IClassFixture<PostgreSqlGateway>;
