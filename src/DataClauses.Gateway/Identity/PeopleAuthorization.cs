using System.Security.Claims;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Authorization code with PKCE (S256 only) for people: <c>/connect/authorize</c> sends a person without a session to
/// <c>/connexion</c>, then hands the client a code for the person signed in; the token endpoint exchanges the code,
/// and refresh tokens (rolling, one use each), for tokens carrying the same claims as a client's (subject,
/// organisation, roles). Every exchange reads the account again: a person deleted or locked since gets nothing.
/// </summary>
internal static class PeopleAuthorization
{
    public const string AuthorizationPath = "/connect/authorize";

    /// <summary>The demo's public client for people (the CLI signing in through a browser, RFC 8252 loopback redirect).</summary>
    public const string DemoClientId = "dataclauses-cli";

    /// <summary>The demo client's redirect URI (a loopback address the CLI listens on).</summary>
    public const string DemoRedirectUri = "http://127.0.0.1:7890/callback";

    /// <summary>GET and POST /connect/authorize (OpenIddict has validated the request before this runs).</summary>
    public static IEndpointRouteBuilder MapPeopleAuthorization(this IEndpointRouteBuilder app)
    {
        app.MapMethods(AuthorizationPath, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync)
            .DisableAntiforgery()
            .AllowAnonymous()
            .WithName("Authorize")
            .WithSummary("OAuth 2.0 authorization endpoint for people: authorization code with PKCE (S256); without a session, redirects to /connexion and back.")
            .WithTags("Identity");
        return app;
    }

    /// <summary>The demo's people client, registered once (under the seed lock, so replicas do not race).</summary>
    public static async Task EnsureDemoClientAsync(IOpenIddictApplicationManager applications, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(DemoClientId, cancellationToken) is not null)
        {
            return;
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = DemoClientId,
            ClientType = ClientTypes.Public,
            DisplayName = "DataClauses CLI (people, authorization code + PKCE)",
            RedirectUris = { new Uri(DemoRedirectUri) },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Prefixes.Scope + AuthorizationServer.ApiScope,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        await applications.CreateAsync(descriptor, cancellationToken);
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, PeopleSignIn people, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request is missing (the authorization endpoint is a passthrough).");
        var session = await http.AuthenticateAsync(PeopleAuthentication.Scheme);
        var user = session.Succeeded ? await people.FindActiveAsync(session.Principal.FindFirst(ClaimNames.Subject)?.Value, cancellationToken) : null;
        if (user is null)
        {
            if (session.Succeeded)
            {
                // The account was deleted or locked since the cookie was issued: the session ends here.
                await http.SignOutAsync(PeopleAuthentication.Scheme);
            }

            if (request.HasPromptValue(PromptValues.None))
            {
                return AuthorizationServer.Refuse(Errors.LoginRequired, "The person is not signed in.");
            }

            // Back here after /connexion, with the same parameters (a POSTed request comes back as a GET).
            var parameters = request.GetParameters().Select(p => KeyValuePair.Create(p.Key, (string?)p.Value));
            var returnUrl = http.Request.PathBase + http.Request.Path + QueryString.Create(parameters);
            return Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl }, [PeopleAuthentication.Scheme]);
        }

        var principal = PeopleSignIn.PrincipalOf(user, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.SetScopes(request.GetScopes());
        identity.SetAudiences(options.Value.Identity.Audience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// The code and refresh grants at the token endpoint: OpenIddict has checked the code (PKCE verifier, redirect URI,
    /// single use) or the refresh token; the gateway reads the account again and refreshes organisation and roles.
    /// </summary>
    public static async Task<IResult> ExchangeAsync(HttpContext http, OpenIddictRequest request, CancellationToken cancellationToken)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = result.Principal?.GetClaim(Claims.Subject);
        var people = http.RequestServices.GetRequiredService<PeopleSignIn>();
        var user = await people.FindActiveAsync(subject, cancellationToken);
        if (result.Principal is null || user is null)
        {
            await people.RecordTokenRefusedAsync(subject ?? "unknown", request.ClientId, cancellationToken);
            return AuthorizationServer.Refuse(Errors.InvalidGrant, "The account no longer exists or is locked.");
        }

        // The code's principal keeps OpenIddict's private claims (authorization, presenters); the person's are renewed.
        var identity = new ClaimsIdentity(result.Principal.Claims, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, ClaimNames.Subject, ClaimNames.Roles);
        identity.SetClaim(ClaimNames.Organisation, user.OrganisationId);
        identity.SetClaim("name", user.DisplayName);
        identity.SetClaims(ClaimNames.Roles, [.. user.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>The demo people client of a node that seeds its demo, created when missing (also on a node seeded before).</summary>
    internal static async Task SeedDemoClientAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync(DemoClientId, cancellationToken) is not null)
        {
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.Seed, cancellationToken);

        // Asked of the table, not the manager: its cache may still hold the "not found" of before the lock, while
        // another replica registered the client meanwhile.
        if (!await db.Set<OpenIddictEntityFrameworkCoreApplication>().AnyAsync(a => a.ClientId == DemoClientId, cancellationToken))
        {
            await EnsureDemoClientAsync(applications, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
