using System.Security.Claims;
using DataClauses.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// The session of a person signed in on the node's pages: a cookie scheme of its own, never the default one, so that
/// the API (<c>/api/v1</c>) stays bearer-only and a cookie can never authenticate an API call (no CSRF on the API).
/// Pages ask for it by name; its principal carries the claims of a token (<see cref="Caller.From"/> reads both).
/// The cookie is protected by Data Protection, whose key ring the replicas share through the database.
/// </summary>
internal static class PeopleAuthentication
{
    /// <summary>The people cookie scheme.</summary>
    public const string Scheme = "people";

    public const string SignInPath = "/connexion";
    public const string SignOutPath = "/deconnexion";

    /// <summary>Local sign-in for people: the service, the cookie scheme and the Razor Pages.</summary>
    public static IServiceCollection AddPeopleSignIn(this IServiceCollection services)
    {
        services.AddScoped<PeopleSignIn>();
        services.AddSingleton<UnknownAccountAttempts>();
        services.AddAuthentication().AddCookie(Scheme);
        services.AddSingleton<IConfigureOptions<CookieAuthenticationOptions>, ConfigureCookie>();
        // The pages live in this assembly, which is not the entry assembly when a test or another host builds the app.
        services.AddRazorPages().ConfigureApplicationPartManager(parts =>
        {
            // Its factory gives both the types and the compiled Razor pages (a plain AssemblyPart has no pages).
            var assembly = typeof(PeopleAuthentication).Assembly;
            foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
            {
                if (!parts.ApplicationParts.Any(p => p.GetType() == part.GetType() && p.Name == part.Name))
                {
                    parts.ApplicationParts.Add(part);
                }
            }
        });
        return services;
    }

    /// <summary>The sign-in and sign-out pages.</summary>
    public static IEndpointRouteBuilder MapPeopleSignIn(this IEndpointRouteBuilder app)
    {
        app.MapRazorPages();
        app.MapPeopleAuthorization();
        return app;
    }

    /// <summary>
    /// Cookie settings, resolved when the scheme is first used (the public origin may come from the listening address,
    /// known only once the server has started).
    /// </summary>
    private sealed class ConfigureCookie(PublicOrigin origin, IOptions<GatewayOptions> gateway) : IConfigureNamedOptions<CookieAuthenticationOptions>
    {
        public void Configure(string? name, CookieAuthenticationOptions o)
        {
            if (name != Scheme)
            {
                return;
            }

            o.Cookie.Name = "__dataclauses_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.IsEssential = true;
            o.Cookie.SecurePolicy = origin.Value.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? CookieSecurePolicy.Always
                : CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.LoginPath = SignInPath;
            o.LogoutPath = SignOutPath;
            o.AccessDeniedPath = SignInPath;
            o.ReturnUrlParameter = "ReturnUrl";
            var interval = gateway.Value.Identity.SessionRevalidationInterval;
            o.Events = new CookieAuthenticationEvents { OnValidatePrincipal = context => SessionRevalidation.ValidateAsync(context, interval) };
        }

        public void Configure(CookieAuthenticationOptions o) => Configure(Options.DefaultName, o);
    }
}

/// <summary>
/// The people cookie lives 8 hours (sliding): without a check, a deleted or locked account would keep its session that
/// long. At most once per <see cref="IdentityOptions.SessionRevalidationInterval"/> (the instant of the last check
/// travels in the cookie), the account is read again: gone or locked, the session ends (audited); otherwise the cookie
/// is renewed with the account's current name, organisation and roles. A person of an external provider has no account
/// here: the session ends only if that provider is no longer configured.
/// </summary>
internal static class SessionRevalidation
{
    private const string CheckedKey = ".dataclauses.checked";

    public static async Task ValidateAsync(CookieValidatePrincipalContext context, TimeSpan interval)
    {
        var services = context.HttpContext.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var last = context.Properties.Items.TryGetValue(CheckedKey, out var text) && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : context.Properties.IssuedUtc ?? DateTimeOffset.MinValue;
        if (now - last < interval || context.Principal is not { } principal)
        {
            return;
        }

        ClaimsPrincipal? current;
        if (principal.FindFirst(SignInProviders.ProviderClaim)?.Value is { } provider)
        {
            var configured = services.GetRequiredService<IOptions<GatewayOptions>>().Value.Identity.SignInProviders.Any(p => p.Name == provider);
            current = configured ? principal : null;
        }
        else
        {
            var signIn = services.GetRequiredService<PeopleSignIn>();
            var user = await signIn.FindActiveAsync(principal.FindFirst(ClaimNames.Subject)?.Value, context.HttpContext.RequestAborted);
            current = user is null ? null : PeopleSignIn.PrincipalOf(user, PeopleAuthentication.Scheme);
        }

        if (current is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(PeopleAuthentication.Scheme);
            await services.GetRequiredService<PeopleSignIn>().RecordSessionEndedAsync(principal, context.HttpContext.RequestAborted);
            return;
        }

        context.Properties.Items[CheckedKey] = now.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.ReplacePrincipal(current);
        context.ShouldRenew = true;
    }
}
