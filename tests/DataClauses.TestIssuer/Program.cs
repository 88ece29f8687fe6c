using System.Collections.Concurrent;
using System.Security.Claims;
using DataClauses.TestIssuer;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

// A second, real OpenID Connect issuer for the gateway's functional tests, on OpenIddict's server in degraded mode
// (no database; the one client of each flow is checked below). Settings come from the command line:
//   dotnet DataClauses.TestIssuer.dll --urls http://127.0.0.1:PORT --organisation caf-44 --roles "analyst admin"
//     --audience dataclauses-partners [--client-id ... --client-secret ... --portal-client-id ... --redirect-uris ...]
//     [--person-subject ... --person-name ... --person-email ...]
// Each start uses new (ephemeral) keys: restarting the process is a key rotation. GET /test/requests gives how many
// times each path was asked for, so that tests can count metadata fetches.
var builder = WebApplication.CreateBuilder(args);
var settings = TestIssuerSettings.From(builder.Configuration);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

builder.Services.AddOpenIddict()
    .AddServer(options =>
    {
        options.SetTokenEndpointUris("connect/token")
            .SetAuthorizationEndpointUris("connect/authorize")
            .SetJsonWebKeySetEndpointUris(".well-known/jwks")
            .SetConfigurationEndpointUris(".well-known/openid-configuration");
        options.AllowClientCredentialsFlow()
            .AllowAuthorizationCodeFlow()
            .RequireProofKeyForCodeExchange();
        options.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, "api");
        options.AddEphemeralSigningKey()
            .AddEphemeralEncryptionKey()
            .DisableAccessTokenEncryption();
        options.EnableDegradedMode();
        options.UseAspNetCore()
            .EnableTokenEndpointPassthrough()
            .EnableAuthorizationEndpointPassthrough()
            .DisableTransportSecurityRequirement();

        // Degraded mode: no application store, so the clients are checked here.
        options.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(handler => handler.UseInlineHandler(context =>
        {
            var request = context.Request;
            var known = request.IsClientCredentialsGrantType()
                ? string.Equals(request.ClientId, settings.ClientId, StringComparison.Ordinal) && string.Equals(request.ClientSecret, settings.ClientSecret, StringComparison.Ordinal)
                : string.Equals(request.ClientId, settings.PortalClientId, StringComparison.Ordinal);
            if (!known)
            {
                context.Reject(Errors.InvalidClient, "Unknown client or wrong secret.");
            }

            return default;
        }));
        options.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(handler => handler.UseInlineHandler(context =>
        {
            if (!string.Equals(context.ClientId, settings.PortalClientId, StringComparison.Ordinal))
            {
                context.Reject(Errors.InvalidClient, "Unknown client.");
            }
            else if (!settings.AllowsRedirect(context.RedirectUri))
            {
                context.Reject(Errors.InvalidRequest, "This redirect_uri is not registered.");
            }

            return default;
        }));
    });

var app = builder.Build();
var requests = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
app.Use(async (context, next) =>
{
    requests.AddOrUpdate(context.Request.Path.Value ?? "/", 1, (_, n) => n + 1);
    await next(context);
});
app.UseAuthentication();

app.MapGet("test/requests", () => Results.Json(requests.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)));

app.MapPost("connect/token", async (HttpContext context) =>
{
    var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
    if (request.IsClientCredentialsGrantType())
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
        identity.SetClaim(Claims.Subject, request.ClientId);
        identity.SetClaim(Claims.ClientId, request.ClientId);
        AddOrganisationAndRoles(identity);
        identity.SetScopes(request.GetScopes());
        identity.SetAudiences(settings.Audience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    // Authorization code: the principal signed in at /connect/authorize, carried by the (validated) code.
    var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    return result.Principal is null
        ? Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme])
        : Results.SignIn(result.Principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
});

// No login page: the one test person is signed in and consents at once.
app.MapMethods("connect/authorize", [HttpMethods.Get, HttpMethods.Post], (HttpContext context) =>
{
    var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
    var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
    identity.SetClaim(Claims.Subject, settings.PersonSubject);
    identity.SetClaim(Claims.Name, settings.PersonName);
    identity.SetClaim(Claims.Email, settings.PersonEmail);
    AddOrganisationAndRoles(identity);
    identity.SetScopes(request.GetScopes());
    identity.SetAudiences(settings.Audience);
    identity.SetDestinations(claim => claim.Type switch
    {
        Claims.Name or Claims.Email or "org" or "roles" => [Destinations.AccessToken, Destinations.IdentityToken],
        _ => [Destinations.AccessToken],
    });
    return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
});

await app.RunAsync();

// The organisation (none when not configured, to test a token without one) and the roles of every token issued.
void AddOrganisationAndRoles(ClaimsIdentity identity)
{
    if (settings.Organisation is { Length: > 0 })
    {
        identity.SetClaim("org", settings.Organisation);
    }

    identity.SetClaims("roles", [.. settings.Roles]);
}
