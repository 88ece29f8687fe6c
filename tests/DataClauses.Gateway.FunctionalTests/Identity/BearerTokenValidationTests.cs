using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>
/// A protected endpoint (GET /api/v1/admin/clients) with good and bad bearer tokens. Bad tokens are crafted with the
/// node's real signing key, so that each is refused for the one thing it gets wrong.
/// </summary>
public abstract class BearerTokenValidationTests(GatewayFixture fixture)
{
    private const string ProtectedPath = "api/v1/admin/clients";

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Protected_endpoint_with_a_valid_token_answers()
    {
        using var client = await Host.ClientForAsync("caf-44", "admin");

        using var response = await client.GetAsync(ProtectedPath);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Protected_endpoint_without_a_token_answers_401_problem_with_WWW_Authenticate_Bearer()
    {
        using var response = await Host.Http.GetAsync(ProtectedPath);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Token_crafted_with_the_node_key_and_the_right_claims_is_accepted()
    {
        // The control for every crafted-token test below: only the one thing each changes makes it fail.
        var token = await CraftAsync();

        using var response = await SendAsync(token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Token_for_another_audience_is_refused()
    {
        var token = await CraftAsync(d => d.Audience = "another-api");

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Token_from_another_issuer_is_refused()
    {
        var token = await CraftAsync(d => d.Issuer = "https://issuer.elsewhere.test");

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Token_that_expired_is_refused()
    {
        var now = Host.Clock.GetUtcNow().UtcDateTime;
        var token = await CraftAsync(d =>
        {
            d.IssuedAt = d.NotBefore = now.AddMinutes(-20);
            d.Expires = now.AddMinutes(-10);
        });

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Token_not_yet_valid_is_refused()
    {
        var now = Host.Clock.GetUtcNow().UtcDateTime;
        var token = await CraftAsync(d =>
        {
            d.IssuedAt = d.NotBefore = now.AddMinutes(5);
            d.Expires = now.AddMinutes(15);
        });

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Token_without_the_at_jwt_type_is_refused()
    {
        var token = await CraftAsync(d => d.TokenType = "JWT");

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Token_signed_with_an_unknown_key_is_refused()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (_, keyId) = await Host.GetSigningKeyAsync();

        // Even when it claims the node's key id.
        var token = await CraftAsync(d => d.SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256));

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Token_with_a_tampered_signature_is_refused()
    {
        var token = await Host.GetDemoTokenAsync("caf-44", "admin");
        var parts = token.Split('.');
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[10] ^= 0x01;

        await ShouldBeRefusedAsync($"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}");
    }

    [Fact]
    public async Task Token_with_a_tampered_payload_is_refused()
    {
        // An admin of epci-demo rewrites its organisation to caf-44, keeping the signature.
        var token = await Host.GetDemoTokenAsync("epci-demo", "admin");
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"org\":\"epci-demo\"", "\"org\":\"caf-44\"", StringComparison.Ordinal);
        payload.ShouldContain("\"org\":\"caf-44\"");

        await ShouldBeRefusedAsync($"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}");
    }

    [Fact]
    public async Task Token_with_alg_none_is_refused()
    {
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken(await Host.GetDemoTokenAsync("caf-44", "admin"));
        var header = Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"at+jwt","kid":"{{genuine.Kid}}"}""");

        await ShouldBeRefusedAsync($"{header}.{genuine.EncodedPayload}.");
    }

    [Fact]
    public async Task Token_signed_with_HS256_using_the_public_key_as_secret_is_refused()
    {
        // Algorithm confusion: the public JWK's x coordinate used as an HMAC secret.
        var (key, keyId) = await Host.GetSigningKeyAsync();
        var x = key.ECDsa.ExportParameters(false).Q.X!;
        var token = await CraftAsync(d => d.SigningCredentials = new SigningCredentials(new SymmetricSecurityKey([.. x, .. x]) { KeyId = keyId }, SecurityAlgorithms.HmacSha256));

        await ShouldBeRefusedAsync(token);
    }

    [Fact]
    public async Task Garbage_bearer_value_is_refused()
    {
        await ShouldBeRefusedAsync("not-a-jwt");
    }

    private async Task<string> CraftAsync(Action<SecurityTokenDescriptor>? change = null)
    {
        var (key, _) = await Host.GetSigningKeyAsync();
        var now = Host.Clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(10),
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = "caf-44-admin",
                ["client_id"] = "caf-44-admin",
                ["org"] = "caf-44",
                ["roles"] = new[] { "admin" },
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        };
        change?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private async Task<HttpResponseMessage> SendAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ProtectedPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Host.Http.SendAsync(request);
    }

    private async Task ShouldBeRefusedAsync(string token)
    {
        using var response = await SendAsync(token);
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        response.Headers.WwwAuthenticate.ToString().ShouldContain("invalid_token");
    }
}

public sealed class BearerTokenValidationTests_on_Sqlite(SqliteGateway fixture) : BearerTokenValidationTests(fixture), IClassFixture<SqliteGateway>;

public sealed class BearerTokenValidationTests_on_PostgreSql(PostgreSqlGateway fixture) : BearerTokenValidationTests(fixture), IClassFixture<PostgreSqlGateway>;
