using System.Security.Claims;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// People signing in on the pages with their organisation's OpenID Connect provider (ProConnect, Keycloak…): one
/// ASP.NET Core OpenID Connect scheme per configured provider, authorization code + PKCE, the callback answered on
/// <c>/signin-oidc-{name}</c> by the full authentication middleware (non-<c>/api</c> paths, see
/// <see cref="ApiAuthentication"/>). The provider's person is mapped to the claims of a local sign-in (a stable subject
/// <c>oidc:{name}:{sub}</c>, the provider's one organisation, the allowed roles) and written straight to the
/// <see cref="PeopleAuthentication.Scheme"/> cookie; a person left with no allowed role is refused. Every outcome is audited.
/// </summary>
internal static class SignInProviders
{
    /// <summary>The claim naming the provider a person signed in with (absent for a local account).</summary>
    public const string ProviderClaim = "idp";

    /// <summary>Error codes the sign-in page is sent back with (never free text: the page shows its own message).</summary>
    public const string RefusedError = "refuse";
    public const string FailedError = "echec";

    public static string SchemeOf(SignInProviderOptions provider) => "oidc-" + provider.Name;

    public static string CallbackPathOf(SignInProviderOptions provider) => "/signin-oidc-" + provider.Name;

    /// <summary>The roles a provider's people may hold when none are configured: all but admin.</summary>
    public static IReadOnlyList<string> AllowedRolesOf(SignInProviderOptions provider) =>
        provider.AllowedRoles.Count > 0 ? [.. provider.AllowedRoles] : [.. Roles.All.Where(r => r != Roles.Admin)];

    public static void Add(IServiceCollection services, AuthenticationBuilder builder, IdentityOptions identity)
    {
        foreach (var provider in identity.SignInProviders)
        {
            builder.AddOpenIdConnect(SchemeOf(provider), provider.DisplayName, o =>
            {
                o.Authority = provider.Authority;
                o.ClientId = provider.ClientId;
                o.ClientSecret = string.IsNullOrEmpty(provider.ClientSecret) ? null : provider.ClientSecret;
                o.RequireHttpsMetadata = provider.RequireHttpsMetadata;
                o.ResponseType = OpenIdConnectResponseType.Code;

                // The code comes back in the query of a top-level GET: the Lax cookies (correlation, nonce) go with it.
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.UsePkce = true;
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.Scope.Clear();
                foreach (var scope in provider.Scopes.Count > 0 ? provider.Scopes : [OpenIdConnectScope.OpenId, "profile"])
                {
                    o.Scope.Add(scope);
                }

                o.SignInScheme = PeopleAuthentication.Scheme;
                o.CallbackPath = CallbackPathOf(provider);
                o.SignedOutCallbackPath = "/signout-callback-oidc-" + provider.Name;
                o.RemoteSignOutPath = "/signout-oidc-" + provider.Name;
                o.Events = new OpenIdConnectEvents
                {
                    OnTokenValidated = context => OnTokenValidatedAsync(context, provider),
                    OnRemoteFailure = context => OnRemoteFailureAsync(context, provider),
                };
            });
        }

        services.AddSingleton<IPostConfigureOptions<OpenIdConnectOptions>, ConfigureCookies>();
    }

    /// <summary>Checks the providers' settings; every problem, in the configuration's words.</summary>
    public static IEnumerable<string> Problems(IdentityOptions identity)
    {
        if (identity.SessionRevalidationInterval < TimeSpan.Zero || identity.SessionRevalidationInterval > TimeSpan.FromHours(8))
        {
            yield return $"DataClauses:Identity:SessionRevalidationInterval must be between 00:00:00 (every request) and 08:00:00 (the session's lifetime), not {identity.SessionRevalidationInterval}.";
        }

        for (var i = 0; i < identity.SignInProviders.Count; i++)
        {
            var provider = identity.SignInProviders[i];
            var prefix = $"DataClauses:Identity:SignInProviders:{i}";
            if (string.IsNullOrWhiteSpace(provider.Name) || provider.Name.Length > 40 || !provider.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                yield return $"{prefix}:Name is required (at most 40 lowercase letters, digits and dashes), not '{provider.Name}'.";
            }
            else if (identity.SignInProviders.Take(i).Any(p => string.Equals(p.Name, provider.Name, StringComparison.Ordinal)))
            {
                yield return $"{prefix}:Name '{provider.Name}' is already used (names are unique).";
            }

            if (string.IsNullOrWhiteSpace(provider.DisplayName))
            {
                yield return $"{prefix}:DisplayName is required (the button reads 'Se connecter avec {{DisplayName}}').";
            }

            if (!Uri.TryCreate(provider.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https") || authority.Query.Length > 0 || authority.Fragment.Length > 0)
            {
                yield return $"{prefix}:Authority must be the provider's absolute http(s) issuer URI, not '{provider.Authority}'.";
            }
            else if (provider.RequireHttpsMetadata && authority.Scheme != "https")
            {
                yield return $"{prefix}:Authority must be https (or set RequireHttpsMetadata to false, for tests only).";
            }

            if (string.IsNullOrWhiteSpace(provider.ClientId))
            {
                yield return $"{prefix}:ClientId is required.";
            }

            if (string.IsNullOrWhiteSpace(provider.Organisation) || provider.Organisation.Length > 100
                || !provider.Organisation.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                yield return $"{prefix}:Organisation is required: the one organisation id (lowercase, such as caf-44) this provider speaks for, not '{provider.Organisation}'.";
            }

            foreach (var role in provider.AllowedRoles.Concat(provider.DefaultRoles).Where(r => !Roles.All.Contains(r, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal))
            {
                yield return $"{prefix}: unknown role '{role}' in AllowedRoles or DefaultRoles (roles: {string.Join(", ", Roles.All)}).";
            }

            var allowed = AllowedRolesOf(provider);
            foreach (var role in provider.DefaultRoles.Where(r => Roles.All.Contains(r, StringComparer.Ordinal) && !allowed.Contains(r, StringComparer.Ordinal)))
            {
                yield return $"{prefix}:DefaultRoles gives '{role}', which AllowedRoles does not allow.";
            }

            if (string.IsNullOrWhiteSpace(provider.RolesClaim) && provider.DefaultRoles.Count == 0)
            {
                yield return $"{prefix}: set RolesClaim or DefaultRoles, or every person of '{provider.Name}' would be refused.";
            }
        }
    }

    /// <summary>
    /// The roles a provider's person holds here: the default ones and those of the roles claim, kept only when allowed.
    /// </summary>
    internal static IReadOnlyList<string> MapRoles(ClaimsPrincipal person, SignInProviderOptions provider)
    {
        var claimed = string.IsNullOrWhiteSpace(provider.RolesClaim)
            ? []
            : person.FindAll(provider.RolesClaim).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var allowed = AllowedRolesOf(provider);
        return [.. provider.DefaultRoles.Concat(claimed).Where(r => allowed.Contains(r, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal)];
    }

    private static async Task OnTokenValidatedAsync(TokenValidatedContext context, SignInProviderOptions provider)
    {
        var person = context.Principal!;
        var subject = person.FindFirst("sub")?.Value;
        var http = context.HttpContext;
        var audit = http.RequestServices.GetRequiredService<AuditService>();
        var method = "oidc:" + provider.Name;
        var roles = MapRoles(person, provider);
        var stableId = subject is { Length: > 0 } ? $"oidc:{provider.Name}:{Truncate(subject)}" : "unknown";
        if (subject is not { Length: > 0 } || roles.Count == 0)
        {
            var reason = subject is { Length: > 0 } ? "no allowed role" : "no subject";
            await audit.RecordAsync(audit.Create(PeopleAuditActions.SignInFailed, "denied") with
            {
                Actor = new AuditActor(stableId, provider.Organisation, [], null, http.Connection.RemoteIpAddress?.ToString()),
                Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["method"] = method, ["reason"] = reason },
            }, http.RequestAborted);
            context.Response.Redirect(PeopleAuthentication.SignInPath + "?erreur=" + RefusedError + "&fournisseur=" + Uri.EscapeDataString(provider.Name));
            context.HandleResponse();
            return;
        }

        var name = person.FindFirst(provider.NameClaim)?.Value ?? person.FindFirst("email")?.Value ?? subject;
        context.Principal = PeopleSignIn.PrincipalOf(stableId, provider.Organisation, Truncate(name), roles, PeopleAuthentication.Scheme, provider.Name);
        await audit.RecordAsync(audit.Create(PeopleAuditActions.SignedIn, "success") with
        {
            Actor = new AuditActor(stableId, provider.Organisation, roles, null, http.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["method"] = method },
        }, http.RequestAborted);
    }

    // A failed callback (tampered or replayed state, missing correlation cookie, provider error, bad id_token) is a
    // refusal on the sign-in page, never a 500; the audit says why in the handler's words, bounded.
    private static async Task OnRemoteFailureAsync(RemoteFailureContext context, SignInProviderOptions provider)
    {
        var http = context.HttpContext;
        var audit = http.RequestServices.GetRequiredService<AuditService>();
        await audit.RecordAsync(audit.Create(PeopleAuditActions.SignInFailed, "failure") with
        {
            Actor = new AuditActor("unknown", provider.Organisation, [], null, http.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["method"] = "oidc:" + provider.Name,
                ["reason"] = "remote failure: " + Truncate(context.Failure?.Message ?? "unknown"),
            },
        }, http.RequestAborted);
        context.Response.Redirect(PeopleAuthentication.SignInPath + "?erreur=" + FailedError + "&fournisseur=" + Uri.EscapeDataString(provider.Name));
        context.HandleResponse();
    }

    private static string Truncate(string value) => value.Length > 200 ? value[..200] : value;

    /// <summary>
    /// The correlation and nonce cookies: Lax (the callback is a top-level GET) and Secure as the people cookie is
    /// (always on an https public origin), resolved when first used since the origin may be the listening address.
    /// </summary>
    private sealed class ConfigureCookies(PublicOrigin origin) : IPostConfigureOptions<OpenIdConnectOptions>
    {
        public void PostConfigure(string? name, OpenIdConnectOptions options)
        {
            var policy = origin.Value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.CorrelationCookie.SecurePolicy = policy;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SecurePolicy = policy;
        }
    }
}
