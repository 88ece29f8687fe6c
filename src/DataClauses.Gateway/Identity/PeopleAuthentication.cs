using DataClauses.Gateway.Hosting;
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
    private sealed class ConfigureCookie(PublicOrigin origin) : IConfigureNamedOptions<CookieAuthenticationOptions>
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
        }

        public void Configure(CookieAuthenticationOptions o) => Configure(Options.DefaultName, o);
    }
}
