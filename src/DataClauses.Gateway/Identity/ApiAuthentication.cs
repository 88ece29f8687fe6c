using Microsoft.AspNetCore.Authentication;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Authentication in the pipeline: ASP.NET Core's middleware (the default bearer scheme, and the protocol handlers:
/// OpenIddict's endpoints, the sign-in providers' callbacks), then, outside <c>/api</c>, the person of the
/// <see cref="PeopleAuthentication.Scheme"/> session cookie for the pages. A cookie never authenticates an API call
/// (no cross-site request forgery on the API). OpenIddict's own per-request work is cut short for paths it does not
/// serve by <see cref="SkipNonProtocolRequests"/>.
/// </summary>
internal static class ApiAuthentication
{
    public static IApplicationBuilder UseGatewayAuthentication(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (!IsApi(context) && context.User.Identity?.IsAuthenticated != true)
            {
                var session = await context.AuthenticateAsync(PeopleAuthentication.Scheme);
                if (session.Succeeded)
                {
                    context.User = session.Principal;
                }
            }

            await next(context);
        });
        return app;
    }

    private static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
}
