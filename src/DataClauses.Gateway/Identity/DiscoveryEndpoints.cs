using System.Text.Json;
using DataClauses.Gateway.Hosting;

namespace DataClauses.Gateway.Identity;

/// <summary>Authorization server metadata (RFC 8414 / OpenID discovery) and the JWKS with every key that validates now.</summary>
internal static class DiscoveryEndpoints
{
    public static IEndpointRouteBuilder MapDiscoveryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/openid-configuration", (PublicOrigin publicOrigin) =>
        {
            var origin = publicOrigin.Value;
            return Results.Json(new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["issuer"] = publicOrigin.Issuer,
                ["token_endpoint"] = $"{origin}/connect/token",
                ["jwks_uri"] = $"{origin}/.well-known/jwks.json",
                ["grant_types_supported"] = new[] { "client_credentials" },
                ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
                ["scopes_supported"] = new[] { "api" },
                ["response_types_supported"] = new[] { "token" },
                ["access_token_signing_alg_values_supported"] = new[] { "ES256" },
                ["claims_supported"] = new[] { "sub", "client_id", "org", "roles", "aud", "iss", "exp", "iat", "nbf", "jti", "scope" },
                ["service_documentation"] = $"{origin}/api-docs",
            });
        })
        .AllowAnonymous()
        .WithName("Discovery")
        .WithSummary("Authorization server metadata (RFC 8414).")
        .WithTags("Identity");

        app.MapGet("/.well-known/jwks.json", async (SigningKeys keys, HttpContext http, CancellationToken cancellationToken) =>
        {
            var validation = await keys.GetValidationKeysAsync(cancellationToken);
            http.Response.Headers.CacheControl = "public, max-age=300";
            var jwks = validation.Select(k => JsonSerializer.Deserialize<Dictionary<string, string>>(k.Entity.PublicJwk)!).ToList();
            return Results.Json(new { keys = jwks });
        })
        .AllowAnonymous()
        .WithName("Jwks")
        .WithSummary("The public keys that validate this node's tokens (JWKS).")
        .WithTags("Identity");
        return app;
    }
}
